"""What is recorded for one course: students, auditors, lesson students, groupings.

ClassIn has no read endpoints, so these records are the tool's only memory of
what it confirmed. `CourseRecord` is mutable and owned by a `State`;
`GroupRecord` is a frozen value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

from ..model import LessonMember, Team


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


def lesson_member_json(m: LessonMember) -> dict[str, Any]:
    if m.custom is None:
        return {"name": m.name}
    return {"name": m.name, "custom": m.custom}


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
                    str(u): lesson_member_json(members[u]) for u in sorted(members)
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
