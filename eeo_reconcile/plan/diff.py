"""The planner: desired configuration vs recorded state, by set arithmetic.

Each course is diffed on its own (O(members)); results are sorted by uid so
that a plan is deterministic. Nothing here talks to the network or needs a
secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace as dc_replace

from ..address import Address, CourseAddress, parse_address
from ..classin.api import Call
from ..errors import StateError
from ..model import Config, CourseSpec, OnNameChange, Retire
from ..state.model import State
from ..state.records import CourseRecord
from .calls import calls_for_course, ordered
from .changes import Action, Change, CourseChange, LessonChange, MemberChange, Note, Reason
from .groups import groups
from .labels import LabelUpdate, label_updates
from .members import lessons, members
from .people import account_changes, registrations, resolve_people
from .plan import Plan
from .safety import Allow, check_safety

_EMPTY_RECORD = CourseRecord()


def diff_course(
    cid: int,
    want: CourseSpec | None,
    have: CourseRecord | None,
    replace: Sequence[Address] = (),
    on_change: OnNameChange = OnNameChange.NOTE,
    retire: Retire | None = None,
) -> tuple[list[Change], list[Note]]:
    """The ordered changes of one course, and its notes. `want` None: the course
    left the configuration (`retire` says whether it was retired, and how)."""
    have = have if have is not None else _EMPTY_RECORD
    if retire is Retire.FORGET:
        if have.is_empty() and have.name is None:
            return [], []
        return [CourseChange(Action.REMOVE, cid, have.name, Reason.FORGET)], []
    reason = None
    if want is None:
        reason = Reason.RETIRED if retire is Retire.REMOVE_MEMBERS else Reason.COURSE_REMOVED
    notes: list[Note] = []
    m_rm, m_add = members(cid, want, have, replace, reason, notes, on_change)
    l_rm, l_add = lessons(cid, want, have, replace, reason, notes, on_change)
    if m_rm and l_add:
        # a course member who becomes a lesson student leaves the course first
        moved = {c.uid for c in l_add if type(c) is LessonChange}
        m_rm = [dc_replace(c, first=True) if type(c) is MemberChange and c.uid in moved
                else c for c in m_rm]
    if l_rm and m_add:
        # a lesson student who becomes a course member leaves the lesson first: removed
        # from the lesson once a course student, they would be taken out of it (调出生)
        joining = {c.uid for c in m_add if type(c) is MemberChange}
        l_rm = [dc_replace(c, first=True) if type(c) is LessonChange and c.uid in joining
                else c for c in l_rm]
    g_del, g_set = groups(cid, want, have, replace, reason, notes)
    return ordered(m_rm, m_add, l_rm, l_add, g_del, g_set), notes


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
    allow: Allow = Allow(),
) -> Plan:
    """Plan the changes that make ClassIn match `config`, given what `state`
    recorded. `allow` says which guard findings the command line allows (the
    plan shows them as allowed; apply needs the same flags)."""
    return _make_plan(config, state, targets, replace, allow)


def _make_plan(
    config: Config,
    state: State,
    targets: Sequence[str],
    replace: Sequence[str],
    allow: Allow,
) -> Plan:
    if state.sid is not None and state.sid != config.school.sid:
        raise StateError(
            f"the state belongs to school {state.sid}, but the configuration is for school "
            f"{config.school.sid}: point --state at the right file"
        )
    people = resolve_people(config, state)
    config = people.config  # members named by a known person are members by uid
    target_addrs = [parse_address(t) for t in targets]
    replace_addrs = [parse_address(r) for r in replace]
    target_courses = {t.course for t in target_addrs}
    whole_courses = {t.course for t in target_addrs if isinstance(t, CourseAddress)}
    on_change = config.school.on_name_change
    per_course: dict[int, list[Change]] = {}
    all_notes: list[Note] = []
    updates: list[LabelUpdate] = []
    cids = sorted(config.courses.keys() | state.courses.keys() | config.retired.keys())
    for cid in cids:
        if target_addrs and cid not in target_courses:
            continue
        want = config.courses.get(cid)
        have = state.courses.get(cid)
        changes, notes = diff_course(cid, want, have, replace_addrs, on_change,
                                     config.retired.get(cid))
        if target_addrs:
            changes, notes = _select(changes, notes, target_addrs)
        if changes:
            per_course[cid] = changes
        all_notes.extend(notes)
        if want is not None and (not target_addrs or cid in whole_courses):
            updates.extend(label_updates(cid, want, have or _EMPTY_RECORD))
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
    course_names, lesson_names = _names(config, state, per_course)
    pending = tuple(m for m in people.pending if not target_addrs or m.course in whole_courses)
    accounts = people.accounts if not target_addrs else tuple(
        a for a in people.accounts if a.key in {m.key for m in pending})
    return Plan(
        sid=config.school.sid,
        changes=tuple(all_changes),
        calls=tuple(calls),
        notes=tuple(all_notes),
        safety=check_safety(per_course, config, state, allow, registrations(accounts),
                            [(a.key, a.old_uid) for a in account_changes(accounts)
                             if a.old_uid is not None]),
        course_names=course_names,
        lesson_names=lesson_names,
        labels=tuple(updates),
        accounts=accounts,
        pending=pending,
        targets=tuple(str(t) for t in target_addrs),
        replace=tuple(str(r) for r in replace_addrs),
        lineage=state.lineage,
        serial=state.serial,
        config_digest=config.digest,
        config_root=config.root,
        state_ref=config.state,
        school=config.school,
        salt=state.salt,
    )


def _names(config: Config, state: State, per_course: Mapping[int, Sequence[Change]]
           ) -> tuple[dict[int, str], dict[tuple[int, int], str]]:
    """The names of the courses and lessons the plan touches: the configuration's,
    else the recorded ones (a course dropped from the YAML keeps its name)."""
    courses: dict[int, str] = {}
    lessons: dict[tuple[int, int], str] = {}
    for cid, changes in per_course.items():
        spec = config.courses.get(cid)
        rec = state.courses.get(cid)
        name = (spec.name if spec else None) or (rec.name if rec else None)
        if name:
            courses[cid] = name
        for lid in {c.lesson for c in changes if type(c) is LessonChange}:
            lname = (spec.lesson_names.get(lid) if spec else None) or (
                rec.lesson_names.get(lid) if rec else None)
            if lname:
                lessons[(cid, lid)] = lname
    return courses, lessons


def _replace_found(r: Address, per_course: Mapping[int, Sequence[Change]]) -> bool:
    return any(
        c.reason is Reason.REPLACE and r.contains(c.address)
        for c in per_course.get(r.course, ())
    )
