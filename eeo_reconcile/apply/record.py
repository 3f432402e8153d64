"""From a confirmed answer to the `StateOp`s that record it.

Generic over the endpoints: what an item means follows from the endpoint's
subject and effect (`classin.api`) and the call's identity, never from its
name. Groupings are recorded by `group_ops` (a create answers the new id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ..classin.api import Call, Effect, Subject
from ..classin.params import AUDITOR, STUDENT
from ..model import Team
from ..plan.labels import LabelUpdate
from ..state.ops import OpKind, StateOp
from ..state.records import GroupRecord, Unconfirmed

_MEMBER_OPS: dict[tuple[Subject, Effect, int | None], OpKind] = {
    (Subject.MEMBER, Effect.ADD, STUDENT): OpKind.ADD_STUDENTS,
    (Subject.MEMBER, Effect.ADD, AUDITOR): OpKind.ADD_AUDITORS,
    (Subject.MEMBER, Effect.REMOVE, STUDENT): OpKind.REMOVE_STUDENTS,
    (Subject.MEMBER, Effect.REMOVE, AUDITOR): OpKind.REMOVE_AUDITORS,
    (Subject.LESSON_STUDENT, Effect.ADD, None): OpKind.ADD_LESSON_STUDENTS,
    (Subject.LESSON_STUDENT, Effect.REMOVE, None): OpKind.REMOVE_LESSON_STUDENTS,
}


def member_op(call: Call, idx: Sequence[int],
              labels: Mapping[int, str | None] | None = None) -> StateOp | None:
    """The op recording that the members at positions `idx` of `call` are done;
    students added are recorded with their `labels` (uid -> label) when given."""
    if not idx:
        return None
    ep = call.action
    identity = call.identity if ep.subject is Subject.MEMBER else None
    kind = _MEMBER_OPS[(ep.subject, ep.effect, identity)]
    uids = tuple(call.uids[i] for i in idx)
    if kind is OpKind.ADD_AUDITORS:
        names = tuple((call.names[i] if call.names else None) or "" for i in idx)
        return StateOp(kind, call.course, uids=uids, names=names)
    if kind is OpKind.ADD_LESSON_STUDENTS:
        return StateOp(
            kind, call.course, lesson=call.lesson, uids=uids,
            names=tuple(call.names[i] or "" for i in idx),
            customs=tuple(call.customs[i] for i in idx),
        )
    if kind is OpKind.ADD_STUDENTS and labels:
        got = tuple(labels.get(u) for u in uids)
        if any(n is not None for n in got):
            return StateOp(kind, call.course, uids=uids, names=got)
    return StateOp(kind, call.course, uids=uids, lesson=call.lesson)


def name_ops(course: int, updates: Iterable[LabelUpdate]) -> list[StateOp]:
    """The ops recording a course's new names (course, lessons, students' labels)."""
    ops: list[StateOp] = []
    uids: list[int] = []
    labels: list[str | None] = []
    for u in updates:
        if u.uid is not None:
            uids.append(u.uid)
            labels.append(u.name)
        else:
            ops.append(StateOp(OpKind.NAME, course, lesson=u.lesson, title=u.name))
    if uids:
        ops.append(StateOp(OpKind.LABELS, course, uids=tuple(uids), names=tuple(labels)))
    return ops


def forget_course(course: int) -> StateOp:
    """Stop managing the course: everything recorded for it goes (no ClassIn call)."""
    return StateOp(OpKind.FORGET_COURSE, course)


def set_group(call: Call, group_id: int, teams: tuple[Team, ...] | None = None) -> StateOp:
    """The grouping of `call` exists in ClassIn with this id (and teams)."""
    return StateOp(OpKind.SET_GROUP, call.course, group_name=call.group_name,
                   group=GroupRecord(group_id, call.teams if teams is None else teams))


def forget_group(call: Call) -> StateOp:
    """The grouping of `call` is gone from ClassIn."""
    return StateOp(OpKind.DELETE_GROUP, call.course, group_id=call.group_id)


def group_unconfirmed(call: Call, why: Unconfirmed,
                      teams: tuple[Team, ...] | None = None) -> StateOp:
    """The grouping of a create may exist in ClassIn, its id unknown."""
    return StateOp(OpKind.GROUP_UNCONFIRMED, call.course, group_name=call.group_name,
                   teams=call.teams if teams is None else teams, reason=why)


def group_not_created(call: Call) -> StateOp:
    """ClassIn surely did not create the grouping of `call`."""
    return StateOp(OpKind.GROUP_NOT_CREATED, call.course, group_name=call.group_name)
