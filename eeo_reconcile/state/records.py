"""What is recorded for one course: students, auditors, lesson students, groupings.

ClassIn has no read endpoints, so these records are the tool's only memory of
what it confirmed. `CourseRecord` is mutable and owned by a `State`;
`GroupRecord` and `UnconfirmedGroup` are frozen values.

Names: an auditor's and a lesson student's name is the one sent to ClassIn; a
student's label, a course's and a lesson's name are only labels (from the
configuration or an import), kept so that plans can say who and what.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from typing import Any, NamedTuple

from ..model import LessonMember, Team


class PersonRecord(NamedTuple):
    """What the state keeps of a person (`people:`): the uid their account has,
    the name the school's console was given, and a keyed digest of the account
    (never the account: enough to notice that it changed)."""

    uid: int
    name: str
    account: str  # classin.accounts.account_digest


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


class Unconfirmed(enum.Enum):
    """Why a grouping may exist in ClassIn without its id being known."""

    NO_ANSWER = "no-answer"  # addCourseGroup was sent; its answer never came back
    ALREADY_CREATED = "already-created"  # ClassIn answered 892: one of that name exists


@dataclass(frozen=True, slots=True)
class UnconfirmedGroup:
    """A grouping that was probably created in ClassIn, whose id is not known:
    never created again by itself. `id`, once the operator gives it, lets the
    next apply adopt it with one editCourseGroup."""

    teams: tuple[Team, ...]  # as sent
    reason: Unconfirmed
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"teams": [list(t.uids()) for t in self.teams],
                             "reason": self.reason.value}
        if self.id is not None:
            d["id"] = self.id
        return d

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UnconfirmedGroup:
        teams = tuple(Team(int(t[0]), tuple(int(u) for u in t[1:])) for t in data["teams"])
        gid = data.get("id")
        return cls(teams, Unconfirmed(data["reason"]), int(gid) if gid is not None else None)


def pick(d: Mapping[Any, Any], keys: list[Any]) -> list[Any]:
    """`[d.get(k) for k in keys]`, at C speed (itemgetter) when every key is in
    `d`: the names of a course's members, in uid order, for the state file
    and the history (twice as fast as mapping `d.get`)."""
    if len(keys) > 1:
        try:
            return list(itemgetter(*keys)(d))
        except KeyError:
            pass
    return list(map(d.get, keys))


def lesson_member_json(m: LessonMember) -> dict[str, Any]:
    if m.custom is None:
        return {"name": m.name}
    return {"name": m.name, "custom": m.custom}


class CourseRecord:
    """What is recorded for one course (mutable; owned by a `State`)."""

    __slots__ = ("students", "labels", "auditors", "lessons", "lesson_names", "groups",
                 "unconfirmed", "name")

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget everything recorded for the course."""
        self.students: set[int] = set()
        self.labels: dict[int, str] = {}  # students' labels (only those that have one)
        self.auditors: dict[int, str] = {}  # uid -> the name sent
        self.lessons: dict[int, dict[int, LessonMember]] = {}
        self.lesson_names: dict[int, str] = {}
        self.groups: dict[str, GroupRecord] = {}
        self.unconfirmed: dict[str, UnconfirmedGroup] = {}  # by grouping name
        self.name: str | None = None  # the course's label

    def is_empty(self) -> bool:
        """Nothing of this course exists in ClassIn as far as we know (a name alone
        is not worth keeping)."""
        return not (
            self.students or self.auditors or self.groups or self.unconfirmed
            or any(self.lessons.values())
        )

    def member_count(self) -> int:
        return (
            len(self.students) + len(self.auditors)
            + sum(len(m) for m in self.lessons.values())
        )

    def to_json(self) -> dict[str, Any]:
        """A readable form (uid-keyed), used by `state show` and test fixtures;
        the state file itself is written by `state.codec`."""
        d: dict[str, Any] = {}
        if self.name is not None:
            d["name"] = self.name
        d["students"] = sorted(self.students)
        if self.labels:
            d["labels"] = {str(u): self.labels[u] for u in sorted(self.labels)}
        d["auditors"] = {str(u): self.auditors[u] for u in sorted(self.auditors)}
        d["lessons"] = {
            str(lid): {str(u): lesson_member_json(members[u]) for u in sorted(members)}
            for lid, members in sorted(self.lessons.items())
            if members
        }
        if self.lesson_names:
            d["lesson_names"] = {str(k): v for k, v in sorted(self.lesson_names.items())}
        d["groups"] = {name: self.groups[name].to_json() for name in sorted(self.groups)}
        if self.unconfirmed:
            d["unconfirmed_groups"] = {n: self.unconfirmed[n].to_json()
                                       for n in sorted(self.unconfirmed)}
        return d

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CourseRecord:
        c = cls()
        c.name = data.get("name")
        c.students = set(data.get("students", ()))
        c.labels = {int(k): v for k, v in data.get("labels", {}).items()}
        c.auditors = {int(k): v for k, v in data.get("auditors", {}).items()}
        c.lessons = {
            int(lid): {int(u): LessonMember(m["name"], m.get("custom"))
                       for u, m in members.items()}
            for lid, members in data.get("lessons", {}).items()
        }
        c.lesson_names = {int(k): v for k, v in data.get("lesson_names", {}).items()}
        c.groups = {name: GroupRecord.from_json(g) for name, g in data.get("groups", {}).items()}
        c.unconfirmed = {name: UnconfirmedGroup.from_json(g)
                         for name, g in data.get("unconfirmed_groups", {}).items()}
        return c

    def copy(self) -> CourseRecord:
        c = CourseRecord()
        c.students = set(self.students)
        c.labels = dict(self.labels)
        c.auditors = dict(self.auditors)
        c.lessons = {k: dict(v) for k, v in self.lessons.items()}
        c.lesson_names = dict(self.lesson_names)
        c.groups = dict(self.groups)
        c.unconfirmed = dict(self.unconfirmed)
        c.name = self.name
        return c

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CourseRecord):
            return NotImplemented
        return (
            self.students == other.students
            and self.labels == other.labels
            and self.auditors == other.auditors
            and {k: v for k, v in self.lessons.items() if v}
            == {k: v for k, v in other.lessons.items() if v}
            and self.lesson_names == other.lesson_names
            and self.groups == other.groups
            and self.unconfirmed == other.unconfirmed
            and self.name == other.name
        )

    __hash__ = None  # type: ignore[assignment]
