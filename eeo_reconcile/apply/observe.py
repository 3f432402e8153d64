"""What an apply lets others watch: one record per call (for `--log-format json`
and the timings of the report), and, when asked, each member's outcome (for
`apply --format json`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CallLog:
    """One call's result: never a secret, a safeKey or a parameter value."""

    action: str
    course: int
    lesson: int | None
    items: int  # members carried
    errno: int | None  # None: no answer
    attempts: int
    ms: float
    outcome: str  # ok, failed, no-answer, interrupted
    item_errnos: dict[int, int] = field(default_factory=dict)  # errno -> members

    def to_json(self) -> dict[str, Any]:
        return {"event": "call", "action": self.action, "course": self.course,
                "lesson": self.lesson, "items": self.items, "errno": self.errno,
                "attempts": self.attempts, "ms": round(self.ms, 1), "outcome": self.outcome,
                "item_errnos": {str(k): v for k, v in sorted(self.item_errnos.items())}}


@dataclass(frozen=True, slots=True)
class MemberOutcome:
    address: str
    action: str
    errno: int | None
    outcome: str  # done, already, warning, failed, retry (130: sent again)


class Observer:
    def __init__(self, on_call: Callable[[CallLog], None] | None = None,
                 members: bool = False):
        self.on_call = on_call
        self.keep_members = members
        self.outcomes: list[MemberOutcome] = []
        self.call_ms: list[float] = []
        self.started = time.time()
        self.lock = threading.Lock()

    def call(self, log: CallLog) -> None:
        with self.lock:
            self.call_ms.append(log.ms)
        if self.on_call is not None:
            self.on_call(log)

    def member(self, address: str, action: str, errno: int | None, outcome: str) -> None:
        if self.keep_members:
            with self.lock:
                self.outcomes.append(MemberOutcome(address, action, errno, outcome))
