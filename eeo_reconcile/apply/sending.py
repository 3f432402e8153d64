"""Sending one call and recording what ClassIn confirmed of it.

`Sender` is the run every course shares: the journal, the stop flag, the
tallies, the observer. What an answer means is `answers.read_answer`, a pure
function; the sender records its ops (durably, before the next call of the
course) and adds its tallies under the lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..classin.answers import ApiResult, TransportError
from ..classin.api import Call, Subject
from ..classin.errnos import ErrClass, classify
from ..plan.labels import LabelUpdate
from ..plan.plan import Plan
from ..state.ops import StateOp
from ..state.records import Unconfirmed
from .answers import (
    ECHO_MISMATCH,
    NO_ANSWER,
    UNREACHABLE,
    Reading,
    fail_all,
    read_answer,
    why,
)
from .observe import CallLog, Observer
from .record import group_not_created, group_unconfirmed
from .result import ApplyResult

__all__ = ["COURSE_FULL", "ECHO_MISMATCH", "Outcome", "Progress", "Sender", "why"]

if TYPE_CHECKING:  # requests is imported only when something is applied
    from ..classin.client import ClassInClient

# (calls done, calls planned, members done, members planned)
Progress = Callable[[int, int, int, int], None]
COURSE_FULL = 130
UNREACHABLE_LIMIT = 3  # calls in a row without a connection: ClassIn is down, stop
CREATE_RETRIES = 2  # a grouping create sent again after a transient errno or a lost answer


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
        self.unreachable = 0  # calls in a row that could not reach ClassIn at all
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

    @property
    def record_failed(self) -> bool:
        """The store refused a confirmed result (the result says so)."""
        return self.result.unrecorded

    @record_failed.setter
    def record_failed(self, value: bool) -> None:
        self.result.unrecorded = value

    def record(self, ops: Sequence[StateOp]) -> None:
        """Durably record confirmed facts (StateError when the store refuses)."""
        self.journal.record(ops)

    def one(self, call: Call, defer: frozenset[int] = frozenset(), again: bool = False
            ) -> Outcome:
        """Send one call and record what it confirmed. Members answered an errno in
        `defer` are left out of the failures (the caller retries them). A call sent
        `again` (adds after a course's removals) is counted apart from the plan's."""
        t0 = time.perf_counter()
        out = self._one(call, defer, again)
        items: dict[int, int] = {}
        for c in out.codes:
            items[c] = items.get(c, 0) + 1
        outcome = ("no-answer" if out.errno is None else "ok" if out.errno == 1 else "failed")
        self.observer.call(CallLog(call.action.name, call.course, call.lesson,
                                   max(1, len(call.uids)), out.errno, out.attempts,
                                   (time.perf_counter() - t0) * 1000, outcome, items))
        return out

    def _one(self, call: Call, defer: frozenset[int], again: bool = False) -> Outcome:
        ep = call.action
        params = call.params()
        creates = ep.creates
        if creates:  # not idempotent: what was about to happen survives a crash
            self.record([group_unconfirmed(call, Unconfirmed.NO_ANSWER)])
        try:
            res = self._call(call, params)
        except TransportError as exc:
            with self.lock:
                self.result.requests += exc.attempts
                if exc.sent:
                    self._sent(again)
            if creates and not exc.sent:
                self.record([group_not_created(call)])
            if exc.interrupted:
                with self.lock:
                    self.result.unanswered += 1
                return Outcome(attempts=exc.attempts)
            self.fail_all(call, None, str(exc))
            if exc.sent:  # one lost answer ends this course's run, not everyone's
                with self.lock:
                    self.unreachable = 0
                return Outcome(skip=("course", NO_ANSWER), attempts=exc.attempts)
            with self.lock:  # never reached ClassIn: only a run of these stops the apply
                self.unreachable += 1
                down = self.unreachable >= UNREACHABLE_LIMIT
            if down:
                self.halt(f"ClassIn could not be reached: {UNREACHABLE_LIMIT} calls in a "
                          f"row found no connection (last: {exc}). Check the network and "
                          "EEO_API_URL / school.api_url, then apply again.")
            return Outcome(skip=("course", UNREACHABLE), attempts=exc.attempts)
        with self.lock:
            self.result.requests += res.attempts
            self._sent(again)
            self.unreachable = 0
        out = self._answered(call, res, defer)
        out.errno, out.attempts = res.errno, res.attempts
        return out

    def _sent(self, again: bool) -> None:  # under the lock
        if again:
            self.result.calls_resent += 1
        else:
            self.result.calls_sent += 1

    def _call(self, call: Call, params: dict[str, Any]) -> ApiResult:
        """The client's call. A create, which the client never sends twice (it is
        not idempotent), is sent again at most CREATE_RETRIES times, with back-off,
        after a transient errno or a lost answer: ClassIn answers a second create
        of a grouping that exists 892 and creates nothing, so a retry cannot make
        two, and only a retry answered 892 leaves it "probably created"."""
        ep = call.action
        tries = 0
        while True:
            try:
                res = self.client.call(ep.name, params, idempotent=ep.idempotent,
                                       stop=self.stop)
            except TransportError as exc:
                if not (ep.creates and exc.sent and not exc.interrupted
                        and tries < CREATE_RETRIES) or self.stop.is_set():
                    raise
                spent = exc.attempts
            else:
                if not (ep.creates and tries < CREATE_RETRIES and not self.stop.is_set()
                        and classify(res.errno, ep, None) is ErrClass.TRANSIENT):
                    return res
                spent = res.attempts
            with self.lock:
                self.result.requests += spent
            tries += 1
            school = self.plan.school
            backoff = school.retry.backoff_seconds if school is not None else 0.5
            self.stop.wait(backoff * 2 ** tries)

    def _answered(self, call: Call, res: ApiResult, defer: frozenset[int]) -> Outcome:
        # only a grouping's answer is read against the course as recorded
        course = self.journal.state.courses.get(call.course) \
            if call.action.subject is Subject.GROUP else None
        reading = read_answer(call, res, course, defer, self.observer.keep_members,
                              self._secret_env(), self.client.sid)
        self.take(reading)
        return Outcome(skip=reading.skip, deferred=reading.deferred,
                       member_failures=reading.member_failures, codes=reading.codes)

    def take(self, reading: Reading) -> None:
        """Record what a reading confirmed, then count and report it."""
        if reading.ops:
            self.record(reading.ops)
        with self.lock:
            r = self.result
            r.added += reading.added
            r.removed += reading.removed
            r.already += reading.already
            r.groups_created += reading.groups_created
            r.groups_changed += reading.groups_changed
            r.groups_deleted += reading.groups_deleted
            r.failures.extend(reading.failures)
            r.warnings.extend(reading.warnings)
        for note in reading.notes:
            self.observer.member(*note)
        if reading.halt is not None:
            self.halt(reading.halt)

    def fail_all(self, call: Call, errno: int | None, text: str | None = None) -> None:
        """The whole call failed (no answer to read): one failure for its members."""
        reading = Reading()
        fail_all(reading, call, errno, text, self.observer.keep_members)
        self.take(reading)

    def _secret_env(self) -> str:
        school = self.plan.school
        return school.secret_env if school else "EEO_SECRET"
