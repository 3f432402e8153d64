"""What an apply did: counts, failures, skipped scopes, and why it stopped."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..state.model import State


@dataclass(frozen=True, slots=True)
class Failure:
    """A member or call that did not get done, with ClassIn's reason."""

    address: str
    action: str
    errno: int | None  # None: no answer (outcome unknown)
    meaning: str

    def __str__(self) -> str:
        if self.errno is None:
            return f"{self.address}: {self.action} -> no answer: {self.meaning}"
        return f"{self.address}: {self.action} -> {self.meaning}"


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
    calls_sent: int = 0  # calls that reached ClassIn at least once
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
    stopped: str | None = None  # why the whole run stopped early
    not_sent: int = 0  # calls not sent because the run stopped
    unanswered: int = 0  # calls interrupted before their answer came (outcome unknown)
    interrupted: str | None = None  # the signal that stopped the run (SIGINT, SIGTERM)
    state: State | None = None

    @property
    def ok(self) -> bool:
        return not (self.failures or self.skipped or self.stopped or self.interrupted)
