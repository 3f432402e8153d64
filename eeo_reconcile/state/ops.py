"""`StateOp`: one confirmed fact to record, and how it changes a course record.

Apply turns every confirmed API result into ops and writes them to the
journal before the next call; the same ops fold into the state (`State.apply`)
and, in the postgres backend, become row writes. A journal line can be
damaged or planted, so `StateOp.from_json` checks every field.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ..model import LessonMember, Team
from ..never import assert_never
from .records import CourseRecord, GroupRecord, PersonRecord, Unconfirmed, UnconfirmedGroup


class OpKind(enum.Enum):
    ADD_STUDENTS = "s+"
    REMOVE_STUDENTS = "s-"
    ADD_AUDITORS = "a+"
    REMOVE_AUDITORS = "a-"
    ADD_LESSON_STUDENTS = "l+"
    REMOVE_LESSON_STUDENTS = "l-"
    SET_GROUP = "g="
    DELETE_GROUP = "g-"
    # a create whose outcome is not known: about to be sent, or answered 892
    GROUP_UNCONFIRMED = "g?"
    GROUP_NOT_CREATED = "g!"  # ClassIn refused the create: it does not exist
    # names that are only labels (no ClassIn call): a course's or a lesson's name,
    # students' labels; and a course no longer managed (retired_courses: forget)
    NAME = "n="
    LABELS = "s~"
    FORGET_COURSE = "c-"
    # a person's account registered (or found) and its uid learned, or the name the
    # school's console shows set: school-wide, not a course's (course 0)
    SET_PERSON = "p="


@dataclass(frozen=True, slots=True)
class StateOp:
    """One confirmed fact to record, e.g. "these uids are now students of course C"."""

    kind: OpKind
    course: int
    uids: tuple[int, ...] = ()
    names: tuple[str | None, ...] = ()  # auditors, lesson students: the name sent; students: labels
    customs: tuple[str | None, ...] = ()  # lesson students
    lesson: int | None = None
    group_name: str | None = None
    group: GroupRecord | None = None  # SET_GROUP
    group_id: int | None = None  # DELETE_GROUP by ClassIn id (the name may have changed)
    teams: tuple[Team, ...] = ()  # GROUP_UNCONFIRMED: the teams sent
    reason: Unconfirmed | None = None  # GROUP_UNCONFIRMED
    title: str | None = None  # NAME: the course's (lesson None) or the lesson's name
    person_key: str | None = None  # SET_PERSON: the person's key
    person: PersonRecord | None = None  # SET_PERSON

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
        if self.teams:
            d["t"] = [list(t.uids()) for t in self.teams]
        if self.reason is not None:
            d["r"] = self.reason.value
        if self.title is not None:
            d["T"] = self.title
        if self.person_key is not None:
            d["K"] = self.person_key
        if self.person is not None:
            d["P"] = list(self.person)
        return d

    @classmethod
    def from_json(cls, d: Any) -> StateOp:
        """An op from a journal line; ValueError saying what is wrong."""
        if type(d) is not dict or not d.keys() <= _KEYS:
            raise ValueError("an op is an object with the keys " + ", ".join(sorted(_KEYS)))
        kind = OpKind(d.get("k"))
        uids = _ids(d.get("u", []), "u")
        names = _texts(d.get("n", []), "n")
        customs = _texts(d.get("x", []), "x")
        if names and len(names) != len(uids) or customs and len(customs) != len(uids):
            raise ValueError("names and customs go one per uid")
        if kind in (OpKind.ADD_AUDITORS, OpKind.ADD_LESSON_STUDENTS) and len(names) != len(uids):
            raise ValueError("an add of auditors or lesson students names every uid")
        if kind is OpKind.LABELS and (len(names) != len(uids) or None in names):
            raise ValueError("a labels op gives a label (a text) per uid")
        if kind is OpKind.ADD_LESSON_STUDENTS and len(customs) != len(uids):
            raise ValueError("an add of lesson students has a custom (or null) per uid")
        group = d.get("G")
        teams = d.get("t", [])
        reason = d.get("r")
        if kind is OpKind.SET_PERSON:
            return _person_op(d)
        op = cls(
            kind=kind, course=_id(d.get("c"), "c"), uids=tuple(uids), names=tuple(names),
            customs=tuple(customs), lesson=_opt_id(d.get("l"), "l"),
            group_name=_opt_text(d.get("g"), "g"),
            group=GroupRecord(_id(group.get("id"), "G.id"), _teams(group.get("teams"), "G"))
            if type(group) is dict else None,
            group_id=_opt_id(d.get("i"), "i"),
            teams=_teams(teams, "t"),
            reason=Unconfirmed(reason) if reason is not None else None,
            title=_opt_text(d.get("T"), "T"),
        )
        needs = _NEEDS.get(kind, ())
        for attr in needs:
            if getattr(op, attr) is None:
                raise ValueError(f"a {kind.value} op needs {attr}")
        return op

    def apply_to(self, c: CourseRecord) -> None:
        """Change the course record as this op says."""
        _apply(self, c)


_KEYS = frozenset(["k", "c", "u", "n", "x", "l", "g", "G", "i", "t", "r", "T", "K", "P"])


def _person_op(d: dict[str, Any]) -> StateOp:
    key, p = d.get("K"), d.get("P")
    if d.get("c") != 0 or d.keys() - {"k", "c", "K", "P"}:
        raise ValueError("a p= op has c 0, K and P only")
    if type(key) is not str or not 0 < len(key) <= 64:
        raise ValueError("K must be a person's key (1 to 64 characters)")
    if (type(p) is not list or len(p) != 3 or type(p[0]) is not int or p[0] < 1
            or type(p[1]) is not str or type(p[2]) is not str):
        raise ValueError("P must be [uid, name, account digest]")
    return StateOp(OpKind.SET_PERSON, 0, person_key=key, person=PersonRecord(*p))


def person_op(key: str, person: PersonRecord) -> StateOp:
    """The op recording what is known of person `key`."""
    return StateOp(OpKind.SET_PERSON, 0, person_key=key, person=person)
_NEEDS = {
    OpKind.ADD_LESSON_STUDENTS: ("lesson",), OpKind.REMOVE_LESSON_STUDENTS: ("lesson",),
    OpKind.SET_GROUP: ("group_name", "group"), OpKind.GROUP_UNCONFIRMED: ("group_name", "reason"),
    OpKind.GROUP_NOT_CREATED: ("group_name",), OpKind.NAME: ("title",),
}


def _id(v: Any, what: str) -> int:
    if type(v) is not int or v < 1:
        raise ValueError(f"{what} must be a positive whole number")
    return v


def _opt_id(v: Any, what: str) -> int | None:
    return None if v is None else _id(v, what)


def _opt_text(v: Any, what: str) -> str | None:
    if v is not None and type(v) is not str:
        raise ValueError(f"{what} must be a text")
    return v


def _ids(v: Any, what: str) -> list[int]:
    if type(v) is not list or (v and (set(map(type, v)) != {int} or min(v) < 1)):
        raise ValueError(f"{what} must be a list of positive whole numbers")
    return v


def _texts(v: Any, what: str) -> list[str | None]:
    if type(v) is not list or not set(map(type, v)) <= {str, type(None)}:
        raise ValueError(f"{what} must be a list of texts")
    return v


def _teams(v: Any, what: str) -> tuple[Team, ...]:
    if type(v) is not list:
        raise ValueError(f"{what} teams must be a list")
    out = []
    for t in v:
        _ids(t, f"{what} team")
        if not t:
            raise ValueError(f"{what} has an empty team")
        out.append(Team(t[0], tuple(t[1:])))
    return tuple(out)


def _add_students(op: StateOp, c: CourseRecord) -> None:
    c.students.update(op.uids)
    if op.names:
        for u, label in zip(op.uids, op.names, strict=True):
            if label is not None:
                c.labels[u] = label
            else:
                c.labels.pop(u, None)


def _remove_students(op: StateOp, c: CourseRecord) -> None:
    c.students.difference_update(op.uids)
    for u in op.uids:
        c.labels.pop(u, None)


def _add_auditors(op: StateOp, c: CourseRecord) -> None:
    c.auditors.update(zip(op.uids, (n or "" for n in op.names), strict=True))


def _remove_auditors(op: StateOp, c: CourseRecord) -> None:
    for u in op.uids:
        c.auditors.pop(u, None)


def _add_lesson_students(op: StateOp, c: CourseRecord) -> None:
    assert op.lesson is not None
    members = c.lessons.setdefault(op.lesson, {})
    for u, n, x in zip(op.uids, op.names, op.customs, strict=True):
        members[u] = LessonMember(name=n or "", custom=x)


def _remove_lesson_students(op: StateOp, c: CourseRecord) -> None:
    assert op.lesson is not None
    members = c.lessons.get(op.lesson)
    if members is not None:
        for u in op.uids:
            members.pop(u, None)
        if not members:
            del c.lessons[op.lesson]
            c.lesson_names.pop(op.lesson, None)


def _set_group(op: StateOp, c: CourseRecord) -> None:
    assert op.group_name is not None and op.group is not None
    # a rename: the same ClassIn id recorded under another name goes away
    for name, g in list(c.groups.items()):
        if g.id == op.group.id and name != op.group_name:
            del c.groups[name]
    c.groups[op.group_name] = op.group
    c.unconfirmed.pop(op.group_name, None)  # its id is known now


def _delete_group(op: StateOp, c: CourseRecord) -> None:
    if op.group_id is not None:
        for name, g in list(c.groups.items()):
            if g.id == op.group_id:
                del c.groups[name]
        for name, u in list(c.unconfirmed.items()):  # one adopted by the id given
            if u.id == op.group_id:
                del c.unconfirmed[name]
    if op.group_name is not None:
        c.groups.pop(op.group_name, None)


def _group_unconfirmed(op: StateOp, c: CourseRecord) -> None:
    assert op.group_name is not None and op.reason is not None
    c.unconfirmed[op.group_name] = UnconfirmedGroup(op.teams, op.reason)


def _group_not_created(op: StateOp, c: CourseRecord) -> None:
    assert op.group_name is not None
    c.unconfirmed.pop(op.group_name, None)


def _name(op: StateOp, c: CourseRecord) -> None:
    assert op.title is not None
    if op.lesson is None:
        c.name = op.title
    elif c.lessons.get(op.lesson):  # a lesson's name is kept while it has students
        c.lesson_names[op.lesson] = op.title


def _labels(op: StateOp, c: CourseRecord) -> None:
    if op.lesson is not None:  # lesson students' labels (their names are never sent)
        members = c.lessons.get(op.lesson, {})
        for u, label in zip(op.uids, op.names, strict=True):
            if u in members and label is not None:
                members[u] = LessonMember(label, members[u].custom)
        return
    students = c.students
    for u, label in zip(op.uids, op.names, strict=True):
        if u in students and label is not None:
            c.labels[u] = label


def _forget_course(op: StateOp, c: CourseRecord) -> None:
    """Everything recorded for the course goes (State.apply then drops it)."""
    c.clear()


def _apply(op: StateOp, c: CourseRecord) -> None:
    match op.kind:
        case OpKind.ADD_STUDENTS:
            _add_students(op, c)
        case OpKind.REMOVE_STUDENTS:
            _remove_students(op, c)
        case OpKind.ADD_AUDITORS:
            _add_auditors(op, c)
        case OpKind.REMOVE_AUDITORS:
            _remove_auditors(op, c)
        case OpKind.ADD_LESSON_STUDENTS:
            _add_lesson_students(op, c)
        case OpKind.REMOVE_LESSON_STUDENTS:
            _remove_lesson_students(op, c)
        case OpKind.SET_GROUP:
            _set_group(op, c)
        case OpKind.DELETE_GROUP:
            _delete_group(op, c)
        case OpKind.GROUP_UNCONFIRMED:
            _group_unconfirmed(op, c)
        case OpKind.GROUP_NOT_CREATED:
            _group_not_created(op, c)
        case OpKind.NAME:
            _name(op, c)
        case OpKind.LABELS:
            _labels(op, c)
        case OpKind.FORGET_COURSE:
            _forget_course(op, c)
        case OpKind.SET_PERSON:
            raise ValueError("a person is the school's, not a course's: State.apply records it")
        case _:
            assert_never(op.kind)


def ops_from_json(data: Any) -> list[StateOp]:
    """The ops of one journal line (a JSON list of ops); ValueError when damaged."""
    if type(data) is not list:
        raise ValueError("a journal line is a list of ops")
    return [StateOp.from_json(d) for d in data]

