"""The recorded state: what eeo-reconcile has confirmed in ClassIn.

ClassIn has no read endpoints, so this document is the tool's only memory.
It is serialised deterministically (two equal states are byte-identical):
courses, lessons and uids in numeric order, groups by name, one course per
line so that diffs of the file stay readable (`state.codec` reads and writes
it). The records of one course are in `state.records`; the ops that change
them in `state.ops`.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..address import (
    Address,
    AuditorAddress,
    CourseAddress,
    GroupAddress,
    LessonAddress,
    LessonStudentAddress,
    StudentAddress,
)
from ..errors import StateError
from .ops import OpKind, StateOp
from .records import CourseRecord, PersonRecord, lesson_member_json


class State:
    """The whole recorded state of one school."""

    __slots__ = ("lineage", "serial", "sid", "courses", "salt", "people")

    def __init__(
        self,
        lineage: str | None = None,
        serial: int = 0,
        sid: int | None = None,
        courses: dict[int, CourseRecord] | None = None,
        salt: str | None = None,
        people: dict[str, PersonRecord] | None = None,
    ) -> None:
        self.lineage = lineage  # None until first written
        self.serial = serial
        self.sid = sid
        self.courses: dict[int, CourseRecord] = courses if courses is not None else {}
        # keys the uid hashes of redacted output when the secret is not set (see
        # `privacy`); made with the lineage, never shown
        self.salt = salt
        # the people (`people:`) whose account is known: key -> uid, name, digest
        self.people: dict[str, PersonRecord] = people if people is not None else {}

    @staticmethod
    def new_lineage() -> str:
        return str(uuid.uuid4())

    @staticmethod
    def new_salt() -> str:
        return base64.b32encode(os.urandom(20)).decode().lower()

    def copy(self) -> State:
        return State(
            self.lineage, self.serial, self.sid,
            {cid: c.copy() for cid, c in self.courses.items()}, self.salt, dict(self.people),
        )

    def same_content(self, other: State) -> bool:
        a = {k: v for k, v in self.courses.items() if not v.is_empty()}
        b = {k: v for k, v in other.courses.items() if not v.is_empty()}
        return self.sid == other.sid and a == b and self.people == other.people

    def membership_count(self) -> int:
        return sum(c.member_count() for c in self.courses.values())

    # -- changes -----------------------------------------------------------------
    def course(self, cid: int) -> CourseRecord:
        c = self.courses.get(cid)
        if c is None:
            c = self.courses[cid] = CourseRecord()
        return c

    def apply(self, op: StateOp) -> None:
        if op.kind is OpKind.SET_PERSON:
            assert op.person_key is not None and op.person is not None
            self.people[op.person_key] = op.person
            return
        c = self.course(op.course)
        op.apply_to(c)
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
                yield StudentAddress(cid, u)
            for u in sorted(c.auditors):
                yield AuditorAddress(cid, u)
            for lid in sorted(c.lessons):
                for u in sorted(c.lessons[lid]):
                    yield LessonStudentAddress(cid, lid, u)
            for name in sorted(c.groups.keys() | c.unconfirmed.keys()):
                yield GroupAddress(cid, name)

    def show(self, addr: Address) -> Any:
        """The recorded value at an address (JSON-like), or None if absent."""
        c = self.courses.get(addr.course)
        if c is None:
            return None
        match addr:
            case CourseAddress():
                return c.to_json()
            case StudentAddress(uid=uid):
                return {"uid": uid} if uid in c.students else None
            case AuditorAddress(uid=uid):
                return {"uid": uid, "name": c.auditors[uid]} if uid in c.auditors else None
            case LessonAddress(lesson=lid):
                members = c.lessons.get(lid)
                if not members:
                    return None
                return {str(u): lesson_member_json(m) for u, m in sorted(members.items())}
            case LessonStudentAddress(lesson=lid, uid=uid):
                m = c.lessons.get(lid, {}).get(uid)
                return {"uid": uid, **lesson_member_json(m)} if m else None
            case GroupAddress(name=name):
                g = c.groups.get(name)
                if g is not None:
                    return {"name": name, **g.to_json()}
                u = c.unconfirmed.get(name)
                if u is not None:
                    return {"name": name, "unconfirmed": True, **u.to_json()}
                return None
        return None  # pragma: no cover - every kind is matched above

    def set_group_id(self, addr: GroupAddress, group_id: int) -> None:
        """Give the id of a grouping recorded as probably created, id unknown: the
        next plan adopts it with one editCourseGroup. StateError if there is none."""
        c = self.courses.get(addr.course)
        u = c.unconfirmed.get(addr.name) if c is not None else None
        if c is None or u is None:
            raise StateError(
                f"no grouping is recorded as probably created at {addr}: set-group-id is for "
                "those (to adopt any other existing grouping, give its `id:` in the "
                "configuration)"
            )
        c.unconfirmed[addr.name] = dataclasses.replace(u, id=group_id)

    def forget(self, addrs: Sequence[Address]) -> list[Address]:
        """Drop entries from the state without any API call; returns those missing."""
        missing: list[Address] = []
        for a in addrs:
            if self.show(a) is None:
                missing.append(a)
                continue
            c = self.courses[a.course]
            match a:
                case CourseAddress():
                    del self.courses[a.course]
                    continue
                case StudentAddress(uid=uid):
                    c.students.discard(uid)
                case AuditorAddress(uid=uid):
                    c.auditors.pop(uid, None)
                case LessonAddress(lesson=lid):
                    c.lessons.pop(lid, None)
                case LessonStudentAddress(lesson=lid, uid=uid):
                    members = c.lessons[lid]
                    members.pop(uid, None)
                    if not members:
                        del c.lessons[lid]
                case GroupAddress(name=name):
                    c.groups.pop(name, None)
                    c.unconfirmed.pop(name, None)
            if c.is_empty():
                del self.courses[a.course]
        return missing
