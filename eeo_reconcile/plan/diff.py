"""The planner: desired configuration vs recorded state, by set arithmetic.

Each course is diffed on its own (O(members)); results are sorted by uid so
that a plan is deterministic. Nothing here talks to the network or needs a
secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .._gc import paused_gc
from ..address import (
    Address,
    AuditorAddress,
    CourseAddress,
    GroupAddress,
    LessonStudentAddress,
    StudentAddress,
    parse_address,
)
from ..classin.api import Call
from ..errors import StateError
from ..model import Config, CourseSpec, GroupSpec, LessonMember, Role
from ..state.model import State
from ..state.records import CourseRecord, GroupRecord, Unconfirmed, UnconfirmedGroup
from .calls import apply_order, calls_for_course
from .changes import Action, Change, GroupChange, LessonChange, MemberChange, Note, Reason
from .plan import Plan
from .safety import check_safety

_EMPTY_RECORD = CourseRecord()


def _replaced(replace: Sequence[Address], addr: Address) -> bool:
    return any(r.contains(addr) for r in replace)


def _members(
    cid: int,
    want: CourseSpec | None,
    have: CourseRecord,
    replace: Sequence[Address],
    reason: Reason | None,
    notes: list[Note],
) -> tuple[list[Change], list[Change]]:
    """Course students and auditors: (removals, adds)."""
    ws: Mapping[int, str | None] = want.students if want else {}
    wa: Mapping[int, str] = want.auditors if want else {}
    hs = have.students
    ha = have.auditors
    rm_s = hs.difference(ws)
    rm_a = ha.keys() - wa.keys()
    add_s = ws.keys() - hs if hs else set(ws)
    add_a = wa.keys() - ha.keys()
    repl_s: set[int] = set()
    repl_a: set[int] = set()
    if replace:
        for r in replace:
            if r.course != cid:
                continue
            if isinstance(r, CourseAddress):
                repl_s.update(hs.intersection(ws))
                repl_a.update(ha.keys() & wa.keys())
            elif isinstance(r, StudentAddress) and r.uid in hs and r.uid in ws:
                repl_s.add(r.uid)
            elif isinstance(r, AuditorAddress) and r.uid in ha and r.uid in wa:
                repl_a.add(r.uid)
    for u in sorted(ha.keys() & wa.keys()):
        if ha[u] != wa[u] and u not in repl_a:
            addr = f"course/{cid}/auditor/{u}"
            notes.append(Note(
                addr,
                f"auditor name is {ha[u]!r} in ClassIn (as last sent) but {wa[u]!r} in the "
                "configuration; ClassIn has no call to rename it, so nothing is done. To "
                f"re-add the auditor with the new name: --replace {addr}",
            ))
    switch_to_a = rm_s & add_a
    switch_to_s = rm_a & add_s
    removals: list[Change] = []
    adds: list[Change] = []
    S, A, REM, ADD = Role.STUDENT, Role.AUDITOR, Action.REMOVE, Action.ADD
    for u in sorted(rm_s | repl_s):
        why = Reason.SWITCH if u in switch_to_a else Reason.REPLACE if u in repl_s else reason
        removals.append(MemberChange(REM, cid, S, u, None, why))
    for u in sorted(rm_a | repl_a):
        why = Reason.SWITCH if u in switch_to_s else Reason.REPLACE if u in repl_a else reason
        removals.append(MemberChange(REM, cid, A, u, ha[u], why))
    if switch_to_s or repl_s:
        for u in sorted(add_s | repl_s):
            why = Reason.SWITCH if u in switch_to_s else Reason.REPLACE if u in repl_s else None
            adds.append(MemberChange(ADD, cid, S, u, ws[u], why))
    else:
        adds.extend([MemberChange(ADD, cid, S, u, ws[u]) for u in sorted(add_s)])
    for u in sorted(add_a | repl_a):
        why = Reason.SWITCH if u in switch_to_a else Reason.REPLACE if u in repl_a else None
        adds.append(MemberChange(ADD, cid, A, u, wa[u], why))
    return removals, adds


def _lessons(
    cid: int,
    want: CourseSpec | None,
    have: CourseRecord,
    replace: Sequence[Address],
    reason: Reason | None,
    notes: list[Note],
) -> tuple[list[Change], list[Change]]:
    wl: Mapping[int, Mapping[int, LessonMember]] = want.lessons if want else {}
    hl = have.lessons
    removals: list[Change] = []
    adds: list[Change] = []
    empty: dict[int, LessonMember] = {}
    for lid in sorted(wl.keys() | hl.keys()):
        wm = wl.get(lid, empty)
        hm = hl.get(lid, empty)
        rm = hm.keys() - wm.keys()
        add = wm.keys() - hm.keys()
        repl: set[int] = set()
        for u in hm.keys() & wm.keys():
            a, b = hm[u], wm[u]
            addr = LessonStudentAddress(cid, lid, u)
            if replace and _replaced(replace, addr):
                repl.add(u)
            elif a != b:
                what = []
                if a.name != b.name:
                    what.append(f"name {a.name!r} -> {b.name!r}")
                if a.custom != b.custom:
                    what.append(f"custom {a.custom!r} -> {b.custom!r}")
                notes.append(Note(
                    str(addr),
                    f"lesson student {', '.join(what)}: ClassIn has no call to change it in "
                    f"place, so nothing is done. To re-add with the new values: --replace {addr}",
                ))
        for u in sorted(rm | repl):
            m = hm[u]
            why = Reason.REPLACE if u in repl else reason
            removals.append(LessonChange(Action.REMOVE, cid, lid, u, m.name, m.custom, why))
        for u in sorted(add | repl):
            m = wm[u]
            why = Reason.REPLACE if u in repl else None
            adds.append(LessonChange(Action.ADD, cid, lid, u, m.name, m.custom, why))
    return removals, adds


def _groups(
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
            if g.id is None and replace and _replaced(replace, addr):
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
                notes.append(Note(str(addr), unconfirmed_message(addr, pending[g.name])))
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
            notes.append(Note(str(gaddr), unconfirmed_message(gaddr, u, wanted=False)))
    return deletes, sets


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


def diff_course(
    cid: int,
    want: CourseSpec | None,
    have: CourseRecord | None,
    replace: Sequence[Address] = (),
) -> tuple[list[Change], list[Note]]:
    """The ordered changes of one course, and its notes."""
    have = have if have is not None else _EMPTY_RECORD
    reason = Reason.COURSE_REMOVED if want is None else None
    notes: list[Note] = []
    m_rm, m_add = _members(cid, want, have, replace, reason, notes)
    l_rm, l_add = _lessons(cid, want, have, replace, reason, notes)
    g_del, g_set = _groups(cid, want, have, replace, reason, notes)
    return apply_order(m_rm + m_add + l_rm + l_add + g_del + g_set), notes


def _select(
    changes: list[Change], notes: list[Note], targets: Sequence[Address]
) -> tuple[list[Change], list[Note]]:
    """Keep what lies under a target, plus the other half of a kept switch."""
    kept = [c for c in changes if any(t.contains(c.address) for t in targets)]
    halves = {
        (c.course, c.uid) for c in kept
        if type(c) is MemberChange and c.reason is Reason.SWITCH
    }
    if halves:
        ids = {id(c) for c in kept}
        kept = [
            c for c in changes
            if id(c) in ids or (
                type(c) is MemberChange and c.reason is Reason.SWITCH
                and (c.course, c.uid) in halves
            )
        ]
    kept_notes = [
        n for n in notes if any(t.contains(parse_address(n.address)) for t in targets)
    ]
    return kept, kept_notes


def make_plan(
    config: Config,
    state: State,
    targets: Sequence[str] = (),
    replace: Sequence[str] = (),
) -> Plan:
    """Plan the changes that make ClassIn match `config`, given what `state` recorded."""
    with paused_gc():
        return _make_plan(config, state, targets, replace)


def _make_plan(
    config: Config,
    state: State,
    targets: Sequence[str],
    replace: Sequence[str],
) -> Plan:
    if state.sid is not None and state.sid != config.school.sid:
        raise StateError(
            f"the state belongs to school {state.sid}, but the configuration is for school "
            f"{config.school.sid}: point --state at the right file"
        )
    target_addrs = [parse_address(t) for t in targets]
    replace_addrs = [parse_address(r) for r in replace]
    target_courses = {t.course for t in target_addrs}
    per_course: dict[int, list[Change]] = {}
    all_notes: list[Note] = []
    cids = sorted(config.courses.keys() | state.courses.keys())
    for cid in cids:
        if target_addrs and cid not in target_courses:
            continue
        changes, notes = diff_course(
            cid, config.courses.get(cid), state.courses.get(cid), replace_addrs
        )
        if target_addrs:
            changes, notes = _select(changes, notes, target_addrs)
        if changes:
            per_course[cid] = changes
        all_notes.extend(notes)
    for r in replace_addrs:
        if not _replace_found(r, per_course):
            all_notes.append(Note(
                str(r),
                "--replace names nothing that is both recorded and in the configuration "
                "here; nothing is replaced",
            ))
    calls: list[Call] = []
    all_changes: list[Change] = []
    for cid, changes in per_course.items():
        all_changes.extend(changes)
        calls.extend(calls_for_course(cid, changes, config.school.batch))
    names: dict[int, str] = {}
    for cid in per_course:
        spec = config.courses.get(cid)
        if spec is not None and spec.name:
            names[cid] = spec.name
    return Plan(
        sid=config.school.sid,
        changes=tuple(all_changes),
        calls=tuple(calls),
        notes=tuple(all_notes),
        safety=check_safety(per_course, config, state),
        course_names=names,
        targets=tuple(str(t) for t in target_addrs),
        replace=tuple(str(r) for r in replace_addrs),
        lineage=state.lineage,
        serial=state.serial,
        config_digest=config.digest,
        config_root=config.root,
        state_ref=config.state,
        school=config.school,
    )


def _replace_found(r: Address, per_course: Mapping[int, Sequence[Change]]) -> bool:
    return any(
        c.reason is Reason.REPLACE and r.contains(c.address)
        for c in per_course.get(r.course, ())
    )
