"""State locks: who holds it, doing what, since when.

The local lock is an `flock` on `<state>.lock`: the kernel drops it when the
holder dies, so a killed CI job never leaves a stuck lock. The lock file also
carries the holder's `LockInfo` as JSON, which a blocked command prints.
"""

from __future__ import annotations

import datetime as _dt
import errno as _errno
import fcntl
import getpass
import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any

from ..errors import LockError

POLL_SECONDS = 0.1


def _who() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # pragma: no cover - no passwd entry in some containers
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


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


def read_info_file(path: str) -> LockInfo | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        return None
    if not raw.strip():
        return None
    try:
        return LockInfo.from_json(json.loads(raw))
    except ValueError:
        return None


class FileLocker:
    """flock(2)-based lock on one file, with the holder's info inside it."""

    def __init__(self, path: str, store: str):
        self.path = path
        self.store = store

    def acquire(self, operation: str, timeout: float = 0.0) -> Lock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (_errno.EAGAIN, _errno.EACCES, _errno.EWOULDBLOCK):
                        raise LockError(f"cannot lock {self.path}: {exc.strerror}") from None
                    if time.monotonic() >= deadline:
                        info = read_info_file(self.path)
                        raise LockError(held_message(self.store, info, timeout), info) from None
                    time.sleep(POLL_SECONDS)
            info = LockInfo.new(operation, self.store)
            data = json.dumps(info.to_json(), indent=1).encode() + b"\n"
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise

        def release() -> None:
            try:
                os.ftruncate(fd, 0)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

        return Lock(info, release)

    def info(self) -> LockInfo | None:
        return read_info_file(self.path)

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Clear lock info left behind (the kernel lock itself is already gone)."""
        info = read_info_file(self.path)
        if info is None:
            raise LockError(f"{self.store} has no lock info to clear: it is not locked")
        if info.id != lock_id:
            raise LockError(
                f"lock ID {lock_id!r} does not match the lock of {self.store} "
                f"(held as {info.id} by {info.who}): nothing was changed"
            )
        fd = os.open(self.path, os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise LockError(
                    f"the lock of {self.store} is held by a live process "
                    f"({info.who}, pid {info.pid}, {info.operation}); force-unlock only clears "
                    "info left behind by a holder that is gone. Stop that process instead."
                ) from None
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        return info
