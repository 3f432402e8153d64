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

from ..model import BatchSizes, Role
from .model import (
    Action,
    ApiAction,
    Call,
    Change,
    GroupChange,
    LessonChange,
    MemberChange,
)

_ADD, _REMOVE = Action.ADD, Action.REMOVE
_STUDENT = Role.STUDENT


def _course_calls(
    out: list[Call],
    course: int,
    identity: int,
    uids: list[int],
    names: list[str | None] | None,
    size: int,
    single: ApiAction,
    multiple: ApiAction,
) -> None:
    n = len(uids)
    if n == 0:
        return
    if n == 1:
        out.append(Call(single, course, identity, None, (uids[0],),
                        (names[0],) if names is not None else ()))
        return
    for i in range(0, n, size):
        out.append(Call(multiple, course, identity, None, tuple(uids[i:i + size]),
                        tuple(names[i:i + size]) if names is not None else ()))


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
        t = type(ch)
        if t is MemberChange:
            if ch.role is _STUDENT:  # type: ignore[union-attr]
                (add_s if ch.action is _ADD else rm_s).append(ch.uid)  # type: ignore[union-attr]
            elif ch.action is _ADD:
                add_a.append(ch.uid)  # type: ignore[union-attr]
                add_a_names.append(ch.name)  # type: ignore[union-attr]
            else:
                rm_a.append(ch.uid)  # type: ignore[union-attr]
        elif t is LessonChange:
            assert isinstance(ch, LessonChange)
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
            if ch.action is _REMOVE:
                assert ch.group_id is not None
                group_del.append(Call(ApiAction.DEL_COURSE_GROUP, course, group_id=ch.group_id))
            elif ch.action is _ADD:
                group_set.append(
                    Call(ApiAction.ADD_COURSE_GROUP, course, group_name=ch.name, teams=ch.teams)
                )
            else:
                group_set.append(
                    Call(
                        ApiAction.EDIT_COURSE_GROUP, course, group_id=ch.group_id,
                        group_name=ch.name, teams=ch.teams,
                    )
                )
    out: list[Call] = []
    _course_calls(out, course, 1, rm_s, None, batch.removals,
                  ApiAction.DEL_COURSE_STUDENT, ApiAction.DEL_COURSE_STUDENT_MULTIPLE)
    _course_calls(out, course, 2, rm_a, None, batch.removals,
                  ApiAction.DEL_COURSE_STUDENT, ApiAction.DEL_COURSE_STUDENT_MULTIPLE)
    _course_calls(out, course, 1, add_s, None, batch.students,
                  ApiAction.ADD_COURSE_STUDENT, ApiAction.ADD_COURSE_STUDENT_MULTIPLE)
    _course_calls(out, course, 2, add_a, add_a_names, batch.auditors,
                  ApiAction.ADD_COURSE_STUDENT, ApiAction.ADD_COURSE_STUDENT_MULTIPLE)
    size = batch.lesson_students
    for lesson in sorted(lesson_rm):
        uids = lesson_rm[lesson]
        for i in range(0, len(uids), size):
            out.append(Call(ApiAction.DEL_CLASS_STUDENT_MULTIPLE, course, None, lesson,
                            tuple(uids[i:i + size])))
    for lesson in sorted(lesson_add):
        uids, names, customs = lesson_add[lesson]
        for i in range(0, len(uids), size):
            out.append(Call(ApiAction.ADD_CLASS_STUDENT_MULTIPLE, course, None, lesson,
                            tuple(uids[i:i + size]), tuple(names[i:i + size]),
                            tuple(customs[i:i + size])))
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
