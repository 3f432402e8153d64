"""From changes to the fewest ClassIn calls, in a safe order.

Per course and identity: one member uses the single endpoint, more use the
`*Multiple` endpoint in chunks of the batch size (30 students, 20 auditors,
30 removals, 30 lesson students per lesson by default). Within a course:

  1. removals that must come first: an identity switch or a --replace (ClassIn
     gives one identity per course, so the old one goes before the new one is
     added), a course student who becomes a lesson student;
  2. adds (course students, auditors), then lesson adds;
  3. the other removals, marked `hold`: the executor holds them back when an
     add of the course failed for a member reason (a typo'd uid must not cost
     the real student the class), and runs them before retrying adds that
     found the course full (130);
  4. grouping deletes, then grouping creates and edits.

All the removals of one identity (or one lesson) go in the same place, so the
number of calls stays the fewest: when one of them must come first, they all
do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace as dc_replace
from typing import cast

from ..classin import api
from ..classin.api import Call, Endpoint
from ..classin.params import AUDITOR, STUDENT
from ..model import BatchSizes, Role
from .changes import (
    Action,
    Change,
    CourseChange,
    GroupChange,
    LessonChange,
    MemberChange,
    Reason,
)

_ADD, _REMOVE = Action.ADD, Action.REMOVE
_STUDENT = Role.STUDENT
_FIRST = (Reason.SWITCH, Reason.REPLACE)  # removals that must precede the adds


def _chunked(
    out: list[Call],
    endpoint: Endpoint,
    batch: BatchSizes,
    course: int,
    uids: Sequence[int],
    names: Sequence[str | None] | None = None,
    customs: Sequence[str | None] | None = None,
    identity: int | None = None,
    lesson: int | None = None,
) -> None:
    """Calls of a batch `endpoint` carrying `uids`, in chunks of its batch size;
    a single member goes through the endpoint's single twin when it has one."""
    n = len(uids)
    if n == 0:
        return
    if n == 1 and endpoint.single is not None:
        out.append(Call(endpoint.single, course, identity, lesson, (uids[0],),
                        (names[0],) if names is not None else ()))
        return
    assert endpoint.batch_size is not None
    size = endpoint.batch_size(batch, identity)
    for i in range(0, n, size):
        out.append(Call(
            endpoint, course, identity, lesson, tuple(uids[i:i + size]),
            tuple(names[i:i + size]) if names is not None else (),
            tuple(customs[i:i + size]) if customs is not None else (),
        ))


def _group_call(course: int, ch: GroupChange) -> Call:
    if ch.action is _REMOVE:
        assert ch.group_id is not None
        return Call(api.DEL_COURSE_GROUP, course, group_id=ch.group_id)
    if ch.action is _ADD:
        return Call(api.ADD_COURSE_GROUP, course, group_name=ch.name, teams=ch.teams)
    return Call(api.EDIT_COURSE_GROUP, course, group_id=ch.group_id, group_name=ch.name,
                teams=ch.teams)


def _early(changes: Sequence[Change],
           lesson_adds: Sequence[Change] | None = None) -> tuple[set[Role], set[int]]:
    """The identities and lessons whose removals must all come before the adds
    (`lesson_adds`: the lesson adds, when `changes` holds only the removals)."""
    adds = changes if lesson_adds is None else lesson_adds
    lesson_added = {ch.uid for ch in adds if type(ch) is LessonChange and ch.action is _ADD}
    roles: set[Role] = set()
    lessons: set[int] = set()
    for ch in changes:
        if ch.action is not _REMOVE:
            continue
        if type(ch) is MemberChange and (ch.reason in _FIRST or ch.uid in lesson_added):
            roles.add(ch.role)
        elif type(ch) is LessonChange and ch.reason in _FIRST:
            lessons.add(ch.lesson)
    return roles, lessons


def apply_order(changes: Sequence[Change]) -> list[Change]:
    """One course's changes in the order the calls carry them out (see above);
    each step keeps the order it was given (students before auditors, by uid)."""
    roles, lessons = _early(changes)
    steps: list[list[Change]] = [[] for _ in range(8)]
    for ch in changes:
        t = type(ch)
        if t is MemberChange:
            if ch.action is _ADD:
                steps[2].append(ch)
            else:
                steps[0 if ch.role in roles else 4].append(ch)  # type: ignore[union-attr]
        elif t is LessonChange:
            if ch.action is _ADD:
                steps[3].append(ch)
            else:
                steps[1 if ch.lesson in lessons else 5].append(ch)  # type: ignore[union-attr]
        elif t is GroupChange:
            steps[6 if ch.action is _REMOVE else 7].append(ch)
        else:
            steps[7].append(ch)
    return [ch for step in steps for ch in step]


