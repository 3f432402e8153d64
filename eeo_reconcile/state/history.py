"""The audit history: every confirmed change, who made it, from what, when.

An `Event` is one change at one address (a member added or removed, a
grouping created, edited or deleted, a name recorded, a course forgotten),
with its old and new value. Events come from the `StateOp`s apply records
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
from typing import Any, NamedTuple

from ..provenance import Provenance
from .model import State
from .ops import OpKind, StateOp
from .records import CourseRecord, GroupRecord


class Event(NamedTuple):
    """A NamedTuple, not a frozen dataclass: an import or a first-day apply makes
    one per member (a million), and a tuple is built several times faster."""

    action: str  # add, remove, create, edit, delete, label, forget
    address: str
    old: Any = None
    new: Any = None


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


def entries(events: Iterable[tuple[str, Event]], prov: Provenance,
            serial: int) -> list[HistoryEntry]:
    """(time, event) pairs as entries of the change that makes state `serial`."""
    return [HistoryEntry(t, prov.operation, e.action, e.address, e.old, e.new, serial,
                         prov.who, prov.commit, prov.run) for t, e in events]


def matches(address: str, prefix: str) -> bool:
    """Whether `address` is `prefix` or lies below it (whole path segments)."""
    p = prefix.rstrip("/")
    return not p or address == p or address.startswith(p + "/")


# -- events from ops ------------------------------------------------------------------


def _group_json(g: GroupRecord) -> dict[str, Any]:
    return g.to_json()


def _course_ops(c: CourseRecord | None, op: StateOp) -> Iterator[Event]:
    base = f"course/{op.course}"
    k = op.kind
    if k is OpKind.ADD_STUDENTS:
        labels = op.names or (None,) * len(op.uids)
        for u, label in zip(op.uids, labels, strict=True):
            if c is None or u not in c.students:
                yield Event("add", f"{base}/student/{u}", None,
                            {"name": label} if label else None)
    elif k is OpKind.REMOVE_STUDENTS:
        for u in op.uids:
            if c is not None and u in c.students:
                label = c.labels.get(u)
                yield Event("remove", f"{base}/student/{u}", {"name": label} if label else None)
    elif k is OpKind.ADD_AUDITORS:
        for u, n in zip(op.uids, op.names, strict=True):
            old = c.auditors.get(u) if c is not None else None
            if old != n:
                yield Event("add", f"{base}/auditor/{u}",
                            {"name": old} if old is not None else None, {"name": n})
    elif k is OpKind.REMOVE_AUDITORS:
        for u in op.uids:
            if c is not None and u in c.auditors:
                yield Event("remove", f"{base}/auditor/{u}", {"name": c.auditors[u]})
    elif k is OpKind.ADD_LESSON_STUDENTS:
        members = c.lessons.get(op.lesson or 0, {}) if c is not None else {}
        for u, n, x in zip(op.uids, op.names, op.customs, strict=True):
            was = members.get(u)
            if was is None or (was.name, was.custom) != (n, x):
                yield Event("add", f"{base}/lesson/{op.lesson}/student/{u}",
                            {"name": was.name, "custom": was.custom} if was else None,
                            {"name": n, "custom": x})
    elif k is OpKind.REMOVE_LESSON_STUDENTS:
        members = c.lessons.get(op.lesson or 0, {}) if c is not None else {}
        for u in op.uids:
            gone = members.get(u)
            if gone is not None:
                yield Event("remove", f"{base}/lesson/{op.lesson}/student/{u}",
                            {"name": gone.name, "custom": gone.custom})
    elif k is OpKind.SET_GROUP:
        assert op.group is not None
        groups = c.groups if c is not None else {}
        prev = next(((n, g) for n, g in groups.items() if g.id == op.group.id), None)
        if prev is None:
            yield Event("create", f"{base}/group/{op.group_name}", None, _group_json(op.group))
        elif prev != (op.group_name, op.group):
            yield Event("edit", f"{base}/group/{op.group_name}",
                        {"name": prev[0], **_group_json(prev[1])}, _group_json(op.group))
    elif k is OpKind.DELETE_GROUP:
        for n, g in (c.groups.items() if c is not None else ()):
            if g.id == op.group_id or (op.group_id is None and n == op.group_name):
                yield Event("delete", f"{base}/group/{n}", _group_json(g))
    elif k is OpKind.NAME:
        old = (c.name if op.lesson is None else c.lesson_names.get(op.lesson)) if c else None
        where = base if op.lesson is None else f"{base}/lesson/{op.lesson}"
        if old != op.title:
            yield Event("label", where, {"name": old} if old else None, {"name": op.title})
    elif k is OpKind.LABELS:
        for u, n in zip(op.uids, op.names, strict=True):
            old = c.labels.get(u) if c is not None else None
            if c is not None and u in c.students and old != n:
                yield Event("label", f"{base}/student/{u}", {"name": old} if old else None,
                            {"name": n})
    elif k is OpKind.FORGET_COURSE and c is not None:
        yield Event("forget", base, {"members": c.member_count()})
    # GROUP_UNCONFIRMED / GROUP_NOT_CREATED are bookkeeping about a create whose
    # outcome is unknown: no confirmed change in ClassIn


def events_from_ops(state: State, ops: Sequence[StateOp]) -> list[Event]:
    """The changes `ops` make to `state` (as it is before them; not modified).
    Ops of one record touch different courses or come in order, so each is
    read against the state with the earlier ones of the same course applied."""
    if len(ops) == 1:  # the usual record: read against the live record, no copy
        return list(_course_ops(state.courses.get(ops[0].course), ops[0]))
    out: list[Event] = []
    scratch: dict[int, CourseRecord | None] = {}
    for op in ops:
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
    a = a or CourseRecord()
    b = b or CourseRecord()
    base = f"course/{cid}"
    out: list[Event] = []
    for action, rec, uids in (("remove", a, a.students - b.students),
                              ("add", b, b.students - a.students)):
        labels, order = rec.labels, sorted(uids)
        named = [{"name": x} if (x := labels.get(u)) else None for u in order] \
            if labels else [None] * len(order)
        addresses = [f"{base}/student/{u}" for u in order]
        if action == "remove":
            out.extend(map(Event, repeat(action), addresses, named))
        else:
            out.extend(map(Event, repeat(action), addresses, repeat(None), named))
    for u in sorted(a.auditors.keys() | b.auditors.keys()):
        x, y = a.auditors.get(u), b.auditors.get(u)
        if x != y:
            action = "remove" if y is None else "add"
            out.append(Event(action, f"{base}/auditor/{u}",
                             {"name": x} if x is not None else None,
                             {"name": y} if y is not None else None))
    for lid in sorted(a.lessons.keys() | b.lessons.keys()):
        la, lb = a.lessons.get(lid, {}), b.lessons.get(lid, {})
        for u in sorted(la.keys() | lb.keys()):
            mx, my = la.get(u), lb.get(u)
            if mx != my:
                out.append(Event(
                    "remove" if my is None else "add", f"{base}/lesson/{lid}/student/{u}",
                    {"name": mx.name, "custom": mx.custom} if mx else None,
                    {"name": my.name, "custom": my.custom} if my else None))
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


def events_between(before: State, after: State) -> list[Event]:
    """Every change from `before` to `after`, course by course."""
    out: list[Event] = []
    for cid in sorted(before.courses.keys() | after.courses.keys()):
        a, b = before.courses.get(cid), after.courses.get(cid)
        if a is b or (a is not None and b is not None and a == b):
            continue
        out.extend(course_events(cid, a, b))
    return out
