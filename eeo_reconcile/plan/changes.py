"""What differs between the configuration and the recorded state, as typed changes.

Three small frozen classes (a course member, a lesson-only student, a
grouping), each with its action and, when it is not a plain add or remove, a
reason. They render to JSON and parse back to equal values.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from ..address import (
    AuditorAddress,
    CourseAddress,
    GroupAddress,
    LessonStudentAddress,
    MemberAddress,
    StudentAddress,
)
from ..model import Action as Action  # re-exported: the one vocabulary
from ..model import Role, Team
from ..never import assert_never


class Reason(enum.Enum):
    """Why a change exists when it is not a plain add/remove."""

    SWITCH = "switch"  # student <-> auditor: remove with the old identity, add with the new
    REPLACE = "replace"  # --replace asked for remove + add
    COURSE_REMOVED = "course-removed"  # the course left the configuration
    ADOPT = "adopt"  # a grouping given by id, taken over with one edit
    RENAME = "rename"  # a grouping's name changed (matched by id)
    RETIRED = "retired"  # retired_courses: remove_members (reviewed in the YAML)
    FORGET = "forget"  # retired_courses: forget (stop managing; no ClassIn call)


_ACTIONS = {a.value: a for a in Action}  # dict lookups: Enum(value) is slow in bulk
_REASONS = {r.value: r for r in Reason}
_ROLES = {r.value: r for r in Role}


def _action(v: Any) -> Action:
    try:
        return _ACTIONS[v]
    except (KeyError, TypeError):
        raise ValueError(f"{v!r} is not an action") from None


def _reason(v: Any) -> Reason | None:
    if v is None:
        return None
    try:
        return _REASONS[v]
    except (KeyError, TypeError):
        raise ValueError(f"{v!r} is not a reason") from None


def _head(kind: str, action: Action, address: object, course: int) -> dict[str, Any]:
    return {"action": action.value, "address": str(address), "type": kind, "course": course}


def _tail(d: dict[str, Any], **optional: Any) -> dict[str, Any]:
    """Add the optional keys that have a value (enums by their value)."""
    for k, v in optional.items():
        if v is not None:
            d[k] = v.value if isinstance(v, enum.Enum) else v
    return d


@dataclass(frozen=True, slots=True)
class MemberChange:
    """A course student (identity 1) or auditor (identity 2) added or removed."""

    action: Action
    course: int
    role: Role
    uid: int
    name: str | None = None  # auditor: the name sent; student: the label
    reason: Reason | None = None  # why, for people: never read to order the calls
    first: bool = False  # a removal the planner put before the course's adds

    @property
    def address(self) -> MemberAddress:
        if self.role is Role.STUDENT:
            return StudentAddress(self.course, self.uid)
        return AuditorAddress(self.course, self.uid)

    def to_json(self) -> dict[str, Any]:
        d = _head(self.role.value, self.action, self.address, self.course)
        d["uid"] = self.uid
        return _tail(d, name=self.name, reason=self.reason, first=self.first or None)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> MemberChange:
        return cls(
            _action(d["action"]), int(d["course"]), _ROLES[d["type"]], int(d["uid"]),
            d.get("name"), _reason(d.get("reason")), d.get("first") is True,
        )


_new = object.__new__
_SET = [getattr(MemberChange, f).__set__ for f in ("action", "course", "role", "uid", "name",
                                                    "reason", "first")]


def member_run(action: Action, course: int, role: Role, uids: Iterable[int],
               names: Iterable[str | None], reason: Reason | None = None, first: bool = False
               ) -> list[MemberChange]:
    """Many MemberChanges at once, uids with their names in parallel, the same
    as `MemberChange(...)` each: set through the slots, without the frozen
    dataclass's per-field object.__setattr__ (the planner makes one per member
    of a cold plan; a saved plan's runs are read back so)."""
    sa, sc, sr, su, sn, se, sf = _SET
    out: list[MemberChange] = []
    append = out.append
    for u, n in zip(uids, names, strict=True):
        o = _new(MemberChange)
        sa(o, action)
        sc(o, course)
        sr(o, role)
        su(o, u)
        sn(o, n)
        se(o, reason)
        sf(o, first)
        append(o)
    return out


def parse_action(v: Any) -> Action:
    """An Action from its JSON value (ValueError otherwise)."""
    return _action(v)


def parse_reason(v: Any) -> Reason | None:
    """A Reason (or None) from its JSON value (ValueError otherwise)."""
    return _reason(v)


def parse_role(v: Any) -> Role:
    """A course member's Role from its JSON type (ValueError otherwise)."""
    try:
        return _ROLES[v]
    except (KeyError, TypeError):
        raise ValueError(f"{v!r} is not a member type") from None


@dataclass(frozen=True, slots=True)
class LessonChange:
    """A lesson-only (transfer) student added to or removed from a lesson."""

    action: Action
    course: int
    lesson: int
    uid: int
    name: str | None = None
    custom: str | None = None
    reason: Reason | None = None  # why, for people: never read to order the calls
    first: bool = False  # a removal the planner put before the course's adds

    @property
    def address(self) -> LessonStudentAddress:
        return LessonStudentAddress(self.course, self.lesson, self.uid)

    def to_json(self) -> dict[str, Any]:
        d = _head("lesson-student", self.action, self.address, self.course)
        d["lesson"] = self.lesson
        d["uid"] = self.uid
        return _tail(d, name=self.name, custom=self.custom, reason=self.reason,
                     first=self.first or None)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> LessonChange:
        return cls(
            _action(d["action"]), int(d["course"]), int(d["lesson"]), int(d["uid"]),
            d.get("name"), d.get("custom"), _reason(d.get("reason")), d.get("first") is True,
        )


