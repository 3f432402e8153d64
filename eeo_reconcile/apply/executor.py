"""Apply: carry out a plan's calls, record every confirmed result as it lands.

Courses run in parallel (one worker per course at a time, `parallelism`
workers); inside a course the calls run in the plan's order (`course.py`),
and each answer is turned into `StateOp`s and written durably to the store's
journal *before* the next call of that course is sent (`sending.py`), so a
crash at any moment loses nothing that ClassIn confirmed, and the next plan
shows exactly the work left. Courses the plan stops managing (retired_courses:
forget) and names of courses without calls are recorded without any call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING

from ..classin.accounts import accounts_key
from ..classin.api import Call
from ..errors import ApiError, StateError
from ..model import BatchSizes
from ..plan.calls import calls_for_course
from ..plan.changes import Change, CourseChange, removed_uid
from ..plan.people import resolved
from ..plan.plan import Plan
from ..state.model import State
from ..state.store import StateStore
from .accounts import PeopleWork, register_people
from .course import CourseRun
from .observe import Observer
from .record import forget_course, name_ops
from .result import ApplyResult, Failure
from .sending import ECHO_MISMATCH, Progress, Sender


def with_resolved(run: Sender, plan: Plan, uids: Mapping[str, int], state: State) -> Plan:
    """The plan with its pending members added, now that their uids are known;
    each course that changes has its calls made again by the planner's code. A
    pending member whose person got no uid is a failure (their add not sent);
    a person whose account changed and whose new account was not registered
    keeps the old uid's memberships (their removals are not sent)."""
    batch = plan.school.batch if plan.school is not None else BatchSizes()
    for m in plan.pending:
        if m.key not in uids:
            with run.lock:
                run.result.failures.append(Failure(
                    f"course/{m.course}" + (f"/lesson/{m.lesson}" if m.lesson else "")
                    + f"/person/{m.key}", "add", None,
                    "not sent: the person's account was not registered (see person/"
                    f"{m.key})"))
    keep = {a.old_uid for a in plan.accounts if a.old_uid is not None and a.key not in uids}
    changes: list[Change] = []
    touched: set[int] = set()
    for c in plan.changes:
        if keep and removed_uid(c) in keep:
            touched.add(c.course)  # the old account stays until the new one is there
        else:
            changes.append(c)
    for a in resolved(plan.pending, uids):
        rec = state.courses.get(a.course)
        if rec is not None and (a.uid in rec.students or a.uid in rec.auditors):
            continue  # recorded already (by uid): the diff had it
        changes.append(a)
        touched.add(a.course)
    if not touched:
        return plan
    per_course: dict[int, list[Change]] = {}
    for c in changes:
        per_course.setdefault(c.course, []).append(c)
    calls = [call for call in plan.calls if call.course not in touched]
    for cid in sorted(touched):
        calls.extend(calls_for_course(cid, per_course.get(cid, []), batch))
    new = dc_replace(plan, changes=tuple(changes), calls=tuple(calls), pending=())
    run.plan = new
    with run.lock:
        run.result.calls_planned = len(new.calls)
        run.members_total = sum(max(1, len(c.uids)) for c in new.calls)
    return new


if TYPE_CHECKING:  # requests is imported only when something is applied
    from ..classin.client import ClassInClient

__all__ = ["ECHO_MISMATCH", "Progress", "apply_plan"]


def _without_calls(run: Sender, plan: Plan, courses_with_calls: set[int]) -> None:
    """Record what needs no ClassIn call: courses no longer managed, and the
    names of courses whose calls there are none of."""
    forgets = [c for c in plan.changes if type(c) is CourseChange]
    if forgets:
        run.record([forget_course(c.course) for c in forgets])
        run.result.forgotten += len(forgets)
    ops = []
    n = 0
    for cid, updates in run.plan_labels.items():
        if cid not in courses_with_calls:
            ops.extend(name_ops(cid, updates))
            n += len(updates)
    if ops:
        run.record(ops)
        run.result.labels += n


def apply_plan(
    plan: Plan,
    store: StateStore,
    state: State,
    client: ClassInClient,
    parallelism: int = 4,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    hold: bool = True,
    observer: Observer | None = None,
    people: PeopleWork | None = None,
) -> ApplyResult:
    """Carry out `plan` against ClassIn, recording into `store` (lock held by the
    caller; `state` as read under that lock). `hold=False` sends a course's
    plain removals even when one of its adds failed. `people`: the accounts of
    the plan's registrations (from the configuration), registered first."""
    if plan.sid != client.sid:
        raise ApiError(f"the plan is for school {plan.sid}, the client for {client.sid}")
    if state.sid is None:
        state.sid = plan.sid
    journal = store.open_journal(state)
    observer = observer or Observer()
    run = Sender(plan, journal, client, progress, stop, observer)
    by_course: dict[int, list[Call]] = {}
    try:
        if people is not None and (people.todo or people.renames or plan.pending):
            try:
                learned = register_people(run, people.todo, people.renames,
                                          accounts_key(state.salt or ""), people.password,
                                          parallelism)
            except StateError as exc:
                run.record_failed = True
                run.halt(f"a registered account's uid could not be recorded ({exc})")
                learned = {}
            plan = with_resolved(run, plan, {**people.known, **learned}, state)
        for call in plan.calls:
            by_course.setdefault(call.course, []).append(call)
        try:
            _without_calls(run, plan, set(by_course))
        except StateError as exc:
            run.record_failed = True
            run.halt(f"the state could not record what needs no ClassIn call ({exc})")
        if not run.stop.is_set():
            with ThreadPoolExecutor(max_workers=max(1, parallelism),
                                    thread_name_prefix="apply") as pool:
                futures = [pool.submit(CourseRun(run, cid, calls, hold).run)
                           for cid, calls in by_course.items()]
                try:
                    for f in futures:
                        f.result()
                except BaseException:
                    run.stop.set()
                    raise
    finally:
        run.result.started, run.result.finished = observer.started, time.time()
        run.result.call_ms = observer.call_ms
        run.result.outcomes = observer.outcomes
        try:
            run.result.state = journal.close()
        except StateError as exc:
            run.result.state = None
            if run.result.stopped is None:
                run.result.stopped = f"the state could not be saved at the end: {exc}"
            elif not run.record_failed:  # else that failure was already reported
                run.result.stopped += f" Then the state could not be saved at the end: {exc}"
    return run.result
