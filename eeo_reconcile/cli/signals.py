"""Ctrl-C and SIGTERM during an apply: stop cleanly, or at once when asked twice.

The first signal stops the sending of new calls; the calls in flight finish
(bounded by the client's timeouts, without further retries), their results
are recorded, the journal is folded, the lock released, and the summary says
how many calls were not sent (exit 130 for SIGINT, 143 for SIGTERM). A second
signal exits at once: the journal already holds every confirmed result.
Before the first call is sent (planning, the confirmation prompt), a signal
acts as it always does.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self.signum: int | None = None
        self.started = False
        self._old: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        for s in SIGNALS:
            self._old[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)

    def start(self) -> None:
        """The first call is about to be sent: from now on a signal stops cleanly."""
        self.started = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.started:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)
        if self.signum is not None:  # asked twice: leave now; the journal keeps the rest
            os.write(2, b"\nStopped at once. Everything ClassIn confirmed is in the journal; "
                        b"the next plan or apply folds it.\n")
            os._exit(128 + signum)
        self.signum = signum
        self.stop.set()
        os.write(2, b"\nStopping: no new calls are sent; waiting for the calls in flight "
                    b"(press Ctrl-C again to quit at once).\n")

    @property
    def name(self) -> str | None:
        return signal.Signals(self.signum).name if self.signum is not None else None

    @property
    def exit_code(self) -> int:
        return 128 + (self.signum or 0)
