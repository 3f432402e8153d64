"""The recorded state: what eeo-reconcile has confirmed in ClassIn.

ClassIn has no read endpoints, so this document is the tool's only memory.
It is serialised deterministically (two equal states are byte-identical):
courses, lessons and uids in numeric order, groups by name, one course per
line so that diffs of the file stay readable.

`StateOp` is the unit of change: apply records each confirmed API result as
ops (in a journal), and the same ops fold into the state.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from .._gc import paused_gc
from ..address import Address, Kind
from ..errors import StateError
from ..model import LessonMember, Team

FORMAT = "eeo-reconcile-state"
VERSION = 1


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A grouping as last sent to ClassIn: its id and teams (name is the key)."""

    id: int
    teams: tuple[Team, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "teams": [list(t.uids()) for t in self.teams]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GroupRecord:
        raw = data["teams"]
        if set(map(type, chain.from_iterable(raw))) - {int}:  # C-speed type check
            raise ValueError(f"group {data.get('id')!r} has a uid that is not a number")
        return cls(int(data["id"]), tuple([Team(t[0], tuple(t[1:])) for t in raw]))


class CourseRecord:
    """What is recorded for one course (mutable; owned by a `State`)."""

    __slots__ = ("students", "auditors", "lessons", "groups")

    def __init__(self) -> None:
        self.students: set[int] = set()
        self.auditors: dict[int, str] = {}
        self.lessons: dict[int, dict[int, LessonMember]] = {}
        self.groups: dict[str, GroupRecord] = {}

    def is_empty(self) -> bool:
        return not (
            self.students or self.auditors or self.groups
            or any(self.lessons.values())
        )

    def member_count(self) -> int:
        return (
            len(self.students) + len(self.auditors)
            + sum(len(m) for m in self.lessons.values())
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "students": sorted(self.students),
            "auditors": {str(u): self.auditors[u] for u in sorted(self.auditors)},
            "lessons": {
                str(lid): {
                    str(u): _lm_json(members[u]) for u in sorted(members)
                }
                for lid, members in sorted(self.lessons.items())
                if members
            },
            "groups": {name: self.groups[name].to_json() for name in sorted(self.groups)},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CourseRecord:
        c = cls()
        c.students = set(data.get("students", ()))
        c.auditors = {int(k): v for k, v in data.get("auditors", {}).items()}
        c.lessons = {
            int(lid): {int(u): LessonMember(m["name"], m.get("custom"))
                       for u, m in members.items()}
            for lid, members in data.get("lessons", {}).items()
        }
        c.groups = {name: GroupRecord.from_json(g) for name, g in data.get("groups", {}).items()}
        return c

    def copy(self) -> CourseRecord:
        c = CourseRecord()
        c.students = set(self.students)
        c.auditors = dict(self.auditors)
        c.lessons = {k: dict(v) for k, v in self.lessons.items()}
        c.groups = dict(self.groups)
        return c

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CourseRecord):
            return NotImplemented
        return (
            self.students == other.students
            and self.auditors == other.auditors
            and {k: v for k, v in self.lessons.items() if v}
            == {k: v for k, v in other.lessons.items() if v}
            and self.groups == other.groups
        )

    __hash__ = None  # type: ignore[assignment]


def _lm_json(m: LessonMember) -> dict[str, Any]:
    if m.custom is None:
        return {"name": m.name}
    return {"name": m.name, "custom": m.custom}


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


class State:
    """The whole recorded state of one school."""

    __slots__ = ("lineage", "serial", "sid", "courses")

    def __init__(
        self,
        lineage: str | None = None,
        serial: int = 0,
        sid: int | None = None,
        courses: dict[int, CourseRecord] | None = None,
    ) -> None:
        self.lineage = lineage  # None until first written
        self.serial = serial
        self.sid = sid
        self.courses: dict[int, CourseRecord] = courses if courses is not None else {}

    @staticmethod
    def new_lineage() -> str:
        return str(uuid.uuid4())

    # -- reading / writing -----------------------------------------------------
    def dumps(self) -> bytes:
        """Deterministic JSON: one course per line, numeric order."""
        head = {
            "format": FORMAT,
            "version": VERSION,
            "lineage": self.lineage,
            "serial": self.serial,
            "sid": self.sid,
        }
        out = ["{"]
        for k, v in head.items():
            out.append(f"  {json.dumps(k)}: {json.dumps(v)},")
        courses = [
            (cid, c) for cid, c in sorted(self.courses.items()) if not c.is_empty()
        ]
        if not courses:
            out.append('  "courses": {}')
        else:
            out.append('  "courses": {')
            dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
            last = len(courses) - 1
            for i, (cid, c) in enumerate(courses):
                out.append(f'    "{cid}": {dumps(c.to_json())}{"," if i < last else ""}')
            out.append("  }")
        out.append("}\n")
        return "\n".join(out).encode("utf-8")

    @classmethod
    def loads(cls, raw: bytes | str, source: str = "state") -> State:
        with paused_gc():
            try:
                data = json.loads(raw)
            except ValueError as exc:
                raise StateError(f"{source} is not valid JSON: {exc}") from None
            return cls.from_json(data, source)

    @classmethod
    def from_json(cls, data: Any, source: str = "state") -> State:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StateError(f"{source} is not an eeo-reconcile state (no format {FORMAT!r})")
        version = data.get("version")
        if version != VERSION:
            raise StateError(
                f"{source} has state version {version!r}; this eeo-reconcile reads version "
                f"{VERSION}: upgrade eeo-reconcile"
            )
        try:
            courses = {int(k): CourseRecord.from_json(v) for k, v in data["courses"].items()}
            return cls(
                lineage=data["lineage"],
                serial=int(data["serial"]),
                sid=data.get("sid"),
                courses=courses,
            )
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise StateError(f"{source} is malformed: {exc!r}") from None

    def copy(self) -> State:
        return State(
            self.lineage, self.serial, self.sid,
            {cid: c.copy() for cid, c in self.courses.items()},
        )

    def same_content(self, other: State) -> bool:
        a = {k: v for k, v in self.courses.items() if not v.is_empty()}
        b = {k: v for k, v in other.courses.items() if not v.is_empty()}
        return self.sid == other.sid and a == b

    def membership_count(self) -> int:
        return sum(c.member_count() for c in self.courses.values())

    # -- changes -----------------------------------------------------------------
    def course(self, cid: int) -> CourseRecord:
        c = self.courses.get(cid)
        if c is None:
            c = self.courses[cid] = CourseRecord()
        return c

    def apply(self, op: StateOp) -> None:
        c = self.course(op.course)
        k = op.kind
        if k is OpKind.ADD_STUDENTS:
            c.students.update(op.uids)
        elif k is OpKind.REMOVE_STUDENTS:
            c.students.difference_update(op.uids)
        elif k is OpKind.ADD_AUDITORS:
            c.auditors.update(zip(op.uids, op.names, strict=True))
        elif k is OpKind.REMOVE_AUDITORS:
            for u in op.uids:
                c.auditors.pop(u, None)
        elif k is OpKind.ADD_LESSON_STUDENTS:
            assert op.lesson is not None
            members = c.lessons.setdefault(op.lesson, {})
            for u, n, x in zip(op.uids, op.names, op.customs, strict=True):
                members[u] = LessonMember(name=n, custom=x)
        elif k is OpKind.REMOVE_LESSON_STUDENTS:
            assert op.lesson is not None
            members = c.lessons.get(op.lesson)
            if members is not None:
                for u in op.uids:
                    members.pop(u, None)
                if not members:
                    del c.lessons[op.lesson]
        elif k is OpKind.SET_GROUP:
            assert op.group_name is not None and op.group is not None
            # a rename: the same ClassIn id recorded under another name goes away
            for name, g in list(c.groups.items()):
                if g.id == op.group.id and name != op.group_name:
                    del c.groups[name]
            c.groups[op.group_name] = op.group
        elif k is OpKind.DELETE_GROUP:
            if op.group_id is not None:
                for name, g in list(c.groups.items()):
                    if g.id == op.group_id:
                        del c.groups[name]
            if op.group_name is not None:
                c.groups.pop(op.group_name, None)
        if c.is_empty():
            self.courses.pop(op.course, None)

    def apply_all(self, ops: Iterable[StateOp]) -> None:
        for op in ops:
            self.apply(op)

    # -- addresses -----------------------------------------------------------------
    def addresses(self) -> Iterator[Address]:
        for cid in sorted(self.courses):
            c = self.courses[cid]
            for u in sorted(c.students):
                yield Address(Kind.STUDENT, cid, uid=u)
            for u in sorted(c.auditors):
                yield Address(Kind.AUDITOR, cid, uid=u)
            for lid in sorted(c.lessons):
                for u in sorted(c.lessons[lid]):
                    yield Address(Kind.LESSON_STUDENT, cid, lesson=lid, uid=u)
            for name in sorted(c.groups):
                yield Address(Kind.GROUP, cid, group=name)

    def show(self, addr: Address) -> Any:
        """The recorded value at an address (JSON-like), or None if absent."""
        c = self.courses.get(addr.course)
        if c is None:
            return None
        k = addr.kind
        if k is Kind.COURSE:
            return c.to_json()
        if k is Kind.STUDENT:
            return {"uid": addr.uid} if addr.uid in c.students else None
        if k is Kind.AUDITOR:
            return {"uid": addr.uid, "name": c.auditors[addr.uid]} if addr.uid in c.auditors else None  # noqa: E501
        if k is Kind.LESSON:
            members = c.lessons.get(addr.lesson or 0)
            return {str(u): _lm_json(m) for u, m in sorted(members.items())} if members else None
        if k is Kind.LESSON_STUDENT:
            m = c.lessons.get(addr.lesson or 0, {}).get(addr.uid or 0)
            return {"uid": addr.uid, **_lm_json(m)} if m else None
        g = c.groups.get(addr.group or "")
        return {"name": addr.group, **g.to_json()} if g else None

    def forget(self, addrs: Sequence[Address]) -> list[Address]:
        """Drop entries from the state without any API call; returns those missing."""
        missing: list[Address] = []
        for a in addrs:
            if self.show(a) is None:
                missing.append(a)
                continue
            c = self.courses[a.course]
            k = a.kind
            if k is Kind.COURSE:
                del self.courses[a.course]
                continue
            if k is Kind.STUDENT:
                c.students.discard(a.uid)  # type: ignore[arg-type]
            elif k is Kind.AUDITOR:
                c.auditors.pop(a.uid, None)  # type: ignore[arg-type]
            elif k is Kind.LESSON:
                c.lessons.pop(a.lesson, None)  # type: ignore[arg-type]
            elif k is Kind.LESSON_STUDENT:
                members = c.lessons[a.lesson]  # type: ignore[index]
                members.pop(a.uid, None)  # type: ignore[arg-type]
                if not members:
                    del c.lessons[a.lesson]  # type: ignore[arg-type]
            elif k is Kind.GROUP:
                c.groups.pop(a.group, None)  # type: ignore[arg-type]
            if c.is_empty():
                del self.courses[a.course]
        return missing