def ordered(m_rm: list[Change], m_add: list[Change], l_rm: list[Change],
            l_add: list[Change], g_del: list[Change], g_set: list[Change]) -> list[Change]:
    """`apply_order` of a course whose changes come in these parts (the planner's):
    whole lists are concatenated unless some removal must come first."""
    roles, lessons = _early(m_rm + l_rm, l_add) if m_rm or l_rm else (set(), set())
    if not roles and not lessons:
        return m_add + l_add + m_rm + l_rm + g_del + g_set
    return apply_order(m_rm + m_add + l_rm + l_add + g_del + g_set)


def calls_for_course(course: int, changes: Sequence[Change], batch: BatchSizes) -> list[Call]:
    """The ordered calls that carry out one course's changes."""
    roles, early_lessons = _early(changes)
    early = {STUDENT if r is _STUDENT else AUDITOR for r in roles}
    add_s: list[int] = []
    add_a: list[int] = []
    add_a_names: list[str | None] = []
    rm_s: list[int] = []
    rm_a: list[int] = []
    lesson_rm: dict[int, list[int]] = {}
    lesson_add: dict[int, tuple[list[int], list[str | None], list[str | None]]] = {}
    group_del: list[Call] = []
    group_set: list[Call] = []
    for ch in changes:
        t = type(ch)
        if t is MemberChange:
            m = cast(MemberChange, ch)
            if m.action is _ADD:
                if m.role is _STUDENT:
                    add_s.append(m.uid)
                else:
                    add_a.append(m.uid)
                    add_a_names.append(m.name)
            else:
                (rm_s if m.role is _STUDENT else rm_a).append(m.uid)
        elif t is LessonChange:
            lc = cast(LessonChange, ch)
            if lc.action is _ADD:
                bucket = lesson_add.get(lc.lesson)
                if bucket is None:
                    bucket = lesson_add[lc.lesson] = ([], [], [])
                bucket[0].append(lc.uid)
                bucket[1].append(lc.name)
                bucket[2].append(lc.custom)
            else:
                lesson_rm.setdefault(lc.lesson, []).append(lc.uid)
        elif t is GroupChange:
            gc = cast(GroupChange, ch)
            (group_del if gc.action is _REMOVE else group_set).append(_group_call(course, gc))
    rm = {STUDENT: rm_s, AUDITOR: rm_a}
    adds: dict[int, tuple[list[int], list[str | None]]] = {
        STUDENT: (add_s, [None] * len(add_s)), AUDITOR: (add_a, add_a_names)}
    out: list[Call] = []
    removal = api.DEL_COURSE_STUDENT_MULTIPLE
    lesson_removal = api.DEL_CLASS_STUDENT_MULTIPLE
    for identity in (STUDENT, AUDITOR):
        if identity in early:
            _chunked(out, removal, batch, course, rm[identity], identity=identity)
    for lesson in sorted(early_lessons):
        _chunked(out, lesson_removal, batch, course, lesson_rm[lesson], lesson=lesson)
    for identity in (STUDENT, AUDITOR):
        uids, names = adds[identity]
        _chunked(out, api.ADD_COURSE_STUDENT_MULTIPLE, batch, course, uids,
                 names if identity == AUDITOR else None, identity=identity)
    for lesson in sorted(lesson_add):
        uids, names, customs = lesson_add[lesson]
        _chunked(out, api.ADD_CLASS_STUDENT_MULTIPLE, batch, course, uids, names, customs,
                 lesson=lesson)
    late: list[Call] = []
    for identity in (STUDENT, AUDITOR):
        if identity not in early:
            _chunked(late, removal, batch, course, rm[identity], identity=identity)
    for lesson in sorted(lesson_rm.keys() - early_lessons):
        _chunked(late, lesson_removal, batch, course, lesson_rm[lesson], lesson=lesson)
    out.extend(dc_replace(c, hold=True) for c in late)
    out.extend(group_del)
    out.extend(group_set)
    return out


def minimum_calls(changes: Iterable[Change], batch: BatchSizes) -> int:
    """The fewest calls that can carry `changes` with these batch sizes,
    counted independently of `calls_for_course` (used by tests and benches)."""
    counts: dict[tuple[object, ...], int] = {}
    groups = 0
    for ch in changes:
        if isinstance(ch, GroupChange):
            groups += 1
            continue
        if isinstance(ch, CourseChange):
            continue
        if isinstance(ch, MemberChange):
            key: tuple[object, ...] = ("m", ch.course, ch.role, ch.action)
        else:
            key = ("l", ch.course, ch.lesson, ch.action)
        counts[key] = counts.get(key, 0) + 1
    total = groups
    for key, n in counts.items():
        if key[0] == "m":
            role, action = key[2], key[3]
            if action is Action.ADD:
                size = batch.students if role is Role.STUDENT else batch.auditors
            else:
                size = batch.removals
        else:
            size = batch.lesson_students
        total += -(-n // size)
    return total
