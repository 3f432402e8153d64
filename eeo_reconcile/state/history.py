"""The audit history: every confirmed change, who made it, from what, when.

An `Event` is one change at one address (a member added or removed, a
grouping created, edited or deleted, a name recorded, a course forgotten),
with its old and new value. A `Bulk` is a run of events of one action on the
students of one course (an import finds a million, a first day adds as many):
the same events, kept as columns so that nothing is made per member until a
reader asks (`expand`). Events come from the `StateOp`s apply records
(`events_from_ops`, against the state as it was before them) or from two
whole states (`events_between`: import, state rm, push). A `HistoryEntry` is
an event as stored: with the time, the operation, the state serial that
holds it, and the `Provenance` (who, commit, CI run).

Backends store entries with the state change they describe, so that the
history and the state always agree (see `historyfile` and the postgres
backend).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, NamedTuple, TypeAlias

from ..never import assert_never
from ..provenance import Provenance
from .model import State
from .ops import OpKind, StateOp
from .records import CourseRecord, GroupRecord, PersonRecord, pick


class Event(NamedTuple):
    """A NamedTuple, not a frozen dataclass: an import or a first-day apply makes
    one per member (a million), and a tuple is built several times faster."""

    action: str  # add, remove, create, edit, delete, label, forget
    address: str
    old: Any = None
    new: Any = None


class Bulk(NamedTuple):
    """The events `Event(action, f"{under}/{key}", old, new)` for each key, in
    order. The old value is None where the key's place in `old_names` holds
    no name (or the column is None); else `{"name": n}`, or with a
    `old_customs` column (lesson students) `{"name": n, "custom": c}`. The
    same for the new value."""

    action: str  # add, remove, label
    under: str  # course/ID/student, course/ID/auditor, course/ID/lesson/L/student
    keys: Sequence[int]
    old_names: Sequence[str | None] | None = None
    new_names: Sequence[str | None] | None = None
    old_customs: Sequence[str | None] | None = None
    new_customs: Sequence[str | None] | None = None

    def events(self) -> Iterator[Event]:
        action, under = self.action, self.under
        olds = _values(self.old_names, self.old_customs, len(self.keys))
        news = _values(self.new_names, self.new_customs, len(self.keys))
        for k, o, w in zip(self.keys, olds, news, strict=True):
            yield Event(action, f"{under}/{k}", o, w)


def _values(names: Sequence[Any] | None, customs: Sequence[Any] | None, n: int
            ) -> Iterable[dict[str, Any] | None]:
    if names is None:
        return repeat(None, n)
    if customs is None:
        return [{"name": x} if x else None for x in names]
    return [{"name": x, "custom": c} if x else None
            for x, c in zip(names, customs, strict=True)]


# what the history records of a change: an event, or a bulk of one course's
# members (the plan's changes are `plan.changes.Change`)
HistoryChange: TypeAlias = Event | Bulk


def expand(changes: Iterable[HistoryChange]) -> Iterator[Event]:
    """Every event, a `Bulk` as the events it stands for."""
    for c in changes:
        if type(c) is Bulk:
            yield from c.events()
        else:
            yield c  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    time: str  # UTC, ISO 8601
    operation: str
    action: str
    address: str
    old: Any
    new: Any
    serial: int  # the state serial that holds this change
    who: str
    commit: str | None = None
    run: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time, "operation": self.operation, "action": self.action,
                "address": self.address, "old": self.old, "new": self.new,
                "serial": self.serial, "who": self.who, "commit": self.commit, "run": self.run}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> HistoryEntry:
        return cls(str(d["time"]), str(d["operation"]), str(d["action"]), str(d["address"]),
                   d.get("old"), d.get("new"), int(d["serial"]), str(d.get("who") or ""),
                   d.get("commit"), d.get("run"))


def entries(events: Iterable[tuple[str, HistoryChange]], prov: Provenance,
            serial: int) -> list[HistoryEntry]:
    """(time, change) pairs as entries of the change that makes state `serial`."""
    return [HistoryEntry(t, prov.operation, e.action, e.address, e.old, e.new, serial,
                         prov.who, prov.commit, prov.run)
            for t, c in events for e in expand((c,))]


def matches(address: str, prefix: str) -> bool:
    """Whether `address` is `prefix` or lies below it (whole path segments)."""
    p = prefix.rstrip("/")
    return not p or address == p or address.startswith(p + "/")


# -- events from ops ------------------------------------------------------------------


def _group_json(g: GroupRecord) -> dict[str, Any]:
    return g.to_json()


def _course_ops(c: CourseRecord | None, op: StateOp) -> Iterator[HistoryChange]:
    base = f"course/{op.course}"
    match op.kind:
        case OpKind.ADD_STUDENTS:
            if c is None or c.students.isdisjoint(op.uids):  # the usual case: all new
                yield Bulk("add", f"{base}/student", op.uids, None, op.names or None)
            else:
                have = c.students
                new = [i for i, u in enumerate(op.uids) if u not in have]
                if new:
                    yield Bulk("add", f"{base}/student", [op.uids[i] for i in new], None,
                               [op.names[i] for i in new] if op.names else None)
        case OpKind.REMOVE_STUDENTS:
            if c is not None:
                have, labels = c.students, c.labels
                dropped = [u for u in op.uids if u in have]
                if dropped:
                    yield Bulk("remove", f"{base}/student", dropped,
                               [labels.get(u) for u in dropped] if labels else None)
        case OpKind.ADD_AUDITORS:
            for u, n in zip(op.uids, op.names, strict=True):
                old = c.auditors.get(u) if c is not None else None
                if old != n:
                    yield Event("add", f"{base}/auditor/{u}",
                                {"name": old} if old is not None else None, {"name": n})
        case OpKind.REMOVE_AUDITORS:
            for u in op.uids:
                if c is not None and u in c.auditors:
                    yield Event("remove", f"{base}/auditor/{u}", {"name": c.auditors[u]})
        case OpKind.ADD_LESSON_STUDENTS:
            members = c.lessons.get(op.lesson or 0, {}) if c is not None else {}
            for u, n, x in zip(op.uids, op.names, op.customs, strict=True):
                was = members.get(u)
                if was is None or (was.name, was.custom) != (n, x):
                    yield Event("add", f"{base}/lesson/{op.lesson}/student/{u}",
                                {"name": was.name, "custom": was.custom} if was else None,
                                {"name": n, "custom": x})
        case OpKind.REMOVE_LESSON_STUDENTS:
            members = c.lessons.get(op.lesson or 0, {}) if c is not None else {}
            for u in op.uids:
                gone = members.get(u)
                if gone is not None:
                    yield Event("remove", f"{base}/lesson/{op.lesson}/student/{u}",
                                {"name": gone.name, "custom": gone.custom})
        case OpKind.SET_GROUP:
            assert op.group is not None
            groups = c.groups if c is not None else {}
            prev = next(((n, g) for n, g in groups.items() if g.id == op.group.id), None)
            if prev is None:
                yield Event("create", f"{base}/group/{op.group_name}", None, _group_json(op.group))
            elif prev != (op.group_name, op.group):
                yield Event("edit", f"{base}/group/{op.group_name}",
                            {"name": prev[0], **_group_json(prev[1])}, _group_json(op.group))
        case OpKind.DELETE_GROUP:
            for n, g in (c.groups.items() if c is not None else ()):
                if g.id == op.group_id or (op.group_id is None and n == op.group_name):
                    yield Event("delete", f"{base}/group/{n}", _group_json(g))
        case OpKind.NAME:
            old = (c.name if op.lesson is None else c.lesson_names.get(op.lesson)) if c else None
            where = base if op.lesson is None else f"{base}/lesson/{op.lesson}"
            if old != op.title:
                yield Event("label", where, {"name": old} if old else None, {"name": op.title})
        case OpKind.LABELS if op.lesson is not None:
            members = c.lessons.get(op.lesson, {}) if c is not None else {}
            for u, n in zip(op.uids, op.names, strict=True):
                was = members.get(u)
                if was is not None and was.name != n:
                    yield Event("label", f"{base}/lesson/{op.lesson}/student/{u}",
                                {"name": was.name} if was.name else None, {"name": n})
        case OpKind.LABELS:
            for u, n in zip(op.uids, op.names, strict=True):
                old = c.labels.get(u) if c is not None else None
                if c is not None and u in c.students and old != n:
                    yield Event("label", f"{base}/student/{u}", {"name": old} if old else None,
                                {"name": n})
        case OpKind.FORGET_COURSE:
            if c is not None:
                yield Event("forget", base, {"members": c.member_count()})
        case OpKind.GROUP_UNCONFIRMED | OpKind.GROUP_NOT_CREATED:
            # bookkeeping about a create whose outcome is unknown: no confirmed
            # change in ClassIn
            pass
        case OpKind.SET_PERSON:
            pass  # the school's, not a course's: events_from_ops reads it (_person_event)
        case _:
            assert_never(op.kind)


def person_event(key: str, old: PersonRecord | None, new: PersonRecord | None
                 ) -> Event | None:
    """A person's account registered (the uid learned), renamed, or changed
    (another account: another uid), at `person/KEY`. The account's digest is
    not in the history."""
    if old == new:
        return None
    if new is None:
        assert old is not None
        return Event("forget", f"person/{key}", {"uid": old.uid, "name": old.name})
    value = {"uid": new.uid, "name": new.name}
    if old is None:
        return Event("register", f"person/{key}", None, value)
    was = {"uid": old.uid, "name": old.name}
    if old.uid == new.uid and old.account == new.account:
        return Event("rename", f"person/{key}", was, value) if was != value else None
    return Event("register", f"person/{key}", was, value)


def events_from_ops(state: State, ops: Sequence[StateOp]) -> list[HistoryChange]:
    """The changes `ops` make to `state` (as it is before them; not modified).
    Ops of one record touch different courses or come in order, so each is
    read against the state with the earlier ones of the same course applied."""
    if len(ops) == 1 and ops[0].kind is not OpKind.SET_PERSON:  # the usual: no copy
        return list(_course_ops(state.courses.get(ops[0].course), ops[0]))
    out: list[HistoryChange] = []
    scratch: dict[int, CourseRecord | None] = {}
    people = dict(state.people)
    for op in ops:
        if op.kind is OpKind.SET_PERSON:
            assert op.person_key is not None
            e = person_event(op.person_key, people.get(op.person_key), op.person)
            if e is not None:
                out.append(e)
            if op.person is not None:
                people[op.person_key] = op.person
            continue
        if op.course not in scratch:
            rec = state.courses.get(op.course)
            scratch[op.course] = rec.copy() if rec is not None else None
        c = scratch[op.course]
        out.extend(_course_ops(c, op))
        if c is None:
            c = scratch[op.course] = CourseRecord()
        op.apply_to(c)
    return out


# -- events between two states ---------------------------------------------------------


def course_events(cid: int, a: CourseRecord | None, b: CourseRecord | None) -> list[Event]:
    """What differs between two records of one course, as events (sorted)."""
    return list(expand(course_changes(cid, a, b)))


def course_changes(cid: int, a: CourseRecord | None, b: CourseRecord | None
                   ) -> list[HistoryChange]:
    """`course_events`, the members added, removed and renamed as a `Bulk`
    for each kind of change (removed, added, renamed), each sorted by uid."""
    a = a or CourseRecord()
    b = b or CourseRecord()
    base = f"course/{cid}"
    out: list[HistoryChange] = []
    for action, rec, uids in (("remove", a, a.students - b.students),
                              ("add", b, b.students - a.students)):
        if not uids:
            continue
        labels, order = rec.labels, sorted(uids)
        names = pick(labels, order) if labels else None
        out.append(Bulk(action, f"{base}/student", order, names if action == "remove" else None,
                        names if action == "add" else None))
    aa, ba = a.auditors, b.auditors
    if aa != ba:
        gone, new = sorted(aa.keys() - ba.keys()), sorted(ba.keys() - aa.keys())
        renamed = sorted(u for u in aa.keys() & ba.keys() if aa[u] != ba[u])
        under = f"{base}/auditor"
        if gone:
            out.append(Bulk("remove", under, gone, pick(aa, gone)))
        if new:
            out.append(Bulk("add", under, new, None, pick(ba, new)))
        if renamed:
            out.append(Bulk("add", under, renamed, pick(aa, renamed),
                            pick(ba, renamed)))
    for lid in sorted(a.lessons.keys() | b.lessons.keys()):
        la, lb = a.lessons.get(lid, {}), b.lessons.get(lid, {})
        if la == lb:
            continue
        gone, new = sorted(la.keys() - lb.keys()), sorted(lb.keys() - la.keys())
        changed = sorted(u for u in la.keys() & lb.keys() if la[u] != lb[u])
        under = f"{base}/lesson/{lid}/student"
        if gone:
            was = pick(la, gone)
            out.append(Bulk("remove", under, gone, [m.name for m in was], None,
                            [m.custom for m in was]))
        if new:
            now = pick(lb, new)
            out.append(Bulk("add", under, new, None, [m.name for m in now], None,
                            [m.custom for m in now]))
        if changed:
            was, now = pick(la, changed), pick(lb, changed)
            out.append(Bulk("add", under, changed, [m.name for m in was],
                            [m.name for m in now], [m.custom for m in was],
                            [m.custom for m in now]))
    if a.name != b.name and a.name is not None and b.name is not None:
        out.append(Event("label", base, {"name": a.name}, {"name": b.name}))
    for lid in sorted(a.lesson_names.keys() & b.lesson_names.keys()):
        if a.lesson_names[lid] != b.lesson_names[lid]:
            out.append(Event("label", f"{base}/lesson/{lid}", {"name": a.lesson_names[lid]},
                             {"name": b.lesson_names[lid]}))
    if a.labels != b.labels:
        both = a.students & b.students
        for u in sorted(u for u in both if a.labels.get(u) != b.labels.get(u)):
            x, y = a.labels.get(u), b.labels.get(u)
            out.append(Event("label", f"{base}/student/{u}", {"name": x} if x else None,
                             {"name": y} if y else None))
    for n in sorted(a.groups.keys() | b.groups.keys()):
        gx, gy = a.groups.get(n), b.groups.get(n)
        if gx != gy:
            action = "delete" if gy is None else "create" if gx is None else "edit"
            out.append(Event(action, f"{base}/group/{n}", gx.to_json() if gx else None,
                             gy.to_json() if gy else None))
    return out


def events_between(before: State, after: State) -> list[HistoryChange]:
    """Every change from `before` to `after`, course by course."""
    out: list[HistoryChange] = []
    for cid in sorted(before.courses.keys() | after.courses.keys()):
        a, b = before.courses.get(cid), after.courses.get(cid)
        if a is b or (a is not None and b is not None and a == b):
            continue
        out.extend(course_changes(cid, a, b))
    for key in sorted(before.people.keys() | after.people.keys()):
        e = person_event(key, before.people.get(key), after.people.get(key))
        if e is not None:
            out.append(e)
    return out
