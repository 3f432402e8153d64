"""Groupings: configuration vs record, matched by id first, then by name.

A grouping given by id is adopted with one edit; a renamed one (same id) is
edited in place; one whose create answer was lost stays "probably created"
until the operator gives its id or deletes it in ClassIn (see
`unconfirmed_message`). Each change carries the names of the people in its
teams, so the plan can say who moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace as dc_replace

from ..address import Address, GroupAddress
from ..model import CourseSpec, GroupSpec, Team
from ..state.records import CourseRecord, GroupRecord, Unconfirmed, UnconfirmedGroup
from .changes import Action, Change, GroupChange, Note, Reason
from .members import replaced


def groups(
    cid: int,
    want: CourseSpec | None,
    have: CourseRecord,
    replace: Sequence[Address],
    reason: Reason | None,
    notes: list[Note],
) -> tuple[list[Change], list[Change]]:
    wanted: tuple[GroupSpec, ...] = want.groups if want else ()
    hg = have.groups
    pending = have.unconfirmed  # probably created in ClassIn, id unknown
    by_id = {rec.id: name for name, rec in hg.items()}
    matched: dict[int, str] = {}  # index in wanted -> recorded name
    used: set[str] = set()
    for i, g in enumerate(wanted):  # first pass: groupings given by id
        if g.id is not None and g.id in by_id:
            matched[i] = by_id[g.id]
            used.add(by_id[g.id])
    for i, g in enumerate(wanted):  # second pass: by name
        if i in matched or g.id is not None:
            continue
        if g.name in hg and g.name not in used:
            matched[i] = g.name
            used.add(g.name)
    deletes: list[Change] = []
    sets: list[Change] = []
    seen_pending: set[str] = set()
    for i, g in enumerate(wanted):
        addr = GroupAddress(cid, g.name)
        if i in matched:
            name = matched[i]
            rec: GroupRecord = hg[name]
            if g.id is None and replace and replaced(replace, addr):
                deletes.append(GroupChange(Action.REMOVE, cid, name, rec.id, (), None,
                                           rec.teams, Reason.REPLACE))
                sets.append(GroupChange(Action.ADD, cid, g.name, None, g.teams,
                                        reason=Reason.REPLACE))
            elif name != g.name or rec.teams != g.teams:
                sets.append(GroupChange(
                    Action.CHANGE, cid, g.name, rec.id, g.teams,
                    old_name=name if name != g.name else None, old_teams=rec.teams,
                    reason=Reason.RENAME if name != g.name else None,
                ))
        elif g.id is not None:
            seen_pending.add(g.name)
            sets.append(GroupChange(Action.CHANGE, cid, g.name, g.id, g.teams,
                                    reason=Reason.ADOPT))
        elif g.name in pending:
            seen_pending.add(g.name)
            found = pending[g.name].id
            if found is not None:  # the operator gave its id: adopt it with one edit
                sets.append(GroupChange(Action.CHANGE, cid, g.name, found, g.teams,
                                        reason=Reason.ADOPT))
            else:  # never created again: the operator decides
                notes.append(Note(str(addr), unconfirmed_message(addr, pending[g.name]),
                                  pending=True))
        else:
            sets.append(GroupChange(Action.ADD, cid, g.name, None, g.teams))
    for name in sorted(hg):
        if name not in used:
            rec = hg[name]
            deletes.append(GroupChange(Action.REMOVE, cid, name, rec.id, (), None, rec.teams,
                                       reason))
    for name in sorted(pending.keys() - seen_pending):  # no longer wanted
        u = pending[name]
        if u.id is not None:
            deletes.append(GroupChange(Action.REMOVE, cid, name, u.id, (), None, u.teams,
                                       reason))
        else:
            gaddr = GroupAddress(cid, name)
            notes.append(Note(str(gaddr), unconfirmed_message(gaddr, u, wanted=False),
                              pending=True))
    if deletes or sets:
        deletes = [_labelled(c, want, have) for c in deletes]
        sets = [_labelled(c, want, have) for c in sets]
    return deletes, sets


def _uids(teams: Iterable[Team] | None) -> Iterable[int]:
    for t in teams or ():
        yield t.leader
        yield from t.members


def _labelled(c: Change, want: CourseSpec | None, have: CourseRecord) -> Change:
    """The change with the names of the people in its teams (configuration first)."""
    assert isinstance(c, GroupChange)
    ws = want.students if want is not None else {}
    hl = have.labels
    labels: dict[int, str] = {}
    for u in (*_uids(c.teams), *_uids(c.old_teams)):
        n = ws.get(u) or hl.get(u)
        if n:
            labels[u] = n
    if not labels:
        return c
    return dc_replace(c, labels=tuple(sorted(labels.items())))


def unconfirmed_message(addr: GroupAddress, u: UnconfirmedGroup, wanted: bool = True) -> str:
    """The finding for a grouping probably created in ClassIn whose id is unknown,
    with the two ways out (neither needs a read endpoint)."""
    why = ("the answer to its addCourseGroup never came back"
           if u.reason is Unconfirmed.NO_ANSWER
           else "ClassIn answered 892: a grouping of that name was already created")
    then = ("the next apply then sets it with one editCourseGroup" if wanted
            else "the next apply then deletes it")
    return (
        f"grouping {addr.name!r} of course {addr.course}: probably created in ClassIn, id "
        f"unknown ({why}). It is not created again. Either find its id (from the ClassIn "
        "web console or from ClassIn support) and give it as `id:` on the grouping in the "
        f"configuration or with `eeo-reconcile state set-group-id {addr} ID`: {then}; or "
        f"delete that grouping in ClassIn and run `eeo-reconcile state rm {addr}`"
        + (": the next apply creates it again." if wanted else ".")
    )
