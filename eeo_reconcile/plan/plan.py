"""The plan: what must change, the calls that make it so, and what it was made against.

A frozen value that renders to the documented JSON (`schemas/plan.schema.json`)
and parses back to an equal value, so a saved plan file round-trips exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..classin.api import Call
from ..model import BatchSizes, Limits, RetryPolicy, SchoolConfig, StateRef
from .changes import Action, Change, Note, change_from_json
from .safety import SafetyReport

PLAN_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Summary:
    add: int
    remove: int
    change: int
    calls: int

    def to_json(self) -> dict[str, int]:
        return {"add": self.add, "remove": self.remove, "change": self.change, "calls": self.calls}


@dataclass(frozen=True)
class Plan:
    """What must change, and the calls that make it so, against one state version."""

    sid: int
    changes: tuple[Change, ...]
    calls: tuple[Call, ...]
    notes: tuple[Note, ...] = ()
    safety: SafetyReport = SafetyReport(0, 500)
    course_names: Mapping[int, str] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    # what the plan was made against (checked by apply of a saved plan)
    lineage: str | None = None
    serial: int = 0
    config_digest: str = ""
    config_root: str = ""
    state_ref: StateRef | None = None
    school: SchoolConfig | None = None

    @property
    def empty(self) -> bool:
        return not self.changes

    def summary(self) -> Summary:
        add = remove = 0
        ADD, REMOVE = Action.ADD, Action.REMOVE
        for c in self.changes:
            a = c.action
            if a is ADD:
                add += 1
            elif a is REMOVE:
                remove += 1
        return Summary(add, remove, len(self.changes) - add - remove, len(self.calls))

    def courses(self) -> list[int]:
        seen: dict[int, None] = {}
        for c in self.changes:
            seen.setdefault(c.course, None)
        return list(seen)

    def to_json(self) -> dict[str, Any]:
        """The documented plan JSON (schemas/plan.schema.json)."""
        return {
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
            "changes": [c.to_json() for c in self.changes],
            "calls": [c.to_json() for c in self.calls],
            "notes": [n.to_json() for n in self.notes],
            "summary": self.summary().to_json(),
            "safety": self.safety.to_json(),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Plan:
        if d.get("format_version") != PLAN_FORMAT_VERSION:
            raise ValueError(f"unsupported plan format_version {d.get('format_version')!r}")
        st = d["state"]
        ref = st.get("ref")
        return cls(
            sid=int(d["sid"]),
            changes=tuple(change_from_json(c) for c in d["changes"]),
            calls=tuple(Call.from_json(c) for c in d["calls"]),
            notes=tuple(Note.from_json(n) for n in d["notes"]),
            safety=SafetyReport.from_json(d["safety"]),
            course_names={int(k): v for k, v in d["courses"].items()},
            targets=tuple(d["targets"]),
            replace=tuple(d["replace"]),
            lineage=st["lineage"],
            serial=int(st["serial"]),
            config_digest=d["config"]["digest"],
            config_root=d["config"]["root"],
            state_ref=StateRef.from_json(ref) if ref else None,
            school=school_from_json(d.get("school")),
        )


def school_json(s: SchoolConfig | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "sid": s.sid, "api_url": s.api_url, "secret_env": s.secret_env,
        "batch": asdict(s.batch), "retry": asdict(s.retry), "limits": asdict(s.limits),
    }


def school_from_json(d: Mapping[str, Any] | None) -> SchoolConfig | None:
    if d is None:
        return None
    return SchoolConfig(
        sid=int(d["sid"]), api_url=d["api_url"], secret_env=d["secret_env"],
        batch=BatchSizes(**d["batch"]), retry=RetryPolicy(**d["retry"]),
        limits=Limits(**d.get("limits", {})),
    )
