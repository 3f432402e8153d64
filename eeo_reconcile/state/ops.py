"""`StateOp`: one confirmed fact to record, and how it changes a course record.

Apply turns every confirmed API result into ops and writes them to the
journal before the next call; the same ops fold into the state (`State.apply`)
and, in the postgres backend, become row writes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model import LessonMember
from .records import CourseRecord, GroupRecord


class OpKind(enum.Enum):
    ADD_STUDENTS = "s+"
    REMOVE_STUDENTS = "s-"
    ADD_AUDITORS = "a+"
    REMOVE_AUDITORS = "a-"
    ADD_LESSON_STUDENTS = "l+"
    REMOVE_LESSON_STUDENTS = "l-"
    SET_GROUP = "g="
    DELETE_GROUP = "g-"


@dataclass(frozen=True, slots=True)
class StateOp:
    """One confirmed fact to record, e.g. "these uids are now students of course C"."""

    kind: OpKind
    course: int
    uids: tuple[int, ...] = ()
    names: tuple[str, ...] = ()  # auditors and lesson students: the name sent
    customs: tuple[str | None, ...] = ()  # lesson students
    lesson: int | None = None
    group_name: str | None = None
    group: GroupRecord | None = None  # SET_GROUP
    group_id: int | None = None  # DELETE_GROUP by ClassIn id (the name may have changed)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"k": self.kind.value, "c": self.course}
        if self.uids:
            d["u"] = list(self.uids)
        if self.names:
            d["n"] = list(self.names)
        if self.customs:
            d["x"] = list(self.customs)
        if self.lesson is not None:
            d["l"] = self.lesson
        if self.group_name is not None:
            d["g"] = self.group_name
        if self.group is not None:
            d["G"] = self.group.to_json()
        if self.group_id is not None:
            d["i"] = self.group_id
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> StateOp:
        return cls(
            kind=OpKind(d["k"]),
            course=int(d["c"]),
            uids=tuple(d.get("u", ())),
            names=tuple(d.get("n", ())),
            customs=tuple(d.get("x", ())),
            lesson=d.get("l"),
            group_name=d.get("g"),
            group=GroupRecord.from_json(d["G"]) if "G" in d else None,
            group_id=d.get("i"),
        )

    def apply_to(self, c: CourseRecord) -> None:
        """Change the course record as this op says."""
        _APPLY[self.kind](self, c)


def _add_students(op: StateOp, c: CourseRecord) -> None:
    c.students.update(op.uids)


def _remove_students(op: StateOp, c: CourseRecord) -> None:
    c.students.difference_update(op.uids)


def _add_auditors(op: StateOp, c: CourseRecord) -> None:
    c.auditors.update(zip(op.uids, op.names, strict=True))


def _remove_auditors(op: StateOp, c: CourseRecord) -> None:
    for u in op.uids:
        c.auditors.pop(u, None)


def _add_lesson_students(op: StateOp, c: CourseRecord) -> None:
    assert op.lesson is not None
    members = c.lessons.setdefault(op.lesson, {})
    for u, n, x in zip(op.uids, op.names, op.customs, strict=True):
        members[u] = LessonMember(name=n, custom=x)


def _remove_lesson_students(op: StateOp, c: CourseRecord) -> None:
    assert op.lesson is not None
    members = c.lessons.get(op.lesson)
    if members is not None:
        for u in op.uids:
            members.pop(u, None)
        if not members:
            del c.lessons[op.lesson]


def _set_group(op: StateOp, c: CourseRecord) -> None:
    assert op.group_name is not None and op.group is not None
    # a rename: the same ClassIn id recorded under another name goes away
    for name, g in list(c.groups.items()):
        if g.id == op.group.id and name != op.group_name:
            del c.groups[name]
    c.groups[op.group_name] = op.group


def _delete_group(op: StateOp, c: CourseRecord) -> None:
    if op.group_id is not None:
        for name, g in list(c.groups.items()):
            if g.id == op.group_id:
                del c.groups[name]
    if op.group_name is not None:
        c.groups.pop(op.group_name, None)


_APPLY = {
    OpKind.ADD_STUDENTS: _add_students,
    OpKind.REMOVE_STUDENTS: _remove_students,
    OpKind.ADD_AUDITORS: _add_auditors,
    OpKind.REMOVE_AUDITORS: _remove_auditors,
    OpKind.ADD_LESSON_STUDENTS: _add_lesson_students,
    OpKind.REMOVE_LESSON_STUDENTS: _remove_lesson_students,
    OpKind.SET_GROUP: _set_group,
    OpKind.DELETE_GROUP: _delete_group,
}
