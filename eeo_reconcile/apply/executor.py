"""Apply: carry out a plan's calls, record every confirmed result as it lands.

Courses run in parallel (one worker per course at a time, `parallelism`
workers); inside a course the calls run in the plan's order. Each answer is
turned into `StateOp`s and written durably to the store's journal *before*
the next call of that course is sent, so a crash at any moment loses nothing
that ClassIn confirmed, and the next plan shows exactly the work left.

How answers are read (see `classin.errnos.classify`):
  success / warning / already-converged  -> recorded as done
  per-member failure                     -> reported; the other members go on
  course failure (144, 147, 149, 153, 369) -> the rest of that course is skipped
  lesson failure (142, 143, 145, 212, 466) -> the rest of that lesson is skipped
  run failure (102 auth/clock; 100, 400 ... a bug; no answer at all) -> stop everything
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from .._gc import paused_gc
from ..classin.answers import ApiResult, TransportError
from ..classin.api import Call, Effect, Subject
from ..classin.errnos import ErrClass, classify, meaning
from ..errors import ApiError, StateError
from ..ids import as_id
from ..model import Team
from ..plan.plan import Plan
from ..state.model import State
from ..state.ops import StateOp
from ..state.records import Unconfirmed
from ..state.store import StateStore
from .record import forget_group, group_not_created, group_unconfirmed, member_op, set_group
from .result import ApplyResult, Failure, Skipped

Progress = Callable[[int, int], None]
ECHO_MISMATCH = -2  # an answer's items do not echo what was sent, in order

if TYPE_CHECKING:  # requests is imported only when something is applied
    from ..classin.client import ClassInClient


class _Run:
    """Shared state of one apply: the journal, the stop flag, the tallies."""

    def __init__(self, plan: Plan, journal: Any, client: ClassInClient,
                 progress: Progress | None):
        self.plan = plan
        self.journal = journal
        self.client = client
        self.progress = progress
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.result = ApplyResult(calls_planned=len(plan.calls))
        self.done = 0
        self.record_failed = False  # the store refused a confirmed result

    def tick(self, n: int = 1) -> None:
        with self.lock:
            self.done += n
            done = self.done
        if self.progress is not None:
            self.progress(done, self.result.calls_planned)

    def halt(self, why: str) -> None:
        with self.lock:
            if self.result.stopped is None:
                self.result.stopped = why
        self.stop.set()

    # -- one course, in order ---------------------------------------------------------
    def course(self, calls: Sequence[Call]) -> None:
        skipped_lessons: dict[int, tuple[int, int]] = {}  # lesson -> (errno, calls skipped)
        for i, call in enumerate(calls):
            if self.stop.is_set():  # the progress shows what was done, not what was not
                with self.lock:
                    self.result.not_sent += len(calls) - i
                return
            if call.lesson is not None and call.lesson in skipped_lessons:
                code, n = skipped_lessons[call.lesson]
                skipped_lessons[call.lesson] = (code, n + 1)
                self.tick()
                continue
            try:
                verdict = self.one(call)
            except StateError as exc:
                self.record_failed = True
                self.halt(
                    f"a confirmed result could not be recorded ({exc}). ClassIn may have "
                    "applied that call; the next plan proposes it again and ClassIn's "
                    "'already there' answers make that safe."
                )
                with self.lock:
                    self.result.not_sent += len(calls) - i - 1
                self.tick()
                return
            self.tick()
            if verdict is None:
                continue
            scope, code = verdict
            if scope == "course":
                with self.lock:
                    self.result.skipped.append(Skipped(
                        f"course/{call.course}", code, _why(code), len(calls) - i - 1))
                self.tick(len(calls) - i - 1)
                return
            if scope == "lesson" and call.lesson is not None:
                skipped_lessons[call.lesson] = (code, 0)
        for lesson, (code, n) in skipped_lessons.items():
            with self.lock:
                self.result.skipped.append(Skipped(
                    f"course/{calls[0].course}/lesson/{lesson}", code, meaning(code), n))

    def one(self, call: Call) -> tuple[str, int] | None:
        """Send one call and record what it confirmed. Returns ("course"|"lesson",
        errno) when the rest of that scope must be skipped."""
        ep = call.action
        action = ep.name
        params = call.params()
        creates = ep.effect is Effect.CREATE
        if creates:  # not idempotent: what was about to happen survives a crash
            self.journal.record([group_unconfirmed(call, Unconfirmed.NO_ANSWER)])
        try:
            res = self.client.call(action, params, idempotent=ep.idempotent, stop=self.stop)
        except TransportError as exc:
            with self.lock:
                self.result.requests += exc.attempts
                if exc.sent:
                    self.result.calls_sent += 1
            if creates and not exc.sent:
                self.journal.record([group_not_created(call)])
            if exc.interrupted:
                with self.lock:
                    self.result.unanswered += 1
                return None
            with self.lock:
                for uid in call.uids or (None,):
                    self.result.failures.append(Failure(call.address(uid), action, None, str(exc)))
            self.halt(f"ClassIn could not be reached: {exc}")
            return None
        with self.lock:
            self.result.requests += res.attempts
            self.result.calls_sent += 1
        top = classify(res.errno, ep, call.identity)
        if creates and top in (ErrClass.FATAL_RUN, ErrClass.FATAL_COURSE, ErrClass.FATAL_LESSON):
            self.journal.record([group_not_created(call)])
        if top is ErrClass.FATAL_RUN:
            self.fail_all(call, res)
            if res.errno == 102:
                self.halt(
                    f"ClassIn refused the credentials (errno {meaning(res.errno)}): check the "
                    f"SID ({self.client.sid}), the secret in ${self._secret_env()}, and this "
                    "machine's clock (ClassIn allows 20 minutes of difference)"
                )
            else:
                self.halt(
                    f"ClassIn rejected a request as malformed (errno {meaning(res.errno)}): "
                    f"{action} {params}. This is a bug in eeo-reconcile; please report it."
                )
            return None
        if top is ErrClass.FATAL_COURSE:
            self.fail_all(call, res)
            return ("course", res.errno)
        if top is ErrClass.FATAL_LESSON:
            self.fail_all(call, res)
            return ("lesson", res.errno)
        if ep.subject is Subject.GROUP:
            self.group(call, res, top)
            return None
        if ep.is_batch:
            if top is not ErrClass.SUCCESS:  # the request itself failed (e.g. transient)
                self.fail_all(call, res)
                return None
            items = res.items()
            # Items are matched to members by position: the documents do not promise
            # the order, so where an item echoes what was sent it must match, and the
            # number of items must be the number sent.
            if len(items) != len(call.uids):
                self.halt(
                    f"ClassIn answered {len(items)} items to {action} with {len(call.uids)} "
                    "members; nothing of it was recorded. Run plan and apply again."
                )
                return None
            mismatch = _echo_mismatch(call, res)
            if mismatch is not None:
                with self.lock:
                    for uid in call.uids:
                        self.result.failures.append(Failure(
                            call.address(uid), action, None, _why(mismatch)))
                return ("course", mismatch)
            codes = [c for c, _ in items]
        else:
            codes = [res.errno]
        self.members(call, codes)
        return None

    def members(self, call: Call, codes: list[int]) -> None:
        action = call.action.name
        done: list[int] = []
        already = 0
        failures = []
        warnings = []
        for i, code in enumerate(codes):
            cls = classify(code, call.action, call.identity)
            if cls in (ErrClass.SUCCESS, ErrClass.WARNING, ErrClass.CONVERGED):
                done.append(i)
                if cls is ErrClass.CONVERGED:
                    already += 1
                if cls is ErrClass.WARNING:
                    warnings.append(f"{call.address(call.uids[i])}: {meaning(code)}")
            else:
                failures.append(Failure(call.address(call.uids[i]), action, code, meaning(code)))
        op = member_op(call, done)
        if op is not None:
            self.journal.record([op])
        with self.lock:
            n = len(done) - already
            if call.action.adds:
                self.result.added += n
            else:
                self.result.removed += n
            self.result.already += already
            self.result.failures.extend(failures)
            self.result.warnings.extend(warnings)

    def group(self, call: Call, res: ApiResult, cls: ErrClass) -> None:
        """Record what a grouping call confirmed (by the endpoint's effect)."""
        action = call.action.name
        effect = call.action.effect
        addr = call.address()
        ops: list[StateOp] = []
        note: Failure | None = None
        ok = cls in (ErrClass.SUCCESS, ErrClass.WARNING)
        if effect is Effect.CREATE:
            gid = as_id(res.data)
            if ok and gid is not None:
                # 898: saved without the uids it refused
                teams = self._kept_teams(call) if cls is ErrClass.WARNING else None
                ops.append(set_group(call, gid, teams))
            elif ok:  # created, but its id did not come back: it stays unconfirmed
                note = Failure(addr, action, res.errno,
                               f"{meaning(res.errno)} but no group id came back: recorded as "
                               "probably created, id unknown (plan says what to do)")
            elif res.errno == 892:
                ops.append(group_unconfirmed(call, Unconfirmed.ALREADY_CREATED))
                note = Failure(addr, action, 892, meaning(892) + " Recorded as probably "
                               "created, id unknown; it is not sent again (plan says what to do).")
            elif cls is ErrClass.TRANSIENT:  # not sent again: its outcome is unknown
                note = Failure(addr, action, res.errno, meaning(res.errno) + " Whether the "
                               "grouping was created is unknown: recorded as probably created "
                               "(plan says what to do).")
            else:
                ops.append(group_not_created(call))
                note = Failure(addr, action, res.errno, meaning(res.errno))
        elif effect is Effect.EDIT:
            assert call.group_id is not None
            if ok:
                ops.append(set_group(call, call.group_id))
            elif res.errno == 893:
                # the grouping is gone from ClassIn: forget it, so the next plan recreates it
                ops.append(forget_group(call))
                rec = self.journal.state.courses.get(call.course)
                pending = rec.unconfirmed.get(call.group_name or "") if rec else None
                if pending is not None and pending.id == call.group_id:
                    # an id the operator gave that ClassIn does not know: the grouping
                    # itself may still exist, so the finding stays (without that id)
                    ops.append(group_unconfirmed(call, pending.reason, pending.teams))
                note = Failure(addr, action, 893, meaning(893) + " It was forgotten; if it was "
                               "adopted by id, check the id, else apply again to create it.")
            else:
                note = Failure(addr, action, res.errno, meaning(res.errno))
        elif cls in (ErrClass.SUCCESS, ErrClass.WARNING, ErrClass.CONVERGED):  # delete
            ops.append(forget_group(call))
        else:
            note = Failure(addr, action, res.errno, meaning(res.errno))
        if ops:
            self.journal.record(ops)
        with self.lock:
            if note is not None:
                self.result.failures.append(note)
            if cls is ErrClass.WARNING:
                self.result.warnings.append(f"{addr}: {meaning(res.errno)}")
            if ops and note is None:
                if effect is Effect.CREATE:
                    self.result.groups_created += 1
                elif effect is Effect.EDIT:
                    self.result.groups_changed += 1
                elif cls is ErrClass.CONVERGED:
                    self.result.already += 1
                else:
                    self.result.groups_deleted += 1

    def _kept_teams(self, call: Call) -> tuple[Team, ...]:
        """What ClassIn kept of a grouping it answered 898 to: it leaves out the
        uids that are not students of the course, so record only the members
        this state knows as students (an add that failed earlier, say). The next
        plan then sees the difference and edits the grouping once they are in."""
        rec = self.journal.state.courses.get(call.course)
        students = rec.students if rec is not None else set()
        return tuple(
            Team(t.leader, tuple(u for u in t.members if u in students)) for t in call.teams
        )

    def fail_all(self, call: Call, res: ApiResult) -> None:
        action = call.action.name
        with self.lock:
            for uid in call.uids or (None,):
                self.result.failures.append(
                    Failure(call.address(uid), action, res.errno, meaning(res.errno)))

    def _secret_env(self) -> str:
        school = self.plan.school
        return school.secret_env if school else "EEO_SECRET"


def apply_plan(
    plan: Plan,
    store: StateStore,
    state: State,
    client: ClassInClient,
    parallelism: int = 4,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> ApplyResult:
    """Carry out `plan` against ClassIn, recording into `store` (lock held by the
    caller; `state` as read under that lock)."""
    if plan.sid != client.sid:
        raise ApiError(f"the plan is for school {plan.sid}, the client for {client.sid}")
    if state.sid is None:
        state.sid = plan.sid
    journal = store.open_journal(state)
    run = _Run(plan, journal, client, progress)
    if stop is not None:
        # let the caller stop the run (Ctrl-C): share one event
        run.stop = stop
    by_course: dict[int, list[Call]] = {}
    for call in plan.calls:
        by_course.setdefault(call.course, []).append(call)
    try:
        with ThreadPoolExecutor(max_workers=max(1, parallelism),
                                thread_name_prefix="apply") as pool:
            futures = [pool.submit(run.course, calls) for calls in by_course.values()]
            try:
                for f in futures:
                    f.result()
            except BaseException:
                run.stop.set()
                raise
    finally:
        try:
            with paused_gc():
                run.result.state = journal.close()
        except StateError as exc:
            run.result.state = None
            if run.result.stopped is None:
                run.result.stopped = f"the state could not be saved at the end: {exc}"
            elif not run.record_failed:  # else that failure was already reported
                run.result.stopped += f" Then the state could not be saved at the end: {exc}"
    return run.result


def _why(code: int) -> str:
    if code == ECHO_MISMATCH:
        return ("an answer whose items do not echo what was sent, in order: they cannot be "
                "matched to members, so nothing of it was recorded")
    return meaning(code)


def _echo_mismatch(call: Call, res: ApiResult) -> int | None:
    """The errno to report when an item's echo of what was sent (a lesson
    student's customColumn) does not match the member at its position: the
    answer cannot be matched to members, so nothing of it is recorded."""
    for key, attr in call.action.echoes:
        sent = getattr(call, attr)
        for i, got in enumerate(res.echoed(key)):
            want = sent[i] if i < len(sent) else None
            if want is not None and got != want:
                return ECHO_MISMATCH
    return None
