"""Test helpers: a strict in-memory interpreter of ClassIn calls, and builders.

`simulate()` carries out planned calls on a copy of a recorded state by reading
only the API parameters (as ClassIn would), and fails loudly where ClassIn
would refuse: adding a member who is already there, removing one who is not,
a second identity in one course, a group with a uid that is not a student.
It shares no code with the planner, so it checks the planner.
"""

from __future__ import annotations

import json
import os
import textwrap
from typing import Any

from eeo_reconcile.classin.api import Call
from eeo_reconcile.model import Config, LessonMember, Team
from eeo_reconcile.state.model import State
from eeo_reconcile.state.records import CourseRecord, GroupRecord


class Refused(AssertionError):
    pass


def simulate(
    state: State, calls: list[Call] | tuple[Call, ...], first_group_id: int = 10_000
) -> State:
    st = state.copy()
    next_gid = [first_group_id]
    for call in calls:
        p = json.loads(json.dumps(call.to_json()["params"]))
        if call.action.name == "addClassStudentMultiple":  # names are labels, recorded by
            for item, name in zip(p["studentJson"], call.labels, strict=True):  # apply
                item["label"] = name
        _one(st, call.action.name, p, next_gid)
    return st


def _c(st: State, cid: int) -> CourseRecord:
    return st.courses.setdefault(cid, CourseRecord())


def _one(st: State, action: str, p: dict[str, Any], next_gid: list[int]) -> None:
    cid = int(p["courseId"])
    c = _c(st, cid)
    if action in ("addCourseStudent", "addCourseStudentMultiple"):
        ident = int(p["identity"])
        if action == "addCourseStudent":
            items = [(int(p["studentUid"]), p.get("studentName"))]
        else:
            items = [(int(i["uid"]), i.get("name")) for i in p["studentJson"]]
            if ident == 2 and len(items) > 20 or ident == 1 and len(items) > 30:
                raise Refused(f"batch too large: {len(items)}")
        for uid, name in items:
            if uid in c.students or uid in c.auditors:
                raise Refused(f"{action}: {uid} already a member of {cid}")
            if ident == 1:
                c.students.add(uid)
            else:
                if not name:
                    raise Refused("auditor without a name")
                c.auditors[uid] = name
    elif action in ("delCourseStudent", "delCourseStudentMultiple"):
        ident = int(p["identity"])
        uids = ([int(p["studentUid"])] if action == "delCourseStudent"
                else [int(u) for u in p["studentUidJson"]])
        if len(uids) > 30:
            raise Refused("batch too large")
        for uid in uids:
            if ident == 1:
                if uid not in c.students:
                    raise Refused(f"{action}: {uid} not a student of {cid}")
                c.students.discard(uid)
            else:
                if uid not in c.auditors:
                    raise Refused(f"{action}: {uid} not an auditor of {cid}")
                del c.auditors[uid]
    elif action == "addClassStudentMultiple":
        lid = int(p["classId"])
        members = c.lessons.setdefault(lid, {})
        if len(p["studentJson"]) > 30:
            raise Refused("batch too large")
        for i in p["studentJson"]:
            uid = int(i["uid"])
            if uid in members or uid in c.students or uid in c.auditors:
                raise Refused(f"lesson add: {uid} already in lesson {lid} or the course")
            members[uid] = LessonMember(i["label"], i.get("customColumn"))
    elif action == "delClassStudentMultiple":
        lid = int(p["classId"])
        members = c.lessons.get(lid, {})
        for u in p["studentUidJson"]:
            uid = int(u)
            if uid not in members:
                raise Refused(f"lesson del: {uid} not in lesson {lid}")
            del members[uid]
        if not members:
            c.lessons.pop(lid, None)
    elif action in ("addCourseGroup", "editCourseGroup"):
        teams = []
        seen = set()
        for t in p["groupList"]:
            leaders = [int(x["studentUid"]) for x in t if int(x["isLeader"]) == 1]
            if len(leaders) != 1:
                raise Refused("team without exactly one leader")
            others = [int(x["studentUid"]) for x in t if int(x["isLeader"]) != 1]
            for u in [*leaders, *others]:
                if u in seen:
                    raise Refused("uid twice in a grouping")
                if u not in c.students:
                    raise Refused(f"group uid {u} is not a student of {cid}")
                seen.add(u)
            teams.append(Team(leaders[0], tuple(others)))
        name = p["groupName"]
        if action == "addCourseGroup":
            if name in c.groups:
                raise Refused("group already created (892)")
            gid = next_gid[0]
            next_gid[0] += 1
        else:
            gid = int(p["groupId"])
            for n, g in list(c.groups.items()):
                if g.id == gid:
                    del c.groups[n]
            if name in c.groups:
                raise Refused("another group has that name")
        c.groups[name] = GroupRecord(gid, tuple(teams))
    elif action == "delCourseGroup":
        gid = int(p["groupId"])
        for n, g in list(c.groups.items()):
            if g.id == gid:
                del c.groups[n]
                break
        else:
            raise Refused(f"no group {gid}")
    else:  # pragma: no cover
        raise Refused(f"unknown action {action}")
    if c.is_empty():
        st.courses.pop(cid, None)


