"""From changes to the fewest ClassIn calls, in a safe order.

Per course and identity: one member uses the single endpoint, more use the
`*Multiple` endpoint in chunks of the batch size (30 students, 20 auditors,
30 removals, 30 lesson students per lesson by default). Within a course:

  1. removals that must come first, as the planner marked them (`first`): an
     identity switch or a --replace (ClassIn gives one identity per course, so
     the old one goes before the new one is added), a course student who
     becomes a lesson student. The change's `reason` is for people only;
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

from collections.abc import Sequence
from dataclasses import replace as dc_replace
from typing import NoReturn

from ..classin import api
from ..classin.api import Call, Endpoint
from ..classin.params import AUDITOR, STUDENT
from ..model import BatchSizes, Role
from ..never import assert_never
from .changes import (
    Action,
    Change,
    CourseChange,
    GroupChange,
    LessonChange,
    MemberChange,
)

_ADD, _REMOVE = Action.ADD, Action.REMOVE
_STUDENT = Role.STUDENT


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
    labels: Sequence[str | None] | None = None,
) -> None:
    """Calls of a batch `endpoint` carrying `uids`, in chunks of its batch size;
    a single member goes through the endpoint's single twin when it has one
    (with everything the batch would carry for it: name, custom column, label)."""
    n = len(uids)
    if n == 0:
        return
    if n == 1 and endpoint.single is not None:
        out.append(Call(endpoint.single, course, identity, lesson, (uids[0],),
                        (names[0],) if names is not None else (),
                        (customs[0],) if customs is not None else (),
                        labels=(labels[0],) if labels is not None else ()))
        return
    assert endpoint.batch_size is not None
    size = endpoint.batch_size(batch, identity)
    for i in range(0, n, size):
        out.append(Call(
            endpoint, course, identity, lesson, tuple(uids[i:i + size]),
            tuple(names[i:i + size]) if names is not None else (),
            tuple(customs[i:i + size]) if customs is not None else (),
            labels=tuple(labels[i:i + size]) if labels is not None else (),
        ))


def _no_member_change(ch: MemberChange | LessonChange) -> NoReturn:
    """ClassIn cannot change a member in place: a plan never holds such a change
    (a saved plan that does is refused where its calls are made again)."""
    raise ValueError(f"{ch.address}: a member cannot be changed in place, only added "
                     "or removed")


def _adds(ch: MemberChange | LessonChange) -> bool:
    """Whether a member change adds (else it removes); a change in place is refused."""
    match ch.action:
        case Action.ADD:
            return True
        case Action.REMOVE:
            return False
        case Action.CHANGE:
            _no_member_change(ch)
        case _:
            assert_never(ch.action)


def _group_call(course: int, ch: GroupChange) -> Call:
    match ch.action:
        case Action.REMOVE:
            assert ch.group_id is not None
            return Call(api.DEL_COURSE_GROUP, course, group_id=ch.group_id)
        case Action.ADD:
            return Call(api.ADD_COURSE_GROUP, course, group_name=ch.name, teams=ch.teams)
        case Action.CHANGE:
            return Call(api.EDIT_COURSE_GROUP, course, group_id=ch.group_id,
                        group_name=ch.name, teams=ch.teams)
        case _:
            assert_never(ch.action)


def _early(changes: Sequence[Change]) -> tuple[set[Role], set[int]]:
    """The identities and lessons whose removals must all come before the adds:
    those with a removal the planner marked `first`."""
    roles: set[Role] = set()
    lessons: set[int] = set()
    for ch in changes:
        if ch.action is not _REMOVE:
            continue
        match ch:
            case MemberChange():
                if ch.first:
                    roles.add(ch.role)
            case LessonChange():
                if ch.first:
                    lessons.add(ch.lesson)
            case GroupChange() | CourseChange():
                pass
            case _:
                assert_never(ch)
    return roles, lessons


# The steps of a course's apply order (see the module's docstring).
_EARLY_MEMBER_RM, _EARLY_LESSON_RM, _MEMBER_ADD, _LESSON_ADD = 0, 1, 2, 3
_MEMBER_RM, _LESSON_RM, _GROUP_DEL, _GROUP_SET = 4, 5, 6, 7


def _step(ch: Change, roles: set[Role], lessons: set[int]) -> int:
    """Which step of the apply order carries `ch`."""
    match ch:
        case MemberChange():
            if _adds(ch):
                return _MEMBER_ADD
            return _EARLY_MEMBER_RM if ch.role in roles else _MEMBER_RM
        case LessonChange():
            if _adds(ch):
                return _LESSON_ADD
            return _EARLY_LESSON_RM if ch.lesson in lessons else _LESSON_RM
        case GroupChange():
            return _GROUP_DEL if ch.action is _REMOVE else _GROUP_SET
        case CourseChange():
            return _GROUP_SET  # no call: last, with the course's other bookkeeping
        case _:
            assert_never(ch)


def apply_order(changes: Sequence[Change]) -> list[Change]:
    """One course's changes in the order the calls carry them out (see above);
    each step keeps the order it was given (students before auditors, by uid)."""
    roles, lessons = _early(changes)
    steps: list[list[Change]] = [[] for _ in range(_GROUP_SET + 1)]
    for ch in changes:
        steps[_step(ch, roles, lessons)].append(ch)
    return [ch for step in steps for ch in step]


def ordered(m_rm: list[Change], m_add: list[Change], l_rm: list[Change],
            l_add: list[Change], g_del: list[Change], g_set: list[Change]) -> list[Change]:
    """`apply_order` of a course whose changes come in these parts (the planner's):
    whole lists are concatenated unless some removal must come first."""
    roles, lessons = _early(m_rm + l_rm) if m_rm or l_rm else (set(), set())
    if not roles and not lessons:
        return m_add + l_add + m_rm + l_rm + g_del + g_set
    return apply_order(m_rm + m_add + l_rm + l_add + g_del + g_set)


def _identity(role: Role) -> int:
    match role:
        case Role.STUDENT:
            return STUDENT
        case Role.AUDITOR:
            return AUDITOR
        case _:
            assert_never(role)


def calls_for_course(course: int, changes: Sequence[Change], batch: BatchSizes) -> list[Call]:
    """The ordered calls that carry out one course's changes."""
    roles, early_lessons = _early(changes)
    early = {_identity(r) for r in roles}
    add_s: list[int] = []
    add_s_labels: list[str | None] = []  # recorded with the students, never sent
    add_a: list[int] = []
    add_a_names: list[str | None] = []
    rm_s: list[int] = []
    rm_a: list[int] = []
    lesson_rm: dict[int, list[int]] = {}
    lesson_add: dict[int, tuple[list[int], list[str | None], list[str | None]]] = {}
    group_del: list[Call] = []
    group_set: list[Call] = []
    for ch in changes:
        match ch:
            case MemberChange():
                if not _adds(ch):
                    (rm_s if ch.role is _STUDENT else rm_a).append(ch.uid)
                    continue
                match ch.role:
                    case Role.STUDENT:
                        add_s.append(ch.uid)
                        add_s_labels.append(ch.name)
                    case Role.AUDITOR:
                        add_a.append(ch.uid)
                        add_a_names.append(ch.name)
                    case _:
                        assert_never(ch.role)
            case LessonChange():
                if not _adds(ch):
                    lesson_rm.setdefault(ch.lesson, []).append(ch.uid)
                    continue
                bucket = lesson_add.get(ch.lesson)
                if bucket is None:
                    bucket = lesson_add[ch.lesson] = ([], [], [])
                bucket[0].append(ch.uid)
                bucket[1].append(ch.name)
                bucket[2].append(ch.custom)
            case GroupChange():
                (group_del if ch.action is _REMOVE else group_set).append(
                    _group_call(course, ch))
            case CourseChange():
                pass  # no call: apply drops the course from the state
            case _:
                assert_never(ch)
    rm = {STUDENT: rm_s, AUDITOR: rm_a}
    labelled = any(n is not None for n in add_s_labels)
    adds: dict[int, tuple[list[int], list[str | None] | None, list[str | None] | None]] = {
        STUDENT: (add_s, None, add_s_labels if labelled else None),
        AUDITOR: (add_a, add_a_names, None)}
    out: list[Call] = []
    removal = api.DEL_COURSE_STUDENT_MULTIPLE
    lesson_removal = api.DEL_CLASS_STUDENT_MULTIPLE
    for identity in (STUDENT, AUDITOR):
        if identity in early:
            _chunked(out, removal, batch, course, rm[identity], identity=identity)
    for lesson in sorted(early_lessons):
        _chunked(out, lesson_removal, batch, course, lesson_rm[lesson], lesson=lesson)
    for identity in (STUDENT, AUDITOR):
        uids, names, labels = adds[identity]
        _chunked(out, api.ADD_COURSE_STUDENT_MULTIPLE, batch, course, uids, names,
                 identity=identity, labels=labels)
    for lesson in sorted(lesson_add):
        uids, names, customs = lesson_add[lesson]  # names: labels, recorded, never sent
        _chunked(out, api.ADD_CLASS_STUDENT_MULTIPLE, batch, course, uids, None, customs,
                 lesson=lesson, labels=names)
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
