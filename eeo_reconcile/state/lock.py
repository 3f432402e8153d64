"""State locks: who holds it, doing what, since when.

Every backend's lock is a `Locker`: one non-blocking attempt (`try_acquire`),
a way to read the holder's `LockInfo`, and `force_unlock` for info left
behind. `acquire` is the one wait loop they share: try, and while the lock is
held, poll until `--lock-timeout` runs out, then raise `LockError` with the
holder's info. Implementations: `state.filelock.FileLocker` (flock on
`<state>.lock`) and the postgres backend's advisory lock.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any, Protocol

from ..errors import LockError
from ..provenance import who

POLL_SECONDS = 0.1
def _who() -> str:
    return who(os.environ)  # the CI identity, or user@host


@dataclass(frozen=True, slots=True)
class LockInfo:
    id: str
    who: str
    operation: str
    pid: int
    since: str  # ISO 8601, UTC
    store: str = ""

    @classmethod
    def new(cls, operation: str, store: str = "") -> LockInfo:
        now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
        return cls(
            id=str(uuid.uuid4()),
            who=_who(),
            operation=operation,
            pid=os.getpid(),
            since=now.isoformat().replace("+00:00", "Z"),
            store=store,
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> LockInfo | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                id=str(data["id"]), who=str(data["who"]), operation=str(data["operation"]),
                pid=int(data["pid"]), since=str(data["since"]), store=str(data.get("store", "")),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def describe(self) -> str:
        return (
            f"ID:        {self.id}\n"
            f"Who:       {self.who}\n"
            f"Operation: {self.operation}\n"
            f"PID:       {self.pid}\n"
            f"Since:     {self.since}"
        )


def held_message(store: str, info: LockInfo | None, timeout: float) -> str:
    waited = f" after waiting {timeout:g}s" if timeout > 0 else ""
    if info is None:
        holder = "Lock info: not available (the holder has not written it yet)."
    else:
        holder = "Lock info:\n" + "\n".join("  " + ln for ln in info.describe().splitlines())
    return (
        f"the state lock of {store} is held by another process{waited}.\n{holder}\n"
        "Wait for it to finish, or retry with --lock-timeout SECONDS. If the holder is "
        "gone and its info was left behind, run: eeo-reconcile force-unlock "
        f"{info.id if info else '<LOCK_ID>'}"
    )


class Lock:
    """A held lock; release it with `release()` or by leaving the `with` block."""

    def __init__(self, info: LockInfo, release: Any):
        self.info = info
        self._release = release
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._release()

    def __enter__(self) -> Lock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def check_unlock(info: LockInfo | None, lock_id: str, store: str) -> LockInfo:
    """The info force-unlock may clear: there is some, and it is `lock_id`'s."""
    if info is None:
        raise LockError(f"{store} has no lock info to clear: it is not locked")
    if info.id != lock_id:
        raise LockError(
            f"lock ID {lock_id!r} does not match the lock of {store} "
            f"(held as {info.id} by {info.who}): nothing was changed"
        )
    return info


class Locker(Protocol):
    """What a backend's lock offers; `acquire` adds the waiting."""

    def try_acquire(self, operation: str) -> Lock | None:
        """Take the lock now and record its holder, or None when it is held."""

    def info(self) -> LockInfo | None:
        """The holder's info, if any was recorded."""

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Clear info left behind by a holder that is gone (refused while it lives)."""


def acquire(
    locker: Locker,
    store: str,
    operation: str,
    timeout: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Lock:
    """Take `locker`'s lock, waiting up to `timeout` seconds; raise LockError with
    the holder's info while it stays held."""
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        lock = locker.try_acquire(operation)
        if lock is not None:
            return lock
        if time.monotonic() >= deadline:
            info = locker.info()
            raise LockError(held_message(store, info, timeout), info)
        sleep(POLL_SECONDS)