def state_from_config(config: Config, group_ids: dict[tuple[int, str], int] | None = None) -> State:
    """The state a perfect apply of `config` would record."""
    st = State(lineage=State.new_lineage(), serial=1, sid=config.school.sid)
    gid = 50_000
    for cid, spec in config.courses.items():
        c = CourseRecord()
        c.students = set(spec.students)
        c.auditors = dict(spec.auditors)
        c.lessons = {k: dict(v) for k, v in spec.lessons.items() if v}
        c.name = spec.name
        c.labels = {u: n for u, n in spec.students.items() if n is not None}
        c.lesson_names = {k: n for k, n in spec.lesson_names.items() if c.lessons.get(k)}
        for g in spec.groups:
            the_id = g.id or (group_ids or {}).get((cid, g.name))
            if the_id is None:
                gid += 1
                the_id = gid
            c.groups[g.name] = GroupRecord(the_id, g.teams)
        if not c.is_empty():
            st.courses[cid] = c
    return st


def write_tree(root: str, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(text) if not text.startswith("\n") else text[1:])


def load_plan_file(path):
    """A saved plan and its creation time (what tests compare)."""
    from eeo_reconcile.plan.planfile import load_saved_plan

    saved = load_saved_plan(path)
    return saved.plan, saved.created


def wait_for(condition, timeout=60.0, what="the condition"):
    """Poll `condition` until it is true (its value is returned): tests wait for an
    observed event, never for a fixed time. AssertionError after `timeout` s."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        got = condition()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)


def minimum_calls(changes, batch):
    """The fewest calls that can carry `changes` with these batch sizes, counted
    independently of plan/calls.py (the oracle the planner's calls are held to)."""
    from eeo_reconcile.plan.changes import Action, CourseChange, GroupChange, MemberChange

    counts = {}
    groups = 0
    for ch in changes:
        if isinstance(ch, GroupChange):
            groups += 1
            continue
        if isinstance(ch, CourseChange):
            continue
        if ch.action is Action.CHANGE:
            raise ValueError(f"{ch.address}: a member cannot be changed in place, only added "
                             "or removed")
        if isinstance(ch, MemberChange):
            key = ("m", ch.course, ch.role, ch.action)
            size = (batch.removals if ch.action is Action.REMOVE else
                    batch.students if ch.role.value == "student" else batch.auditors)
        else:
            key = ("l", ch.course, ch.lesson, ch.action)
            size = batch.lesson_students
        counts[key] = (counts.get(key, (0, size))[0] + 1, size)
    return groups + sum(-(-n // size) for n, size in counts.values())


def students_in_history(store: Any) -> set[tuple[int, int]]:
    """The (course, uid) students the store's history says the state holds: its
    adds and removals replayed, a forgotten course dropped."""
    held: set[tuple[int, int]] = set()
    for e in store.history():
        a = e.address.split("/")
        if len(a) == 4 and a[2] == "student":
            key = (int(a[1]), int(a[3]))
            if e.action == "add":
                held.add(key)
            elif e.action == "remove":
                held.discard(key)
        elif len(a) == 2 and e.action == "forget":
            held = {k for k in held if k[0] != int(a[1])}
    return held