def teams_json(teams: Sequence[Team]) -> list[list[int]]:
    return [list(t.uids()) for t in teams]


def teams_from_json(data: Sequence[Sequence[int]]) -> tuple[Team, ...]:
    return tuple(Team(int(t[0]), tuple(int(u) for u in t[1:])) for t in data)


@dataclass(frozen=True, slots=True)
class GroupChange:
    """A grouping created (add), replaced by one edit (change), or deleted (remove)."""

    action: Action
    course: int
    name: str
    group_id: int | None = None  # known for change/remove
    teams: tuple[Team, ...] = ()  # desired teams (add/change)
    old_name: str | None = None  # recorded name (rename)
    old_teams: tuple[Team, ...] | None = None  # recorded teams (change/remove)
    reason: Reason | None = None
    labels: tuple[tuple[int, str], ...] = ()  # names of the uids in the teams, when known

    @property
    def address(self) -> GroupAddress:
        return GroupAddress(self.course, self.name)

    def to_json(self) -> dict[str, Any]:
        d = _head("group", self.action, self.address, self.course)
        d["name"] = self.name
        _tail(d, group_id=self.group_id)
        if self.action is not Action.REMOVE:
            d["teams"] = teams_json(self.teams)
        old = teams_json(self.old_teams) if self.old_teams is not None else None
        _tail(d, old_name=self.old_name, old_teams=old, reason=self.reason)
        if self.labels:
            d["labels"] = {str(u): n for u, n in self.labels}
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> GroupChange:
        old = d.get("old_teams")
        return cls(
            _action(d["action"]), int(d["course"]), str(d["name"]), d.get("group_id"),
            teams_from_json(d.get("teams", [])), d.get("old_name"),
            teams_from_json(old) if old is not None else None, _reason(d.get("reason")),
            tuple((int(u), str(n)) for u, n in (d.get("labels") or {}).items()),
        )


@dataclass(frozen=True, slots=True)
class CourseChange:
    """A whole course: stop managing it (retired_courses: forget). No ClassIn call;
    apply drops it from the state."""

    action: Action
    course: int
    name: str | None = None
    reason: Reason | None = Reason.FORGET

    @property
    def address(self) -> CourseAddress:
        return CourseAddress(self.course)

    def to_json(self) -> dict[str, Any]:
        d = _head("course", self.action, self.address, self.course)
        return _tail(d, name=self.name, reason=self.reason)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> CourseChange:
        return cls(_action(d["action"]), int(d["course"]), d.get("name"),
                   _reason(d.get("reason")))


Change = Union[MemberChange, LessonChange, GroupChange, CourseChange]  # noqa: UP007


def removed_uid(c: Change) -> int | None:
    """The uid a change takes out of a class (a course member or a lesson student
    removed), else None: what teaching hours hold back, and what a person's old
    account keeps when the new one could not be registered."""
    match c:
        case MemberChange() | LessonChange():
            return c.uid if c.action is Action.REMOVE else None
        case GroupChange() | CourseChange():
            return None  # a grouping deleted, a course forgotten: no one leaves a classroom
        case _:
            assert_never(c)

_FROM_JSON: Mapping[str, Any] = {
    "student": MemberChange.from_json,
    "auditor": MemberChange.from_json,
    "lesson-student": LessonChange.from_json,
    "group": GroupChange.from_json,
    "course": CourseChange.from_json,
}


def change_from_json(d: Mapping[str, Any]) -> Change:
    parse = _FROM_JSON.get(d["type"])
    if parse is None:
        raise ValueError(f"unknown change type {d['type']!r}")
    result: Change = parse(d)
    return result


def changes_from_json(items: Iterable[Mapping[str, Any]]) -> tuple[Change, ...]:
    """Many changes at once (a plan document's), the same as `change_from_json`
    each; course members, nearly all of a plan, are set through the slots as
    in `member_run`."""
    sa, sc, sr, su, sn, se, sf = _SET
    roles = _ROLES
    out: list[Change] = []
    append = out.append
    for d in items:
        role = roles.get(d["type"])
        if role is None:
            append(change_from_json(d))
            continue
        o = _new(MemberChange)
        sa(o, _action(d["action"]))
        sc(o, int(d["course"]))
        sr(o, role)
        su(o, int(d["uid"]))
        sn(o, d.get("name"))
        se(o, _reason(d.get("reason")))
        sf(o, d.get("first") is True)
        append(o)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Note:
    """Something the plan will not do by itself, with what the user can do."""

    address: str
    message: str
    names: tuple[str, ...] = ()  # the people's names the message quotes (for redaction)
    # work waiting for a person (a grouping probably created, id unknown): ClassIn
    # and the configuration differ until someone acts, so the plan is not "no changes"
    pending: bool = False

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"address": self.address, "message": self.message}
        if self.names:
            d["names"] = list(self.names)
        if self.pending:
            d["pending"] = True
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Note:
        return cls(str(d["address"]), str(d["message"]),
                   tuple(str(n) for n in d.get("names", ())), d.get("pending") is True)
