"""The plan: what must change, the calls that make it so, and what it was made against.

A frozen value that renders to the documented JSON (`schemas/plan.schema.json`)
and parses back to an equal value, so a saved plan file round-trips exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..classin.api import Call
from ..model import (
    AccountsPolicy,
    BatchSizes,
    Limits,
    OnNameChange,
    Redact,
    RetryPolicy,
    SchoolConfig,
    StateRef,
)
from .changes import Action, Change, CourseChange, Note, changes_from_json
from .labels import LabelUpdate
from .people import AccountChange, PendingMember
from .safety import SafetyReport

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Summary:
    add: int
    remove: int
    change: int
    calls: int
    forget: int = 0  # courses no longer managed (retired_courses: forget)
    labels: int = 0  # names recorded in the state (no ClassIn call)
    register: int = 0  # accounts to register (people whose uid is not recorded)
    rename: int = 0  # console names to set (editSchoolStudent)
    pending: int = 0  # members added once their account is registered (known after apply)

    def to_json(self) -> dict[str, int]:
        return {"add": self.add, "remove": self.remove, "change": self.change,
                "calls": self.calls, "forget": self.forget, "labels": self.labels,
                "register": self.register, "rename": self.rename, "pending": self.pending}


@dataclass(frozen=True)
class Plan:
    """What must change, and the calls that make it so, against one state version."""

    sid: int
    changes: tuple[Change, ...]
    calls: tuple[Call, ...]
    notes: tuple[Note, ...] = ()
    safety: SafetyReport = SafetyReport(0, 500)
    course_names: Mapping[int, str] = field(default_factory=dict)
    lesson_names: Mapping[tuple[int, int], str] = field(default_factory=dict)
    labels: tuple[LabelUpdate, ...] = ()  # names to record in the state (no call)
    accounts: tuple[AccountChange, ...] = ()  # people to register or rename
    pending: tuple[PendingMember, ...] = ()  # members known after apply registers them
    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    # what the plan was made against (checked by apply of a saved plan)
    lineage: str | None = None
    serial: int = 0
    config_digest: str = ""
    config_root: str = ""
    state_ref: StateRef | None = None
    school: SchoolConfig | None = None
    # the state's redaction salt: keys the uid hashes when the secret is not set.
    # Never rendered; a saved plan file keeps it beside the plan (it holds the
    # full data anyway).
    salt: str | None = field(default=None, compare=False, repr=False)

    @property
    def empty(self) -> bool:
        """Nothing to do: no change, no name to record, no account to register."""
        return not self.changes and not self.labels and not self.accounts and not self.pending

    @property
    def waiting(self) -> tuple[Note, ...]:
        """Work waiting for a person (pending notes): apply cannot do it, but
        ClassIn and the configuration differ until someone does."""
        return tuple(n for n in self.notes if n.pending)

    @property
    def settled(self) -> bool:
        """Nothing to do and nothing waiting: "No changes." is true."""
        return self.empty and not self.waiting

    def summary(self) -> Summary:
        add = remove = forget = 0
        ADD, REMOVE = Action.ADD, Action.REMOVE
        for c in self.changes:
            a = c.action
            if a is ADD:
                add += 1
            elif a is REMOVE:
                if type(c) is CourseChange:
                    forget += 1
                else:
                    remove += 1
        register = sum(1 for a in self.accounts if a.action is ADD)
        return Summary(add, remove, len(self.changes) - add - remove - forget, len(self.calls),
                       forget, len(self.labels), register, len(self.accounts) - register,
                       len(self.pending))

    def lesson_name(self, course: int, lesson: int) -> str | None:
        return self.lesson_names.get((course, lesson))

    def courses(self) -> list[int]:
        seen: dict[int, None] = {}
        for c in self.changes:
            seen.setdefault(c.course, None)
        return list(seen)

    def to_json(self, changes: bool = True, calls: bool = True) -> dict[str, Any]:
        """The documented plan JSON (schemas/plan.schema.json); without the
        changes or the calls when asked (`plan.encode` writes those itself)."""
        d = {
            "format_version": PLAN_FORMAT_VERSION,
            "sid": self.sid,
            "state": {
                "lineage": self.lineage,
                "serial": self.serial,
                "ref": self.state_ref.to_json() if self.state_ref else None,
            },
            "config": {"root": self.config_root, "digest": self.config_digest},
            "school": school_json(self.school),
            "targets": list(self.targets),
            "replace": list(self.replace),
            "courses": {str(k): v for k, v in sorted(self.course_names.items())},
            "lessons": lessons_json(self.lesson_names),
            "labels": [u.to_json() for u in self.labels],
            "accounts": [a.to_json() for a in self.accounts],
            "pending": [m.to_json() for m in self.pending],
            "notes": [n.to_json() for n in self.notes],
            "summary": self.summary().to_json(),
            "safety": self.safety.to_json(),
        }
        if changes:
            d["changes"] = [c.to_json() for c in self.changes]
        if calls:
            d["calls"] = [c.to_json() for c in self.calls]
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any], calls: bool = True) -> Plan:
        """The plan a document describes; `calls=False` leaves its calls out (a
        saved plan's are made again from its changes)."""
        if d.get("format_version") != PLAN_FORMAT_VERSION:
            raise ValueError(f"unsupported plan format_version {d.get('format_version')!r}")
        st = d["state"]
        ref = st.get("ref")
        return cls(
            sid=int(d["sid"]),
            changes=changes_from_json(d["changes"]),
            calls=tuple(Call.from_json(c) for c in d["calls"]) if calls else (),
            notes=tuple(Note.from_json(n) for n in d["notes"]),
            safety=SafetyReport.from_json(d["safety"]),
            course_names={int(k): v for k, v in d["courses"].items()},
            lesson_names={(int(c), int(lid)): str(n)
                          for c, ls in d.get("lessons", {}).items() for lid, n in ls.items()},
            labels=tuple(LabelUpdate.from_json(u) for u in d.get("labels", ())),
            accounts=tuple(AccountChange.from_json(a) for a in d.get("accounts", ())),
            pending=tuple(PendingMember.from_json(m) for m in d.get("pending", ())),
            targets=tuple(d["targets"]),
            replace=tuple(d["replace"]),
            lineage=st["lineage"],
            serial=int(st["serial"]),
            config_digest=d["config"]["digest"],
            config_root=d["config"]["root"],
            state_ref=StateRef.from_json(ref) if ref else None,
            school=school_from_json(d.get("school")),
        )


def lessons_json(names: Mapping[tuple[int, int], str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for (c, lid), n in sorted(names.items()):
        out.setdefault(str(c), {})[str(lid)] = n
    return out


def school_json(s: SchoolConfig | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "sid": s.sid, "api_url": s.api_url, "secret_env": s.secret_env,
        "batch": asdict(s.batch), "retry": asdict(s.retry), "limits": asdict(s.limits),
        "redact": s.redact.value, "on_name_change": s.on_name_change.value,
        "accounts": {"register": s.accounts.register,
                     "password_env": s.accounts.password_env},
    }


def school_from_json(d: Mapping[str, Any] | None) -> SchoolConfig | None:
    if d is None:
        return None
    return SchoolConfig(
        sid=int(d["sid"]), api_url=d["api_url"], secret_env=d["secret_env"],
        batch=BatchSizes(**d["batch"]), retry=RetryPolicy(**d["retry"]),
        limits=Limits(**d.get("limits", {})),
        redact=Redact(d.get("redact", "none")),
        on_name_change=OnNameChange(d.get("on_name_change", "note")),
        accounts=AccountsPolicy(**d.get("accounts", {})),
    )
