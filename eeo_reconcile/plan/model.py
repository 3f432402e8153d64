"""The typed plan: changes (what differs), calls (how ClassIn is told), guard findings.

Everything here is a frozen value that renders to JSON and parses back to an
equal value, so a saved plan file round-trips exactly.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from ..address import Address, Kind
from ..model import Role, SchoolConfig, StateRef, Team

PLAN_FORMAT_VERSION = 1


class Action(enum.Enum):
    """What a change does; the order of members is the display order."""

    REMOVE = "remove"
    ADD = "add"
    CHANGE = "change"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS = {Action.REMOVE: "-", Action.ADD: "+", Action.CHANGE: "~"}


class Reason(enum.Enum):
    """Why a change exists when it is not a plain add/remove."""

    SWITCH = "switch"  # student <-> auditor: remove with the old identity, add with the new
    REPLACE = "replace"  # --replace asked for remove + add
    COURSE_REMOVED = "course-removed"  # the course left the configuration
    ADOPT = "adopt"  # a grouping given by id, taken over with one edit
    RENAME = "rename"  # a grouping's name changed (matched by id)


def _reason(v: Any) -> Reason | None:
    return Reason(v) if v is not None else None


@dataclass(frozen=True, slots=True)
class MemberChange:
    """A course student (identity 1) or auditor (identity 2) added or removed."""

    action: Action
    course: int
    role: Role
    uid: int
    name: str | None = None  # auditor: the name sent; student: the label
    reason: Reason | None = None

    @property
    def address(self) -> Address:
        kind = Kind.STUDENT if self.role is Role.STUDENT else Kind.AUDITOR
        return Address(kind, self.course, uid=self.uid)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "action": self.action.value,
            "address": str(self.address),
            "type": self.role.value,
            "course": self.course,
            "uid": self.uid,
        }
        if self.name is not None:
            d["name"] = self.name
        if self.reason is not None:
            d["reason"] = self.reason.value
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> MemberChange:
        return cls(
            Action(d["action"]), int(d["course"]), Role(d["type"]), int(d["uid"]),
            d.get("name"), _reason(d.get("reason")),
        )


@dataclass(frozen=True, slots=True)
class LessonChange:
    """A lesson-only (transfer) student added to or removed from a lesson."""

    action: Action
    course: int
    lesson: int
    uid: int
    name: str | None = None
    custom: str | None = None
    reason: Reason | None = None

    @property
    def address(self) -> Address:
        return Address(Kind.LESSON_STUDENT, self.course, lesson=self.lesson, uid=self.uid)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "action": self.action.value,
            "address": str(self.address),
            "type": "lesson-student",
            "course": self.course,
            "lesson": self.lesson,
            "uid": self.uid,
        }
        if self.name is not None:
            d["name"] = self.name
        if self.custom is not None:
            d["custom"] = self.custom
        if self.reason is not None:
            d["reason"] = self.reason.value
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> LessonChange:
        return cls(
            Action(d["action"]), int(d["course"]), int(d["lesson"]), int(d["uid"]),
            d.get("name"), d.get("custom"), _reason(d.get("reason")),
        )


def _teams_json(teams: Sequence[Team]) -> list[list[int]]:
    return [list(t.uids()) for t in teams]


def _teams(data: Sequence[Sequence[int]]) -> tuple[Team, ...]:
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

    @property
    def address(self) -> Address:
        return Address(Kind.GROUP, self.course, group=self.name)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "action": self.action.value,
            "address": str(self.address),
            "type": "group",
            "course": self.course,
            "name": self.name,
        }
        if self.group_id is not None:
            d["group_id"] = self.group_id
        if self.action is not Action.REMOVE:
            d["teams"] = _teams_json(self.teams)
        if self.old_name is not None:
            d["old_name"] = self.old_name
        if self.old_teams is not None:
            d["old_teams"] = _teams_json(self.old_teams)
        if self.reason is not None:
            d["reason"] = self.reason.value
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> GroupChange:
        old = d.get("old_teams")
        return cls(
            Action(d["action"]), int(d["course"]), str(d["name"]), d.get("group_id"),
            _teams(d.get("teams", [])), d.get("old_name"),
            _teams(old) if old is not None else None, _reason(d.get("reason")),
        )


Change = Union[MemberChange, LessonChange, GroupChange]  # noqa: UP007


def change_from_json(d: Mapping[str, Any]) -> Change:
    t = d["type"]
    if t in ("student", "auditor"):
        return MemberChange.from_json(d)
    if t == "lesson-student":
        return LessonChange.from_json(d)
    if t == "group":
        return GroupChange.from_json(d)
    raise ValueError(f"unknown change type {t!r}")


@dataclass(frozen=True, slots=True)
class Note:
    """Something the plan will not do by itself, with what the user can do."""

    address: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "message": self.message}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Note:
        return cls(str(d["address"]), str(d["message"]))


# -- API calls ----------------------------------------------------------------


class ApiAction(enum.Enum):
    ADD_COURSE_STUDENT = "addCourseStudent"
    ADD_COURSE_STUDENT_MULTIPLE = "addCourseStudentMultiple"
    DEL_COURSE_STUDENT = "delCourseStudent"
    DEL_COURSE_STUDENT_MULTIPLE = "delCourseStudentMultiple"
    ADD_CLASS_STUDENT_MULTIPLE = "addClassStudentMultiple"
    DEL_CLASS_STUDENT_MULTIPLE = "delClassStudentMultiple"
    ADD_COURSE_GROUP = "addCourseGroup"
    EDIT_COURSE_GROUP = "editCourseGroup"
    DEL_COURSE_GROUP = "delCourseGroup"

    @property
    def is_batch(self) -> bool:
        return self.value.endswith("Multiple")

    @property
    def adds(self) -> bool:
        return self.value.startswith("add")


@dataclass(frozen=True, slots=True)
class Call:
    """One ClassIn request, minus credentials. `params()` is what is sent
    (arrays as Python lists; the client encodes them as JSON strings).

    Members are parallel tuples: `uids[i]` with `names[i]` (auditors and lesson
    students) and `customs[i]` (lesson students); item i of a batch answer
    belongs to `uids[i]`."""

    action: ApiAction
    course: int
    identity: int | None = None  # course member calls: 1 student, 2 auditor
    lesson: int | None = None  # lesson calls: classId
    uids: tuple[int, ...] = ()
    names: tuple[str | None, ...] = ()
    customs: tuple[str | None, ...] = ()
    group_id: int | None = None
    group_name: str | None = None
    teams: tuple[Team, ...] = ()

    def params(self) -> dict[str, Any]:
        a = self.action
        p: dict[str, Any] = {"courseId": self.course}
        if a is ApiAction.ADD_COURSE_STUDENT:
            p["identity"] = self.identity
            p["studentUid"] = self.uids[0]
            if self.identity == 2 and self.names and self.names[0] is not None:
                p["studentName"] = self.names[0]
        elif a is ApiAction.DEL_COURSE_STUDENT:
            p["identity"] = self.identity
            p["studentUid"] = self.uids[0]
        elif a is ApiAction.ADD_COURSE_STUDENT_MULTIPLE:
            p["identity"] = self.identity
            if self.identity == 2:
                p["studentJson"] = [
                    {"uid": str(u), "name": n} if n is not None else {"uid": str(u)}
                    for u, n in zip(self.uids, self.names, strict=True)
                ]
            else:
                p["studentJson"] = [{"uid": str(u)} for u in self.uids]
        elif a is ApiAction.DEL_COURSE_STUDENT_MULTIPLE:
            p["identity"] = self.identity
            p["studentUidJson"] = [str(u) for u in self.uids]
        elif a is ApiAction.ADD_CLASS_STUDENT_MULTIPLE:
            p["classId"] = self.lesson
            p["identity"] = 1
            items = []
            for u, n, c in zip(self.uids, self.names, self.customs, strict=True):
                item: dict[str, Any] = {"uid": str(u), "name": n}
                if c is not None:
                    item["customColumn"] = c
                items.append(item)
            p["studentJson"] = items
        elif a is ApiAction.DEL_CLASS_STUDENT_MULTIPLE:
            p["classId"] = self.lesson
            p["identity"] = 1
            p["studentUidJson"] = [str(u) for u in self.uids]
        elif a is ApiAction.ADD_COURSE_GROUP:
            p["groupName"] = self.group_name
            p["groupList"] = group_list(self.teams)
        elif a is ApiAction.EDIT_COURSE_GROUP:
            p["groupId"] = self.group_id
            p["groupName"] = self.group_name
            p["groupList"] = group_list(self.teams)
        elif a is ApiAction.DEL_COURSE_GROUP:
            p["groupId"] = self.group_id
        return p

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action.value, "params": self.params()}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Call:
        a = ApiAction(d["action"])
        p = d["params"]
        course = int(p["courseId"])
        if a is ApiAction.ADD_COURSE_STUDENT:
            ident = int(p["identity"])
            return cls(a, course, identity=ident, uids=(int(p["studentUid"]),),
                       names=(p.get("studentName"),) if ident == 2 else ())
        if a is ApiAction.DEL_COURSE_STUDENT:
            return cls(a, course, identity=int(p["identity"]), uids=(int(p["studentUid"]),))
        if a is ApiAction.ADD_COURSE_STUDENT_MULTIPLE:
            ident = int(p["identity"])
            items = p["studentJson"]
            return cls(a, course, identity=ident, uids=tuple(int(i["uid"]) for i in items),
                       names=tuple(i.get("name") for i in items) if ident == 2 else ())
        if a is ApiAction.DEL_COURSE_STUDENT_MULTIPLE:
            return cls(a, course, identity=int(p["identity"]),
                       uids=tuple(int(u) for u in p["studentUidJson"]))
        if a is ApiAction.ADD_CLASS_STUDENT_MULTIPLE:
            items = p["studentJson"]
            return cls(a, course, lesson=int(p["classId"]),
                       uids=tuple(int(i["uid"]) for i in items),
                       names=tuple(i.get("name") for i in items),
                       customs=tuple(i.get("customColumn") for i in items))
        if a is ApiAction.DEL_CLASS_STUDENT_MULTIPLE:
            return cls(a, course, lesson=int(p["classId"]),
                       uids=tuple(int(u) for u in p["studentUidJson"]))
        if a is ApiAction.DEL_COURSE_GROUP:
            return cls(a, course, group_id=int(p["groupId"]))
        teams = tuple(
            Team(
                leader=next(int(x["studentUid"]) for x in t if int(x["isLeader"]) == 1),
                members=tuple(int(x["studentUid"]) for x in t if int(x["isLeader"]) != 1),
            )
            for t in p["groupList"]
        )
        gid = int(p["groupId"]) if a is ApiAction.EDIT_COURSE_GROUP else None
        return cls(a, course, group_id=gid, group_name=str(p["groupName"]), teams=teams)


def group_list(teams: Sequence[Team]) -> list[list[dict[str, int]]]:
    """The `groupList` parameter: one list per team, leader first."""
    return [
        [{"studentUid": t.leader, "isLeader": 1}]
        + [{"studentUid": u, "isLeader": 0} for u in t.members]
        for t in teams
    ]


# -- safety --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SafetyFinding:
    """One limit of the mass-removal guard that this plan exceeds."""

    scope: str  # "course" or "total"
    removals: int
    limit: float  # a fraction (course) or a count (total)
    setting: str  # where the limit comes from, for the message
    course: int | None = None
    course_name: str | None = None
    recorded: int | None = None

    def message(self) -> str:
        if self.scope == "course":
            label = f"course {self.course}" + (f" ({self.course_name})" if self.course_name else "")
            pct = 100.0 * self.removals / max(1, self.recorded or 0)
            return (
                f"{label}: {self.removals} of {self.recorded} recorded members would be "
                f"removed ({pct:.0f}%), above max_removal_fraction {self.limit:g} "
                f"({self.setting}). To allow it, set `safety: {{max_removal_fraction: "
                f"{_ceil2(self.removals / max(1, self.recorded or 0))}}}` on the course in the "
                "configuration, or pass --allow-mass-removal."
            )
        return (
            f"the plan removes {self.removals} members in all, above max_removals "
            f"{int(self.limit)} ({self.setting}). To allow it, raise `safety: {{max_removals: "
            f"{self.removals}}}` in the configuration, or pass --allow-mass-removal."
        )

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "scope": self.scope, "removals": self.removals, "limit": self.limit,
            "setting": self.setting, "message": self.message(),
        }
        if self.course is not None:
            d["course"] = self.course
            d["course_name"] = self.course_name
            d["recorded"] = self.recorded
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SafetyFinding:
        return cls(
            d["scope"], int(d["removals"]), d["limit"], d["setting"],
            d.get("course"), d.get("course_name"), d.get("recorded"),
        )


def _ceil2(x: float) -> str:
    import math

    return f"{min(1.0, math.ceil(x * 100) / 100):g}"


@dataclass(frozen=True)
class SafetyReport:
    total_removals: int
    max_removals: int
    findings: tuple[SafetyFinding, ...] = ()

    @property
    def tripped(self) -> bool:
        return bool(self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": not self.tripped,
            "total_removals": self.total_removals,
            "max_removals": self.max_removals,
            "findings": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SafetyReport:
        return cls(
            int(d["total_removals"]), int(d["max_removals"]),
            tuple(SafetyFinding.from_json(f) for f in d["findings"]),
        )


# -- the plan ------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    add: int
    remove: int
    change: int
    calls: int

    def to_json(self) -> dict[str, int]:
        return {"add": self.add, "remove": self.remove, "change": self.change, "calls": self.calls}


@dataclass(frozen=True)
class Plan:
    """What must change, and the calls that make it so, against one state version."""

    sid: int
    changes: tuple[Change, ...]
    calls: tuple[Call, ...]
    notes: tuple[Note, ...] = ()
    safety: SafetyReport = SafetyReport(0, 500)
    course_names: Mapping[int, str] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    # what the plan was made against (checked by apply of a saved plan)
    lineage: str | None = None
    serial: int = 0
    config_digest: str = ""
    config_root: str = ""
    state_ref: StateRef | None = None
    school: SchoolConfig | None = None

    @property
    def empty(self) -> bool:
        return not self.changes

    def summary(self) -> Summary:
        add = remove = 0
        ADD, REMOVE = Action.ADD, Action.REMOVE
        for c in self.changes:
            a = c.action
            if a is ADD:
                add += 1
            elif a is REMOVE:
                remove += 1
        return Summary(add, remove, len(self.changes) - add - remove, len(self.calls))

    def courses(self) -> list[int]:
        seen: dict[int, None] = {}
        for c in self.changes:
            seen.setdefault(c.course, None)
        return list(seen)

    def to_json(self) -> dict[str, Any]:
        """The documented plan JSON (schemas/plan.schema.json)."""
        return {
            "format_version": PLAN_FORMAT_VERSION,
            "sid": self.sid,
            "state": {
                "lineage": self.lineage,
                "serial": self.serial,
                "ref": self.state_ref.to_json() if self.state_ref else None,
            },
            "config": {"root": self.config_root, "digest": self.config_digest},
            "school": _school_json(self.school),
            "targets": list(self.targets),
            "replace": list(self.replace),
            "courses": {str(k): v for k, v in sorted(self.course_names.items())},
            "changes": [c.to_json() for c in self.changes],
            "calls": [c.to_json() for c in self.calls],
            "notes": [n.to_json() for n in self.notes],
            "summary": self.summary().to_json(),
            "safety": self.safety.to_json(),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Plan:
        if d.get("format_version") != PLAN_FORMAT_VERSION:
            raise ValueError(f"unsupported plan format_version {d.get('format_version')!r}")
        st = d["state"]
        ref = st.get("ref")
        return cls(
            sid=int(d["sid"]),
            changes=tuple(change_from_json(c) for c in d["changes"]),
            calls=tuple(Call.from_json(c) for c in d["calls"]),
            notes=tuple(Note.from_json(n) for n in d["notes"]),
            safety=SafetyReport.from_json(d["safety"]),
            course_names={int(k): v for k, v in d["courses"].items()},
            targets=tuple(d["targets"]),
            replace=tuple(d["replace"]),
            lineage=st["lineage"],
            serial=int(st["serial"]),
            config_digest=d["config"]["digest"],
            config_root=d["config"]["root"],
            state_ref=StateRef.from_json(ref) if ref else None,
            school=_school_from_json(d.get("school")),
        )


def _school_json(s: SchoolConfig | None) -> dict[str, Any] | None:
    if s is None:
        return None
    from dataclasses import asdict

    return {
        "sid": s.sid, "api_url": s.api_url, "secret_env": s.secret_env,
        "batch": asdict(s.batch), "retry": asdict(s.retry),
    }


def _school_from_json(d: Mapping[str, Any] | None) -> SchoolConfig | None:
    if d is None:
        return None
    from ..model import BatchSizes, RetryPolicy

    return SchoolConfig(
        sid=int(d["sid"]), api_url=d["api_url"], secret_env=d["secret_env"],
        batch=BatchSizes(**d["batch"]), retry=RetryPolicy(**d["retry"]),
    )
