"""Two recorded states compared (`state diff`): what differs, course by course.

Members are compared by set arithmetic on uid-keyed records (`history.
course_events`: fast at any size); what changed inside a grouping is told by
deepdiff, in its readable form, on the grouping's keyed representation (never
on raw lists of members, where a moved member would read as every position
changing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .history import Event, course_events
from .model import State


@dataclass
class CourseDiff:
    course: int
    name: str | None
    events: list[Event]
    drift: dict[str, list[str]] = field(default_factory=dict)  # grouping address -> lines


def _teams(g: Any) -> dict[str, Any]:
    """A grouping keyed for comparison: its id and each uid's team (by leader)."""
    teams = g.get("teams") or []
    return {"id": g.get("id"), "name": g.get("name"),
            "leaders": {t[0] for t in teams if t},
            "team of uid": {u: t[0] for t in teams if t for u in t}}


def group_drift(old: Any, new: Any) -> list[str]:
    from deepdiff import DeepDiff  # only for this report

    d = DeepDiff(_teams(old or {}), _teams(new or {}), ignore_order=True)
    return [line for line in d.pretty().splitlines() if line.strip()]


def diff_states(a: State, b: State) -> list[CourseDiff]:
    out = []
    for cid in sorted(a.courses.keys() | b.courses.keys()):
        x, y = a.courses.get(cid), b.courses.get(cid)
        if x is not None and y is not None and x == y:
            continue
        events = course_events(cid, x, y)
        if not events:
            continue
        cd = CourseDiff(cid, (y.name if y else None) or (x.name if x else None), events)
        for e in events:
            if e.action == "edit":
                cd.drift[e.address] = group_drift(e.old, e.new)
        out.append(cd)
    return out
