"""One course's calls, in the plan's order, with the course's safety rules.

  - A course-level failure skips the rest of the course; a lesson-level one
    the rest of that lesson.
  - Removals marked `hold` (the plain removals, planned after the adds) are
    held back when an add of the course failed for a member reason (228 no
    such student, 886 account deleted, 129 a teacher, ...): a mistyped uid
    must not cost the real student the class. `hold=False` sends them anyway.
  - Adds that found the course full (130) are sent again, once, after the
    course's removals have freed seats (before its grouping calls, which need
    the members in).
  - Then the names the plan records for the course (no ClassIn call).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace as dc_replace
from typing import Any

from ..classin.api import Call, Subject
from ..errors import StateError
from .record import name_ops
from .result import Held, Skipped
from .sending import COURSE_FULL, Outcome, Sender, why

_DEFER = frozenset({COURSE_FULL})


def _subset(call: Call, idx: Sequence[int]) -> Call:
    """The same call carrying only the members at positions `idx`."""
    def pick(seq: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(seq[i] for i in idx) if seq else ()

    ep = call.action
    if len(idx) == 1 and ep.single is not None:
        ep = ep.single
    return dc_replace(call, action=ep, uids=pick(call.uids), names=pick(call.names),
                      customs=pick(call.customs), labels=pick(call.labels))


def _members(calls: Sequence[Call]) -> int:
    return sum(max(1, len(c.uids)) for c in calls)


class CourseRun:
    """Runs the calls of one course (one worker thread at a time)."""

    def __init__(self, sender: Sender, course: int, calls: Sequence[Call], hold: bool = True):
        self.s = sender
        self.course = course
        self.calls = calls
        self.hold = hold
        self.failed_adds = 0
        self.deferred: list[tuple[Call, list[int]]] = []
        self.held_calls = 0
        self.held_members = 0
        self.skipped_lessons: dict[int, tuple[int, int]] = {}  # lesson -> (errno, calls)

    def run(self) -> None:
        s = self.s
        calls = self.calls
        for i, call in enumerate(calls):
            if s.stop.is_set():  # the progress shows what was done, not what was not
                with s.lock:
                    s.result.not_sent += len(calls) - i
                return
            if self.deferred and call.action.subject is Subject.GROUP and not self._retry():
                return
            if call.lesson is not None and call.lesson in self.skipped_lessons:
                code, n = self.skipped_lessons[call.lesson]
                self.skipped_lessons[call.lesson] = (code, n + 1)
                s.tick(1, _members(calls[i:i + 1]))
                continue
            if call.hold and self.hold and self.failed_adds:
                self.held_calls += 1
                self.held_members += len(call.uids)
                s.tick(1, _members(calls[i:i + 1]))
                continue
            member_add = call.action.adds and not call.action.creates
            out = self._send(call, _DEFER if member_add else frozenset())
            s.tick(1, _members(calls[i:i + 1]))
            if out is None:
                with s.lock:
                    s.result.not_sent += len(calls) - i - 1
                s.tick(len(calls) - i - 1, _members(calls[i + 1:]))
                return
            if out.skip is not None:
                scope, code = out.skip
                if scope == "course":
                    with s.lock:
                        s.result.skipped.append(Skipped(
                            f"course/{self.course}", code, why(code), len(calls) - i - 1))
                    s.tick(len(calls) - i - 1, _members(calls[i + 1:]))
                    self._finish(names=False)
                    return
                if call.lesson is not None:
                    self.skipped_lessons[call.lesson] = (code, 0)
            self.failed_adds += out.member_failures
            if out.deferred:
                self.deferred.append((call, out.deferred))
        if self.deferred and not self._retry():
            return
        self._finish(names=True)

    def _send(self, call: Call, defer: frozenset[int], again: bool = False) -> Outcome | None:
        """One call; None when its confirmed result could not be recorded (the run
        stops: ClassIn may have applied it, and the next plan proposes it again)."""
        try:
            return self.s.one(call, defer, again)
        except StateError as exc:
            self.s.record_failed = True
            self.s.halt(
                f"a confirmed result could not be recorded ({exc}). ClassIn may have "
                "applied that call; the next plan proposes it again and ClassIn's "
                "'already there' answers make that safe."
            )
            return None

    def _retry(self) -> bool:
        """Send once more the adds that found the course full (130), now that the
        course's removals have run; a second 130 is reported."""
        pending, self.deferred = self.deferred, []
        for call, idx in pending:
            if self.s.stop.is_set():
                return False
            with self.s.lock:
                self.s.result.retried += len(idx)
            out = self._send(_subset(call, idx), frozenset(), again=True)
            if out is None:
                return False
            self.failed_adds += out.member_failures
        return True

    def _finish(self, names: bool) -> None:
        s = self.s
        for lesson, (code, n) in self.skipped_lessons.items():
            with s.lock:
                s.result.skipped.append(Skipped(
                    f"course/{self.course}/lesson/{lesson}", code, why(code), n))
        if self.held_calls:
            with s.lock:
                s.result.held.append(Held(self.course, self.held_members, self.held_calls,
                                          self.failed_adds))
        updates = s.plan_labels.get(self.course) if names else None
        if updates:
            try:
                s.record(name_ops(self.course, updates))
            except StateError as exc:
                s.record_failed = True
                s.halt(f"the names of course {self.course} could not be recorded ({exc})")
                return
            with s.lock:
                s.result.labels += len(updates)
