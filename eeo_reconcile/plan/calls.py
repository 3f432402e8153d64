"""From changes to the fewest ClassIn calls.

Per course and identity: one member uses the single endpoint, more use the
`*Multiple` endpoint in chunks of the batch size (30 students, 20 auditors,
30 removals, 30 lesson students per lesson by default). Within a course the
calls run in a fixed order: removals, adds, lesson removals, lesson adds,
group deletes, then group adds and edits. Removals first is what makes a
student <-> auditor switch and a lesson/course move work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..classin import api
from ..classin.api import AUDITOR, STUDENT, Call, Endpoint
from ..model import BatchSizes, Role
from .changes import Action, Change, GroupChange, LessonChange, MemberChange

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


def calls_for_course(course: int, changes: Sequence[Change], batch: BatchSizes) -> list[Call]:
    """The ordered calls that carry out one course's changes."""
    rm_s: list[int] = []
    rm_a: list[int] = []
    add_s: list[int] = []
    add_a: list[int] = []
    add_a_names: list[str | None] = []
    lesson_rm: dict[int, list[int]] = {}
    lesson_add: dict[int, tuple[list[int], list[str | None], list[str | None]]] = {}
    group_del: list[Call] = []
    group_set: list[Call] = []
    for ch in changes:
        if type(ch) is MemberChange:
            if ch.role is _STUDENT:
                (add_s if ch.action is _ADD else rm_s).append(ch.uid)
            elif ch.action is _ADD:
                add_a.append(ch.uid)
                add_a_names.append(ch.name)
            else:
                rm_a.append(ch.uid)
        elif type(ch) is LessonChange:
            if ch.action is _ADD:
                bucket = lesson_add.get(ch.lesson)
                if bucket is None:
                    bucket = lesson_add[ch.lesson] = ([], [], [])
                bucket[0].append(ch.uid)
                bucket[1].append(ch.name)
                bucket[2].append(ch.custom)
            else:
                lesson_rm.setdefault(ch.lesson, []).append(ch.uid)
        else:
            assert isinstance(ch, GroupChange)
            (group_del if ch.action is _REMOVE else group_set).append(_group_call(course, ch))
    out: list[Call] = []
    members = api.DEL_COURSE_STUDENT_MULTIPLE
    _chunked(out, members, batch, course, rm_s, identity=STUDENT)
    _chunked(out, members, batch, course, rm_a, identity=AUDITOR)
    members = api.ADD_COURSE_STUDENT_MULTIPLE
    _chunked(out, members, batch, course, add_s, identity=STUDENT)
    _chunked(out, members, batch, course, add_a, add_a_names, identity=AUDITOR)
    for lesson in sorted(lesson_rm):
        _chunked(out, api.DEL_CLASS_STUDENT_MULTIPLE, batch, course, lesson_rm[lesson],
                 lesson=lesson)
    for lesson in sorted(lesson_add):
        uids, names, customs = lesson_add[lesson]
        _chunked(out, api.ADD_CLASS_STUDENT_MULTIPLE, batch, course, uids, names, customs,
                 lesson=lesson)
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
