"""Course members and lesson students: configuration vs record, as set arithmetic.

Each function returns (removals, adds) for one course; a removal carries the
name the state recorded (a student's label, an auditor's or lesson student's
name as sent), so that every plan line says who.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..address import Address, AuditorAddress, CourseAddress, LessonStudentAddress, StudentAddress
from ..model import CourseSpec, LessonMember, OnNameChange, Role
from ..state.records import CourseRecord
from .changes import Action, Change, LessonChange, MemberChange, Note, Reason, member_run


def replaced(replace: Sequence[Address], addr: Address) -> bool:
    return any(r.contains(addr) for r in replace)


def _replaced_members(cid: int, replace: Sequence[Address], hs: set[int],
                      ws: Mapping[int, object], ha: Mapping[int, str],
                      wa: Mapping[int, str]) -> tuple[set[int], set[int]]:
    repl_s: set[int] = set()
    repl_a: set[int] = set()
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
    return repl_s, repl_a


def members(
    cid: int,
    want: CourseSpec | None,
    have: CourseRecord,
    replace: Sequence[Address],
    reason: Reason | None,
    notes: list[Note],
    on_change: OnNameChange = OnNameChange.NOTE,
) -> tuple[list[Change], list[Change]]:
    """Course students and auditors: (removals, adds)."""
    ws: Mapping[int, str | None] = want.students if want else {}
    wa: Mapping[int, str] = want.auditors if want else {}
    hs = have.students
    ha = have.auditors
    labels = have.labels
    rm_s = hs.difference(ws)
    rm_a = ha.keys() - wa.keys()
    add_s = ws.keys() - hs if hs else set(ws)
    add_a = wa.keys() - ha.keys()
    repl_s, repl_a = _replaced_members(cid, replace, hs, ws, ha, wa) if replace else (set(), set())
    for u in sorted(ha.keys() & wa.keys()):
        if ha[u] == wa[u] or u in repl_a:
            continue
        if on_change is OnNameChange.REPLACE:
            repl_a.add(u)
            continue
        addr = f"course/{cid}/auditor/{u}"
        notes.append(Note(
            addr,
            f"auditor name is {ha[u]!r} in ClassIn (as last sent) but {wa[u]!r} in the "
            "configuration; ClassIn has no call to rename it, so nothing is done. To "
            f"re-add the auditor with the new name: --replace {addr}, or set "
            "`names: {on_change: replace}` in the school block to do it for every changed "
            "name",
            names=(ha[u], wa[u]),
        ))
    switch_to_a = rm_s & add_a
    switch_to_s = rm_a & add_s
    removals: list[Change] = []
    adds: list[Change] = []
    S, A, REM, ADD = Role.STUDENT, Role.AUDITOR, Action.REMOVE, Action.ADD
    # a switch or a replacement: ClassIn gives one identity per course, so the old
    # one goes before the new one is added (the planner's order, made explicit)
    for u in sorted(rm_s | repl_s):
        first = u in switch_to_a or u in repl_s
        why = Reason.SWITCH if u in switch_to_a else Reason.REPLACE if u in repl_s else reason
        removals.append(MemberChange(REM, cid, S, u, labels.get(u), why, first))
    for u in sorted(rm_a | repl_a):
        first = u in switch_to_s or u in repl_a
        why = Reason.SWITCH if u in switch_to_s else Reason.REPLACE if u in repl_a else reason
        removals.append(MemberChange(REM, cid, A, u, ha[u], why, first))
    if switch_to_s or repl_s:
        for u in sorted(add_s | repl_s):
            why = Reason.SWITCH if u in switch_to_s else Reason.REPLACE if u in repl_s else None
            adds.append(MemberChange(ADD, cid, S, u, ws[u], why))
    else:
        plain = sorted(add_s)
        adds.extend(member_run(ADD, cid, S, plain, map(ws.__getitem__, plain)))
    for u in sorted(add_a | repl_a):
        why = Reason.SWITCH if u in switch_to_a else Reason.REPLACE if u in repl_a else None
        adds.append(MemberChange(ADD, cid, A, u, wa[u], why))
    return removals, adds


def _changed(a: LessonMember, b: LessonMember) -> str:
    what = []
    if a.name != b.name:
        what.append(f"name {a.name!r} -> {b.name!r}")
    if a.custom != b.custom:
        what.append(f"custom {a.custom!r} -> {b.custom!r}")
    return ", ".join(what)


def lessons(
    cid: int,
    want: CourseSpec | None,
    have: CourseRecord,
    replace: Sequence[Address],
    reason: Reason | None,
    notes: list[Note],
    on_change: OnNameChange = OnNameChange.NOTE,
) -> tuple[list[Change], list[Change]]:
    """Lesson-only students, lesson by lesson: (removals, adds)."""
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
            if replace and replaced(replace, addr):
                repl.add(u)
            elif a.custom == b.custom:
                continue  # only the label differs: recorded (labels.py), never sent
            elif a != b:
                if on_change is OnNameChange.REPLACE:
                    repl.add(u)
                    continue
                notes.append(Note(
                    str(addr),
                    f"lesson student {_changed(a, b)}: ClassIn has no call to change it in "
                    f"place, so nothing is done. To re-add with the new values: --replace "
                    f"{addr}, or set `names: {{on_change: replace}}` in the school block",
                    names=tuple(x for x in (a.name, b.name, a.custom, b.custom) if x),
                ))
        for u in sorted(rm | repl):
            m = hm[u]
            why = Reason.REPLACE if u in repl else reason
            removals.append(LessonChange(Action.REMOVE, cid, lid, u, m.name, m.custom, why,
                                         u in repl))
        for u in sorted(add | repl):
            m = wm[u]
            why = Reason.REPLACE if u in repl else None
            adds.append(LessonChange(Action.ADD, cid, lid, u, m.name, m.custom, why))
    return removals, adds
