"""What an apply did: counts, failures, skipped scopes, and why it stopped."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..state.model import State
from .observe import MemberOutcome


@dataclass(frozen=True, slots=True)
class Failure:
    """A member or call that did not get done, with ClassIn's reason."""

    address: str
    action: str
    errno: int | None  # None: no answer (outcome unknown)
    meaning: str
    members: int = 1  # a call that failed as a whole: the members it carried

    def __str__(self) -> str:
        what = f"{self.address}: {self.action}"
        if self.members > 1:
            what += f" ({self.members} members)"
        if self.errno is None:
            return f"{what} -> no answer: {self.meaning}"
        return f"{what} -> {self.meaning}"


@dataclass(frozen=True, slots=True)
class Held:
    """Removals of a course held back because adds of that course failed."""

    course: int
    removals: int  # members whose removal was not sent
    calls: int
    failed_adds: int

    def __str__(self) -> str:
        return (f"{self.removals} removal(s) in course {self.course} held back because "
                f"{self.failed_adds} add(s) failed: fix them and apply again (or apply "
                "with --no-hold)")


@dataclass(frozen=True, slots=True)
class Skipped:
    """A course or lesson whose remaining calls were not sent."""

    scope: str
    errno: int
    meaning: str
    calls: int

    def __str__(self) -> str:
        return (f"{self.scope}: the rest was skipped after {self.meaning} "
                f"({self.calls} further call(s) not sent)")


@dataclass
class ApplyResult:
    calls_planned: int = 0
    calls_sent: int = 0  # the plan's calls that reached ClassIn at least once
    calls_resent: int = 0  # adds sent again after the course's removals (course full)
    requests: int = 0  # HTTP requests, retries included
    added: int = 0
    removed: int = 0
    already: int = 0  # members / groups ClassIn said were already as wanted
    groups_created: int = 0
    groups_changed: int = 0
    groups_deleted: int = 0
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)
    retried: int = 0  # adds sent again after the course's removals (they found it full)
    labels: int = 0  # names recorded in the state (no ClassIn call)
    forgotten: int = 0  # courses no longer managed (retired_courses: forget)
    stopped: str | None = None  # why the whole run stopped early
    not_sent: int = 0  # calls not sent because the run stopped
    unrecorded: bool = False  # a result ClassIn confirmed could not be recorded
    registered: int = 0  # accounts registered (new)
    accounts_existed: int = 0  # accounts registered before: their uid learned
    renamed: int = 0  # console names set (editSchoolStudent)
    accounts_calls: int = 0  # registerMultiple and editSchoolStudent calls answered
    unanswered: int = 0  # calls interrupted before their answer came (outcome unknown)
    interrupted: str | None = None  # the signal that stopped the run (SIGINT, SIGTERM)
    state: State | None = None
    started: float = 0.0  # time.time()
    finished: float = 0.0
    call_ms: list[float] = field(default_factory=list)  # each call's duration, retries in
    outcomes: list[MemberOutcome] = field(default_factory=list)  # when asked for

    @property
    def ok(self) -> bool:
        return not (self.failures or self.skipped or self.held or self.stopped
                    or self.interrupted)
