"""From a confirmed answer to the `StateOp`s that record it.

Generic over the endpoints: what an item means follows from the endpoint's
subject and what it does (`classin.api`) and the call's identity, never from its
name. Groupings are recorded by `group_ops` (a create answers the new id).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..classin.api import Call, Subject
from ..classin.params import AUDITOR, STUDENT
from ..model import Action, Team
from ..never import assert_never
from ..plan.labels import LabelUpdate
from ..state.ops import OpKind, StateOp
from ..state.records import GroupRecord, Unconfirmed


def _member_kind(call: Call) -> OpKind:
    """The op kind recording members of `call` (by its endpoint's subject and
    what it does, and the call's identity)."""
    ep = call.action
    match ep.subject:
        case Subject.MEMBER:
            student = _is_student(call.identity)
            match ep.does:
                case Action.ADD:
                    return OpKind.ADD_STUDENTS if student else OpKind.ADD_AUDITORS
                case Action.REMOVE:
                    return OpKind.REMOVE_STUDENTS if student else OpKind.REMOVE_AUDITORS
                case Action.CHANGE:
                    raise ValueError(f"{ep.name}: a member is added or removed, not changed")
                case _:
                    assert_never(ep.does)
        case Subject.LESSON_STUDENT:
            match ep.does:
                case Action.ADD:
                    return OpKind.ADD_LESSON_STUDENTS
                case Action.REMOVE:
                    return OpKind.REMOVE_LESSON_STUDENTS
                case Action.CHANGE:
                    raise ValueError(f"{ep.name}: a lesson student is added or removed, not "
                                     "changed")
                case _:
                    assert_never(ep.does)
        case Subject.GROUP:
            raise ValueError(f"{ep.name}: a grouping is recorded by its own ops")
        case _:
            assert_never(ep.subject)


def _is_student(identity: int | None) -> bool:
    if identity == STUDENT:
        return True
    if identity == AUDITOR:
        return False
    raise ValueError(f"identity {identity!r} is neither a student (1) nor an auditor (2)")


def member_op(call: Call, idx: Sequence[int]) -> StateOp | None:
    """The op recording that the members at positions `idx` of `call` are done;
    students added are recorded with the labels the call carries."""
    if not idx:
        return None
    kind = _member_kind(call)
    uids = tuple(call.uids[i] for i in idx)
    match kind:
        case OpKind.ADD_AUDITORS:
            names = tuple((call.names[i] if call.names else None) or "" for i in idx)
            return StateOp(kind, call.course, uids=uids, names=names)
        case OpKind.ADD_LESSON_STUDENTS:
            return StateOp(
                kind, call.course, lesson=call.lesson, uids=uids,
                names=tuple((call.labels[i] if call.labels else None) or "" for i in idx),
                customs=tuple(call.customs[i] for i in idx),
            )
        case OpKind.ADD_STUDENTS if call.labels:
            got = tuple(call.labels[i] for i in idx)
            if any(n is not None for n in got):
                return StateOp(kind, call.course, uids=uids, names=got)
    return StateOp(kind, call.course, uids=uids, lesson=call.lesson)


def name_ops(course: int, updates: Iterable[LabelUpdate]) -> list[StateOp]:
    """The ops recording a course's new names (course, lessons, students' labels)."""
    ops: list[StateOp] = []
    members: dict[int | None, tuple[list[int], list[str | None]]] = {}  # lesson -> labels
    for u in updates:
        if u.uid is not None:
            uids, labels = members.setdefault(u.lesson, ([], []))
            uids.append(u.uid)
            labels.append(u.name)
        else:
            ops.append(StateOp(OpKind.NAME, course, lesson=u.lesson, title=u.name))
    for lesson, (uids, labels) in members.items():
        ops.append(StateOp(OpKind.LABELS, course, uids=tuple(uids), names=tuple(labels),
                           lesson=lesson))
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
