"""The mass-removal guard: which limits a plan exceeds, and how to allow it.

Per course, removals are weighed against the course's recorded members
(courses with at least `min_course_size`); across the plan, against
`max_removals`. Identity switches and `--replace` do not count (the member
stays), nor do grouping deletes (they are not members). A finding says which
limit tripped, where the limit comes from, and both ways to override it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Config, Safety
from ..state.model import State
from .changes import Action, Change, GroupChange, Reason


@dataclass(frozen=True, slots=True)
class SafetyFinding:
    """One limit of the mass-removal guard that this plan exceeds."""

    scope: str  # "course" or "total"
    removals: int
    limit: float  # a fraction (course) or a count (total)
    setting: str  # where the limit comes from, for the message
    course: int | None = None
    course_name: str | None = None
    recorded: int | None = None

    def message(self) -> str:
        if self.scope == "course":
            label = f"course {self.course}" + (f" ({self.course_name})" if self.course_name else "")
            pct = 100.0 * self.removals / max(1, self.recorded or 0)
            return (
                f"{label}: {self.removals} of {self.recorded} recorded members would be "
                f"removed ({pct:.0f}%), above max_removal_fraction {self.limit:g} "
                f"({self.setting}). To allow it, set `safety: {{max_removal_fraction: "
                f"{_ceil2(self.removals / max(1, self.recorded or 0))}}}` on the course in the "
                "configuration, or pass --allow-mass-removal."
            )
        return (
            f"the plan removes {self.removals} members in all, above max_removals "
            f"{int(self.limit)} ({self.setting}). To allow it, raise `safety: {{max_removals: "
            f"{self.removals}}}` in the configuration, or pass --allow-mass-removal."
        )

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "scope": self.scope, "removals": self.removals, "limit": self.limit,
            "setting": self.setting, "message": self.message(),
        }
        if self.course is not None:
            d["course"] = self.course
            d["course_name"] = self.course_name
            d["recorded"] = self.recorded
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SafetyFinding:
        return cls(
            d["scope"], int(d["removals"]), d["limit"], d["setting"],
            d.get("course"), d.get("course_name"), d.get("recorded"),
        )


def _ceil2(x: float) -> str:
    return f"{min(1.0, math.ceil(x * 100) / 100):g}"


@dataclass(frozen=True)
class SafetyReport:
    total_removals: int
    max_removals: int
    findings: tuple[SafetyFinding, ...] = ()

    @property
    def tripped(self) -> bool:
        return bool(self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": not self.tripped,
            "total_removals": self.total_removals,
            "max_removals": self.max_removals,
            "findings": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SafetyReport:
        return cls(
            int(d["total_removals"]), int(d["max_removals"]),
            tuple(SafetyFinding.from_json(f) for f in d["findings"]),
        )


def removal_count(changes: Iterable[Change]) -> int:
    """Removals that take a member away (not switches, replacements or groupings)."""
    n = 0
    for c in changes:
        if (
            c.action is Action.REMOVE
            and type(c) is not GroupChange
            and c.reason is not Reason.SWITCH
            and c.reason is not Reason.REPLACE
        ):
            n += 1
    return n


def check_safety(
    per_course: Mapping[int, Sequence[Change]],
    config: Config,
    state: State,
) -> SafetyReport:
    """Which limits this plan exceeds, per course and in all."""
    safety: Safety = config.safety
    defaults = Safety()
    findings: list[SafetyFinding] = []
    total = 0
    for cid, changes in per_course.items():
        removals = removal_count(changes)
        if not removals:
            continue
        total += removals
        rec = state.courses.get(cid)
        recorded = rec.member_count() if rec else 0
        spec = config.courses.get(cid)
        if spec is not None and spec.max_removal_fraction is not None:
            limit, setting = spec.max_removal_fraction, f"set on course {cid}"
        elif safety.max_removal_fraction != defaults.max_removal_fraction:
            limit, setting = safety.max_removal_fraction, "the `safety` block"
        else:
            limit, setting = safety.max_removal_fraction, "the default"
        if recorded >= safety.min_course_size and removals > limit * recorded:
            name = spec.name if spec else None
            findings.append(SafetyFinding(
                "course", removals, limit, setting, cid, name, recorded,
            ))
    if total > safety.max_removals:
        setting = (
            "the `safety` block" if safety.max_removals != defaults.max_removals
            else "the default"
        )
        findings.append(SafetyFinding("total", total, float(safety.max_removals), setting))
    return SafetyReport(total, safety.max_removals, tuple(findings))
