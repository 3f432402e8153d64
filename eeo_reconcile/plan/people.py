"""People in the plan: accounts to register, console names to set, and members
whose uid is known only after apply registers them.

`resolve_people(config, state)` gives each member named by person its uid: the
one the configuration gives, else the one the state recorded when the account
was registered. Resolved members join their course's students, auditors or
lesson students as if written by uid (the diff is unchanged); the others are
`PendingMember`s, shown as "known after apply" and turned into adds by apply
once their account is registered (`resolved`). Every person the state does not
know yet is an `AccountChange` to register (registering is idempotent: an
existing account answers with its uid, and becomes a school student all the
same); a known person whose console name changed is one to rename.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from ..classin.accounts import account_digest, accounts_key, mask, parse_account
from ..errors import ConfigError, Diagnostic
from ..model import Action, Config, CourseSpec, LessonMember, Person, PersonRef, Role
from ..never import assert_never
from ..state.model import State
from .changes import LessonChange, MemberChange


@dataclass(frozen=True, slots=True)
class AccountChange:
    """A person's account to register (ADD) or console name to set (CHANGE)."""

    action: Action
    key: str
    name: str
    account: str  # masked (138****0001): the plan never holds an account whole
    uid: int | None = None  # known: the configured or recorded uid
    old_name: str | None = None  # CHANGE: the name the console had
    # ADD of a person whose account changed: the uid of the account they had (its
    # memberships leave with the new account's arrival)
    old_uid: int | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"action": self.action.value, "key": self.key, "name": self.name,
                             "account": self.account}
        if self.uid is not None:
            d["uid"] = self.uid
        if self.old_name is not None:
            d["old_name"] = self.old_name
        if self.old_uid is not None:
            d["old_uid"] = self.old_uid
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> AccountChange:
        return cls(Action(d["action"]), str(d["key"]), str(d["name"]), str(d["account"]),
                   int(d["uid"]) if d.get("uid") is not None else None,
                   str(d["old_name"]) if d.get("old_name") is not None else None,
                   int(d["old_uid"]) if d.get("old_uid") is not None else None)


@dataclass(frozen=True, slots=True)
class PendingMember:
    """A member named by a person whose uid apply learns by registering them."""

    course: int
    role: Role
    key: str
    name: str  # a student's label, or the auditor's / lesson student's name sent
    lesson: int | None = None
    custom: str | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"course": self.course, "type": self.kind, "key": self.key,
                             "name": self.name}
        if self.lesson is not None:
            d["lesson"] = self.lesson
        if self.custom is not None:
            d["custom"] = self.custom
        return d

    @property
    def kind(self) -> str:
        return "lesson-student" if self.lesson is not None else self.role.value

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> PendingMember:
        kind = str(d["type"])
        role = Role.AUDITOR if kind == "auditor" else Role.STUDENT
        return cls(int(d["course"]), role, str(d["key"]), str(d["name"]),
                   int(d["lesson"]) if d.get("lesson") is not None else None,
                   str(d["custom"]) if d.get("custom") is not None else None)


@dataclass(frozen=True)
class People:
    """What `resolve_people` found."""

    config: Config  # with the resolved members in their courses
    accounts: tuple[AccountChange, ...]
    pending: tuple[PendingMember, ...]


def account_changes(accounts: Iterable[AccountChange]) -> list[AccountChange]:
    """The people whose account changed (the guard's, like a uid change)."""
    return [a for a in accounts if a.old_uid is not None]


def registrations(accounts: Iterable[AccountChange]) -> int:
    """How many accounts are to be registered (the guard's count)."""
    return sum(1 for a in accounts if a.action is Action.ADD)


def resolve_people(config: Config, state: State) -> People:
    if not config.people:
        return People(config, (), ())
    uids: dict[str, int] = {}
    accounts: list[AccountChange] = []
    digest_key = accounts_key(state.salt or "")
    for key, p in config.people.items():
        rec = state.people.get(key)
        if rec is not None and _account_changed(p, rec.account, digest_key):
            # another account: registered as new; the old uid's memberships go
            if p.uid is not None and p.uid != rec.uid:
                uids[key] = p.uid
            accounts.append(AccountChange(Action.ADD, key, p.name, mask(p.account), p.uid
                                          if p.uid != rec.uid else None, old_uid=rec.uid))
            continue
        uid = p.uid if p.uid is not None else (rec.uid if rec is not None else None)
        if uid is not None:
            uids[key] = uid
        if rec is None:
            accounts.append(AccountChange(Action.ADD, key, p.name, mask(p.account), uid))
        elif rec.name != p.name:
            accounts.append(AccountChange(Action.CHANGE, key, p.name, mask(p.account),
                                          rec.uid, rec.name))
    courses = dict(config.courses)
    pending: list[PendingMember] = []
    errors: list[Diagnostic] = []
    by_course: dict[int, list[tuple[PersonRef, int]]] = {}
    for r in config.person_refs:
        person = config.people[r.key]
        uid = uids.get(r.key)
        if uid is None:
            pending.append(_pending(r, person))
        else:
            by_course.setdefault(r.course, []).append((r, uid))
    for cid, refs in by_course.items():
        spec = courses.get(cid)
        if spec is not None:
            courses[cid] = _with_members(spec, refs, config.people, errors)
    if errors:
        raise ConfigError(errors)
    return People(replace(config, courses=courses), tuple(accounts), tuple(pending))


def _account_changed(p: Person, recorded: str, key: bytes) -> bool:
    account, _ = parse_account(p.account)
    return account is not None and account_digest(key, account) != recorded


def _pending(r: PersonRef, p: Person) -> PendingMember:
    return PendingMember(r.course, r.role, r.key, r.name or p.name, r.lesson, r.custom)


def _with_members(spec: CourseSpec, refs: Iterable[tuple[PersonRef, int]],
                  people: Mapping[str, Person], errors: list[Diagnostic]) -> CourseSpec:
    students = dict(spec.students)
    auditors = dict(spec.auditors)
    lessons = {lid: dict(m) for lid, m in spec.lessons.items()}
    for r, uid in refs:
        name = r.name or people[r.key].name
        taken = uid in students or uid in auditors
        if r.lesson is not None:
            members = lessons.setdefault(r.lesson, {})
            if uid in members or taken:
                errors.append(_twice(r, uid))
                continue
            members[uid] = LessonMember(name, r.custom)
            continue
        in_lesson = any(uid in m for m in lessons.values())
        if taken or in_lesson:
            errors.append(_twice(r, uid))
            continue
        match r.role:
            case Role.STUDENT:
                students[uid] = people[r.key].name
            case Role.AUDITOR:
                auditors[uid] = name
            case other:
                assert_never(other)
    return replace(spec, students=students, auditors=auditors, lessons=lessons)


def _twice(r: PersonRef, uid: int) -> Diagnostic:
    return Diagnostic(r.location, f"person {r.key!r} has uid {uid}, which this course "
                                  "already lists (by uid or by another person)",
                      "ClassIn gives a uid one place in a course: keep one entry")


def resolved(pending: Iterable[PendingMember], uids: Mapping[str, int]
             ) -> list[MemberChange | LessonChange]:
    """The adds of the pending members whose person now has a uid (after apply
    registered them), in the plan's order."""
    out: list[MemberChange | LessonChange] = []
    for m in pending:
        uid = uids.get(m.key)
        if uid is None:
            continue
        if m.lesson is not None:
            out.append(LessonChange(Action.ADD, m.course, m.lesson, uid, m.name, m.custom))
        else:
            out.append(MemberChange(Action.ADD, m.course, m.role, uid, m.name))
    return out
