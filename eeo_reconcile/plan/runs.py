"""A plan's changes in runs: the compact form a saved plan file holds them in.

Nearly all of a plan is course members and lesson students, and consecutive
ones share everything but the person: a run is one JSON object for all the
consecutive changes of one course, action, identity (or lesson), reason and
place in the order (`first`),
with their uids (and names, custom columns) as parallel arrays. Groupings and
courses stay as their own change objects (`Change.to_json`). Expanding the
runs in order gives back exactly the changes, in the same order.

    {"action":"add","course":442447,"type":"student","uids":[1001,1002]}
    {"action":"add","course":442447,"lesson":1419691,"type":"lesson-student",
     "uids":[1003],"names":["Ann"],"customs":[null]}

`names` (and `customs`) are left out when every one is null. A million
memberships are some tens of thousands of runs and a tenth of the text of the
one-object-per-change plan document: a saved plan is written, hashed and read
in a fraction of the time. `schemas/plan-file.schema.json` describes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import groupby
from operator import attrgetter
from typing import Any

from .changes import (
    Change,
    LessonChange,
    MemberChange,
    Reason,
    change_from_json,
    member_run,
    parse_action,
    parse_reason,
    parse_role,
)
from .encode import canonical

_member_key = attrgetter("course", "action", "role", "reason", "first")
_lesson_key = attrgetter("course", "lesson", "action", "reason", "first")
_uid_of, _name_of, _custom_of = attrgetter("uid"), attrgetter("name"), attrgetter("custom")
MAX_RUN = 8192  # members in one run: bounded pieces for a course of any size


def run_texts(changes: Sequence[Change]) -> Iterator[str]:
    """Each item of the runs array, as canonical JSON text, in order."""
    for t, same_type in groupby(changes, type):
        if t is MemberChange:
            for (course, action, role, reason, first), group in groupby(same_type,
                                                                        _member_key):
                for run in _pieces(list(group)):
                    d: dict[str, Any] = {"action": action.value, "course": course,
                                         "type": role.value, "uids": list(map(_uid_of, run))}
                    _optional(d, "names", list(map(_name_of, run)))
                    _head(d, reason, first)
                    yield canonical(d)
        elif t is LessonChange:
            for (course, lesson, action, reason, first), group in groupby(same_type,
                                                                          _lesson_key):
                for run in _pieces(list(group)):
                    d = {"action": action.value, "course": course, "lesson": lesson,
                         "type": "lesson-student", "uids": list(map(_uid_of, run))}
                    _optional(d, "names", list(map(_name_of, run)))
                    _optional(d, "customs", list(map(_custom_of, run)))
                    _head(d, reason, first)
                    yield canonical(d)
        else:  # groupings and courses: few, each its own object
            for c in same_type:
                yield canonical(c.to_json())


def _head(d: dict[str, Any], reason: Reason | None, first: bool) -> None:
    if reason is not None:
        d["reason"] = reason.value
    if first:
        d["first"] = True


def _pieces(run: list[Any]) -> Iterator[list[Any]]:
    if len(run) <= MAX_RUN:
        yield run
        return
    for at in range(0, len(run), MAX_RUN):
        yield run[at:at + MAX_RUN]


def _optional(d: dict[str, Any], key: str, values: list[Any]) -> None:
    if values.count(None) != len(values):
        d[key] = values


def is_run(item: Mapping[str, Any]) -> bool:
    """A run (rather than a change object): it has `uids`."""
    return "uids" in item


def changes_from_runs(items: Iterable[Mapping[str, Any]]) -> tuple[Change, ...]:
    """The changes the runs array stands for, in order. Expects items that
    `schemas/plan-file.schema.json` accepts; ValueError when the parallel
    arrays differ in length."""
    out: list[Change] = []
    for item in items:
        if not is_run(item):
            out.append(change_from_json(item))
            continue
        uids = list(map(int, item["uids"]))  # 1.0 is an integer to the schema
        names = _parallel(item, "names", len(uids))
        action = parse_action(item["action"])
        course = int(item["course"])
        reason = parse_reason(item.get("reason"))
        first = item.get("first") is True
        if item["type"] == "lesson-student":
            lesson = int(item["lesson"])
            customs = _parallel(item, "customs", len(uids))
            out.extend([LessonChange(action, course, lesson, u, x, c, reason, first)
                        for u, x, c in zip(uids, names, customs, strict=True)])
        else:
            out.extend(member_run(action, course, parse_role(item["type"]), uids, names,
                                  reason, first))
    return tuple(out)


def _parallel(item: Mapping[str, Any], key: str, n: int) -> Sequence[Any]:
    values: Sequence[Any] | None = item.get(key)
    if values is None:
        return [None] * n
    if len(values) != n:
        raise ValueError(f"a run's {key} and uids differ in length")
    return values
