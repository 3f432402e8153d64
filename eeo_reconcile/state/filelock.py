"""The local backend's lock: flock(2) on `<state>.lock`, with holder info inside.

The kernel drops an flock when its holder dies, so a killed CI job never
leaves a stuck lock; the file also carries the holder's `LockInfo` as JSON,
which a blocked command prints.
"""

from __future__ import annotations

import errno as _errno
import fcntl
import json
import os
import stat

from ..errors import LockError
from ..fileio import O_CLOEXEC, O_NOFOLLOW, O_NONBLOCK, FileProblem, kind_of, read_regular
from .lock import Lock, LockInfo, check_unlock


def read_info_file(path: str) -> LockInfo | None:
    try:
        raw = read_regular(path, 1 << 16)
    except (FileNotFoundError, FileProblem):
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

    def _open(self) -> int:
        """The lock file, opened without following a link or blocking on a pipe;
        a planted file that is not ours to write is refused, never truncated."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | O_NOFOLLOW | O_NONBLOCK
                         | O_CLOEXEC, 0o600)
        except OSError as exc:
            why = "is a symbolic link" if exc.errno == _errno.ELOOP else \
                f"cannot be opened ({exc.strerror})"
            raise LockError(f"the lock file {self.path} {why}: refusing to use it; "
                            "remove it if it is not eeo-reconcile's") from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            os.close(fd)
            what = kind_of(st.st_mode) if not stat.S_ISREG(st.st_mode) else \
                "a file with other hard links"
            raise LockError(f"the lock file {self.path} is {what}: refusing to use it; "
                            "remove it if it is not eeo-reconcile's")
        return fd

    def try_acquire(self, operation: str) -> Lock | None:
        fd = self._open()
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (_errno.EAGAIN, _errno.EACCES, _errno.EWOULDBLOCK):
                    raise LockError(f"cannot lock {self.path}: {exc.strerror}") from None
                os.close(fd)
                return None
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
        info = check_unlock(read_info_file(self.path), lock_id, self.store)
        fd = self._open()
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
