"""How many requests may be in flight: adapted to ClassIn's back-pressure (AIMD).

ClassIn answers 464 when a roster is changed by a concurrent request: too
many requests at once. `AdaptiveLimit` treats a 464 as congestion, the way TCP
treats a lost packet: the limit shrinks by a factor (multiplicative decrease,
at most once per window: the requests already in flight when it shrank do not
shrink it again), and grows by `increase / limit` on every answered request
(about `increase` per round of requests: additive increase), up to the
ceiling (the parallelism). Requests wait for a free slot before they are sent.
"""

from __future__ import annotations

import threading
from types import TracebackType


class AdaptiveLimit:
    def __init__(self, ceiling: int, decrease: float = 0.75, increase: float = 0.25):
        self.ceiling = max(1, ceiling)
        self.limit = float(self.ceiling)
        self.decrease = decrease
        self.increase = increase
        self.in_flight = 0
        self.decreases = 0
        self._cv = threading.Condition()
        self._issued = 0  # tickets handed out
        self._recover_until = 0  # tickets up to this one cannot shrink the limit again

    def acquire(self) -> int:
        """Wait for a slot; returns the request's ticket."""
        with self._cv:
            while self.in_flight >= max(1, int(self.limit)):
                self._cv.wait()
            self.in_flight += 1
            self._issued += 1
            return self._issued

    def release(self, ticket: int, congested: bool) -> None:
        with self._cv:
            self.in_flight -= 1
            if congested:
                if ticket > self._recover_until:
                    self.limit = max(1.0, self.limit * self.decrease)
                    self._recover_until = self._issued
                    self.decreases += 1
            else:
                self.limit = min(float(self.ceiling), self.limit + self.increase / self.limit)
            self._cv.notify_all()

    def slot(self) -> _Slot:
        return _Slot(self)


class _Slot:
    """`with limit.slot() as s: ...; s.congested = True` (released on exit)."""

    def __init__(self, limit: AdaptiveLimit):
        self._limit = limit
        self.congested = False
        self._ticket = 0

    def __enter__(self) -> _Slot:
        self._ticket = self._limit.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._limit.release(self._ticket, self.congested)
