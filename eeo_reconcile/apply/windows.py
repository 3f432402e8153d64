"""Teaching hours: when apply may take members out (school.apply_windows).

A change during a live lesson takes effect at once (a student removed while in
the classroom is forced out of it), so a school can say when removals may be
sent: a list of windows, each some days of the week and a time of day from-to,
in the school's time zone (`school.timezone`, an IANA name; default
Asia/Shanghai). Outside every window apply sends the adds and holds the
removals (they stay in the next plan), saying when the next window opens;
`apply --ignore-windows` sends them anyway, which the report and the history
say. No windows: removals are sent whenever apply runs, as before.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from ..model import BatchSizes
from ..plan.calls import calls_for_course
from ..plan.changes import Change, removed_uid
from ..plan.plan import Plan

Windows = Sequence[tuple[frozenset[int], str, str]]  # SchoolConfig.apply_windows


def _spans(windows: Windows) -> list[tuple[frozenset[int], _dt.time, _dt.time]]:
    return [(d, _dt.time.fromisoformat(a), _dt.time.fromisoformat(b)) for d, a, b in windows]


def is_open(windows: Windows, tz: str, now: _dt.datetime) -> bool:
    local = now.astimezone(ZoneInfo(tz))
    t = local.time()
    return any(local.weekday() in d and a <= t < b for d, a, b in _spans(windows))


def next_open(windows: Windows, tz: str, now: _dt.datetime) -> _dt.datetime | None:
    """When the next window opens (None: none ever does)."""
    local = now.astimezone(ZoneInfo(tz))
    starts = []
    for ahead in range(8):
        day = local.date() + _dt.timedelta(days=ahead)
        for d, a, _ in _spans(windows):
            at = _dt.datetime.combine(day, a, tzinfo=local.tzinfo)
            if day.weekday() in d and at > local:
                starts.append(at)
    return min(starts) if starts else None


def without_removals(plan: Plan) -> tuple[Plan, int]:
    """The plan less its removals (member and lesson removals; a grouping deleted
    takes no one out of a classroom and stays), its calls made again per course."""
    kept: list[Change] = []
    held = 0
    touched: set[int] = set()
    for c in plan.changes:
        if removed_uid(c) is not None:
            held += 1
            touched.add(c.course)
        else:
            kept.append(c)
    if not held:
        return plan, 0
    batch = plan.school.batch if plan.school is not None else BatchSizes()
    per_course: dict[int, list[Change]] = {}
    for c in kept:
        if c.course in touched:
            per_course.setdefault(c.course, []).append(c)
    calls = [call for call in plan.calls if call.course not in touched]
    for cid in sorted(touched):
        calls.extend(calls_for_course(cid, per_course.get(cid, []), batch))
    return replace(plan, changes=tuple(kept), calls=tuple(calls)), held
