"""Sending one call and recording what ClassIn confirmed of it.

How answers are read (see `classin.errnos.classify`):
  success / warning / already-converged    -> recorded as done
  per-member failure                       -> reported; the other members go on
  course failure (144, 147, 149, 153, 369) -> the rest of that course is skipped
  lesson failure (142, 143, 145, 212, 466) -> the rest of that lesson is skipped
  run failure (102 auth/clock; 100, 400 ... a bug; no answer at all) -> stop everything

Batch answers are matched to members by position: the documents do not
promise the order, so where an item echoes what was sent (a lesson student's
customColumn) the echo must match, and the number of items must be the
number sent; where nothing is echoed, position and count are all there is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..classin.answers import ApiResult, TransportError
from ..classin.api import Call, Effect, Subject
from ..classin.errnos import ErrClass, classify, meaning
from ..ids import as_id
from ..model import Role, Team
from ..never import assert_never
from ..plan.changes import Action, MemberChange
from ..plan.labels import LabelUpdate
from ..plan.plan import Plan
from ..state.ops import StateOp
from ..state.records import Unconfirmed
from .observe import CallLog, Observer
from .record import forget_group, group_not_created, group_unconfirmed, member_op, set_group
from .result import ApplyResult, Failure

if TYPE_CHECKING:  # requests is imported only when something is applied
    from ..classin.client import ClassInClient

# (calls done, calls planned, members done, members planned)
Progress = Callable[[int, int, int, int], None]
ECHO_MISMATCH = -2  # an answer's items do not echo what was sent, in order
COURSE_FULL = 130


@dataclass
class Outcome:
    """What one call did, for the course runner."""

    skip: tuple[str, int] | None = None  # ("course"|"lesson", errno): skip the rest of it
    deferred: list[int] = field(default_factory=list)  # positions answered 130, not reported
    member_failures: int = 0  # members an add could not add (228, 886, 129, ...)
    errno: int | None = None  # the answer's (None: no answer)
    attempts: int = 0
    codes: list[int] = field(default_factory=list)  # the members' errnos


class Sender:
    """Shared state of one apply: the journal, the stop flag, the tallies."""

    def __init__(self, plan: Plan, journal: Any, client: ClassInClient,
                 progress: Progress | None, stop: threading.Event | None = None,
                 observer: Observer | None = None):
        self.plan = plan
        self.observer = observer or Observer()
        self.members_total = sum(max(1, len(c.uids)) for c in plan.calls)
        self.members_done = 0
        self.journal = journal
        self.client = client
        self.progress = progress
        self.stop = stop if stop is not None else threading.Event()
        self.lock = threading.Lock()
        self.result = ApplyResult(calls_planned=len(plan.calls))
        self.done = 0
        self.record_failed = False  # the store refused a confirmed result
        self.labels = _student_labels(plan)
        self.plan_labels: dict[int, list[LabelUpdate]] = {}
        for u in plan.labels:
            self.plan_labels.setdefault(u.course, []).append(u)

    def tick(self, n: int = 1, members: int = 1) -> None:
        """`n` calls done (sent, held or skipped), carrying `members` members."""
        with self.lock:
            self.done += n
            self.members_done += members
            done, mdone = self.done, self.members_done
        if self.progress is not None:
            self.progress(done, self.result.calls_planned, mdone, self.members_total)

    def halt(self, why: str) -> None:
        with self.lock:
            if self.result.stopped is None:
                self.result.stopped = why
        self.stop.set()

    def record(self, ops: Sequence[StateOp]) -> None:
        """Durably record confirmed facts (StateError when the store refuses)."""
        self.journal.record(ops)

    def one(self, call: Call, defer: frozenset[int] = frozenset()) -> Outcome:
        """Send one call and record what it confirmed. Members answered an errno in
        `defer` are left out of the failures (the caller retries them)."""
        t0 = time.perf_counter()
        out = self._one(call, defer)
        items: dict[int, int] = {}
        for c in out.codes:
            items[c] = items.get(c, 0) + 1
        outcome = ("no-answer" if out.errno is None else "ok" if out.errno == 1 else "failed")
        self.observer.call(CallLog(call.action.name, call.course, call.lesson,
                                   max(1, len(call.uids)), out.errno, out.attempts,
                                   (time.perf_counter() - t0) * 1000, outcome, items))
        return out

    def _one(self, call: Call, defer: frozenset[int]) -> Outcome:
        ep = call.action
        action = ep.name
        params = call.params()
        creates = ep.effect is Effect.CREATE
        if creates:  # not idempotent: what was about to happen survives a crash
            self.record([group_unconfirmed(call, Unconfirmed.NO_ANSWER)])
        try:
            res = self.client.call(action, params, idempotent=ep.idempotent, stop=self.stop)
        except TransportError as exc:
            with self.lock:
                self.result.requests += exc.attempts
                if exc.sent:
                    self.result.calls_sent += 1
            if creates and not exc.sent:
                self.record([group_not_created(call)])
            if exc.interrupted:
                with self.lock:
                    self.result.unanswered += 1
                return Outcome(attempts=exc.attempts)
            self.fail_all(call, None, str(exc))
            self.halt(f"ClassIn could not be reached: {exc}")
            return Outcome(attempts=exc.attempts)
        with self.lock:
            self.result.requests += res.attempts
            self.result.calls_sent += 1
        out = self._answered(call, res, defer)
        out.errno, out.attempts = res.errno, res.attempts
        return out

    def _answered(self, call: Call, res: ApiResult, defer: frozenset[int]) -> Outcome:
        ep = call.action
        action = ep.name
        creates = ep.effect is Effect.CREATE
        top = classify(res.errno, ep, call.identity)
        if creates and top in (ErrClass.FATAL_RUN, ErrClass.FATAL_COURSE, ErrClass.FATAL_LESSON):
            self.record([group_not_created(call)])
        if top is ErrClass.FATAL_RUN:
            self.fail_all(call, res.errno)
            if res.errno == 102:
                self.halt(
                    f"ClassIn refused the credentials (errno {meaning(res.errno)}): check the "
                    f"SID ({self.client.sid}), the secret in ${self._secret_env()}, and this "
                    "machine's clock (ClassIn allows 20 minutes of difference)"
                )
            else:
                self.halt(
                    f"ClassIn rejected a request as malformed (errno {meaning(res.errno)}): "
                    f"{action} for course {call.course}. This is a bug in eeo-reconcile; please "
                    "report it."
                )
            return Outcome()
        if top is ErrClass.FATAL_COURSE:
            self.fail_all(call, res.errno)
            return Outcome(skip=("course", res.errno))
        if top is ErrClass.FATAL_LESSON:
            self.fail_all(call, res.errno)
            return Outcome(skip=("lesson", res.errno))
        if ep.subject is Subject.GROUP:
            self.group(call, res, top)
            return Outcome()
        if ep.is_batch:
            if top is not ErrClass.SUCCESS:  # the request itself failed (e.g. transient)
                self.fail_all(call, res.errno)
                return Outcome()
            codes = res.codes()
            # Items are matched to members by position: the documents do not promise
            # the order, so where an item echoes what was sent it must match, and the
            # number of items must be the number sent.
            if len(codes) != len(call.uids):
                self.halt(
                    f"ClassIn answered {len(codes)} items to {action} with {len(call.uids)} "
                    "members; nothing of it was recorded. Run plan and apply again."
                )
                return Outcome()
            if _echo_mismatch(call, res):
                self.fail_all(call, None, why(ECHO_MISMATCH))
                return Outcome(skip=("course", ECHO_MISMATCH))
        else:
            codes = [res.errno]
        out = self.members(call, codes, defer)
        out.codes = codes
        return out

    def members(self, call: Call, codes: list[int], defer: frozenset[int]) -> Outcome:
        action = call.action.name
        done: list[int] = []
        already = 0
        failures = []
        warnings = []
        out = Outcome()
        note = self.observer.member if self.observer.keep_members else None
        each = codes  # the codes to look at one by one
        if note is None and codes.count(1) == len(codes) \
                and classify(1, call.action, call.identity) is ErrClass.SUCCESS:
            done = list(range(len(codes)))  # all done: the usual answer, classified once
            each = []
        for i, code in enumerate(each):
            cls = classify(code, call.action, call.identity)
            if cls in (ErrClass.SUCCESS, ErrClass.WARNING, ErrClass.CONVERGED):
                done.append(i)
                if cls is ErrClass.CONVERGED:
                    already += 1
                if cls is ErrClass.WARNING:
                    warnings.append(f"{call.address(call.uids[i])}: {meaning(code)}")
                what = "already" if cls is ErrClass.CONVERGED else (
                    "warning" if cls is ErrClass.WARNING else "done")
            elif code in defer:
                out.deferred.append(i)
                what = "retry"
            else:
                failures.append(Failure(call.address(call.uids[i]), action, code, meaning(code)))
                what = "failed"
            if note is not None:
                note(call.address(call.uids[i]), action, code, what)
        if call.action.adds:
            out.member_failures = len(failures)
        op = member_op(call, done, self.labels.get(call.course))
        if op is not None:
            self.record([op])
        with self.lock:
            n = len(done) - already
            if call.action.adds:
                self.result.added += n
            else:
                self.result.removed += n
            self.result.already += already
            self.result.failures.extend(failures)
            self.result.warnings.extend(warnings)
        return out

    def group(self, call: Call, res: ApiResult, cls: ErrClass) -> None:
        """Record what a grouping call confirmed (by the endpoint's effect)."""
        action = call.action.name
        effect = call.action.effect
        addr = call.address()
        ops: list[StateOp] = []
        note: Failure | None = None
        ok = cls in (ErrClass.SUCCESS, ErrClass.WARNING)
        match effect:
            case Effect.CREATE:
                gid = as_id(res.data)
                if ok and gid is not None:
                    # 898: saved without the uids it refused
                    teams = self._kept_teams(call) if cls is ErrClass.WARNING else None
                    ops.append(set_group(call, gid, teams))
                elif ok:  # created, but its id did not come back: it stays unconfirmed
                    note = Failure(addr, action, res.errno,
                                   f"{meaning(res.errno)} but no group id came back: recorded "
                                   "as probably created, id unknown (plan says what to do)")
                elif res.errno == 892:
                    ops.append(group_unconfirmed(call, Unconfirmed.ALREADY_CREATED))
                    note = Failure(addr, action, 892, meaning(892) + " Recorded as probably "
                                   "created, id unknown; it is not sent again (plan says what "
                                   "to do).")
                elif cls is ErrClass.TRANSIENT:  # not sent again: its outcome is unknown
                    note = Failure(addr, action, res.errno, meaning(res.errno) + " Whether the "
                                   "grouping was created is unknown: recorded as probably "
                                   "created (plan says what to do).")
                else:
                    ops.append(group_not_created(call))
                    note = Failure(addr, action, res.errno, meaning(res.errno))
            case Effect.EDIT:
                assert call.group_id is not None
                if ok:
                    ops.append(set_group(call, call.group_id))
                elif res.errno == 893:
                    # the grouping is gone from ClassIn: forget it, so the next plan
                    # recreates it
                    ops.append(forget_group(call))
                    rec = self.journal.state.courses.get(call.course)
                    pending = rec.unconfirmed.get(call.group_name or "") if rec else None
                    if pending is not None and pending.id == call.group_id:
                        # an id the operator gave that ClassIn does not know: the grouping
                        # itself may still exist, so the finding stays (without that id)
                        ops.append(group_unconfirmed(call, pending.reason, pending.teams))
                    note = Failure(addr, action, 893, meaning(893) + " It was forgotten; if "
                                   "it was adopted by id, check the id, else apply again to "
                                   "create it.")
                else:
                    note = Failure(addr, action, res.errno, meaning(res.errno))
            case Effect.DELETE:
                if cls in (ErrClass.SUCCESS, ErrClass.WARNING, ErrClass.CONVERGED):
                    ops.append(forget_group(call))
                else:
                    note = Failure(addr, action, res.errno, meaning(res.errno))
            case Effect.ADD | Effect.REMOVE:
                raise ValueError(f"{action}: a grouping is created, edited or deleted")
            case _:
                assert_never(effect)
        if ops:
            self.record(ops)
        with self.lock:
            if note is not None:
                self.result.failures.append(note)
            if cls is ErrClass.WARNING:
                self.result.warnings.append(f"{addr}: {meaning(res.errno)}")
            if ops and note is None:
                match effect:
                    case Effect.CREATE:
                        self.result.groups_created += 1
                    case Effect.EDIT:
                        self.result.groups_changed += 1
                    case Effect.DELETE if cls is ErrClass.CONVERGED:
                        self.result.already += 1
                    case Effect.DELETE:
                        self.result.groups_deleted += 1
                    case Effect.ADD | Effect.REMOVE:
                        pass  # refused above
                    case _:
                        assert_never(effect)

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

    def fail_all(self, call: Call, errno: int | None, text: str | None = None) -> None:
        """The whole call failed: one failure, for all its members (a course-level
        errno is reported once, with the number of members it affected)."""
        if len(call.uids) == 1:
            addr = call.address(call.uids[0])
        elif call.action.subject is Subject.GROUP:
            addr = call.address()
        elif call.lesson is not None:
            addr = f"course/{call.course}/lesson/{call.lesson}"
        else:
            addr = f"course/{call.course}"
        with self.lock:
            self.result.failures.append(Failure(
                addr, call.action.name, errno, text or meaning(errno or 0),
                members=max(1, len(call.uids))))
        if self.observer.keep_members:
            for uid in call.uids or (None,):
                self.observer.member(call.address(uid), call.action.name, errno, "failed")

    def _secret_env(self) -> str:
        school = self.plan.school
        return school.secret_env if school else "EEO_SECRET"


def why(code: int) -> str:
    if code == ECHO_MISMATCH:
        return ("an answer whose items do not echo what was sent, in order: they cannot be "
                "matched to members, so nothing of it was recorded")
    return meaning(code)


def _echo_mismatch(call: Call, res: ApiResult) -> bool:
    """Whether an item's echo of what was sent (a lesson student's customColumn)
    does not match the member at its position: then the answer cannot be matched
    to members, and nothing of it is recorded."""
    for key, attr in call.action.echoes:
        sent = getattr(call, attr)
        for i, got in enumerate(res.echoed(key)):
            want = sent[i] if i < len(sent) else None
            if want is not None and got != want:
                return True
    return False


def _student_labels(plan: Plan) -> dict[int, dict[int, str | None]]:
    """Per course, the labels of the students the plan adds (recorded with them)."""
    out: dict[int, dict[int, str | None]] = {}
    for c in plan.changes:
        if type(c) is MemberChange and c.action is Action.ADD and c.role is Role.STUDENT:
            out.setdefault(c.course, {})[c.uid] = c.name
    return out
