"""Work on the second core: run a function in a forked child while this
process goes on, and collect its answer (bytes) later.

Used where a command has two independent halves of CPU-bound work: parsing
the second half of a configuration's files while this process parses the
first, writing a saved plan while this process renders it. Python threads
cannot do this (the GIL); a forked child shares the parent's memory
copy-on-write, so nothing is sent to it.

A fork is only made where it is safe and useful: the platform has fork(),
this process runs a single thread (a child forked from a threaded process
can inherit a lock held by another thread), it may use two CPUs, and
`EEO_NO_FORK` is not set. Callers always have a way to do the same work in
this process, and use it when `can_fork()` is false or the child fails.

The child never returns into the caller's code: it runs the function, writes
the answer to a pipe and leaves with `os._exit` (no atexit handlers, no
flushing of the parent's buffered output).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable


def can_fork() -> bool:
    """Whether forking a worker is safe and worth it here."""
    if not hasattr(os, "fork") or os.environ.get("EEO_NO_FORK"):
        return False
    if threading.active_count() != 1:
        return False
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return cpus >= 2


class ChildFailed(Exception):
    """The child did not finish: `why` is its message, or how it ended."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class Forked:
    """A function running in a forked child. `result()` waits for its bytes."""

    def __init__(self, work: Callable[[], bytes]) -> None:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_end)
            code = 0
            try:
                answer = b"+" + work()
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                answer = b"-" + str(exc).encode("utf-8", "replace")[:4000]
                code = 1
            try:
                view = memoryview(answer)
                while view:
                    view = view[os.write(write_end, view):]
            finally:
                os._exit(code)
        os.close(write_end)
        self._pid = pid
        self._fd: int | None = read_end

    def result(self) -> bytes:
        """The child's answer; ChildFailed when it raised or died."""
        if self._fd is None:
            raise ChildFailed("the result was already taken")
        chunks = []
        with os.fdopen(self._fd, "rb") as fh:
            self._fd = None
            while chunk := fh.read(1 << 20):
                chunks.append(chunk)
        _, status = os.waitpid(self._pid, 0)
        answer = b"".join(chunks)
        if status == 0 and answer[:1] == b"+":
            return answer[1:]
        if answer[:1] == b"-":
            raise ChildFailed(answer[1:].decode("utf-8", "replace"))
        raise ChildFailed(f"the worker process ended with status {status}")

    def cancel(self) -> None:
        """Stop waiting: the child is killed if still running, and reaped."""
        if self._fd is None:
            return
        os.close(self._fd)
        self._fd = None
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:  # pragma: no cover - already gone
            pass
        os.waitpid(self._pid, 0)
