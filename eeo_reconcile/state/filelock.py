"""The local backend's lock: an OS file lock on `<state>.lock`, holder info inside.

POSIX: flock(2) on the file. Windows: `msvcrt.locking` on one byte far past
the holder info (Windows locks are mandatory: the info must stay readable).
Either way the operating system drops the lock when its holder dies, so a
killed CI job never leaves a stuck lock; the file also carries the holder's
`LockInfo` as JSON, which a blocked command prints. Nothing POSIX-only is
imported unless it is there.
"""

from __future__ import annotations

import errno as _errno
import json
import os
import stat
import threading
from collections.abc import Callable

try:  # POSIX
    import fcntl as _fcntl
except ImportError:  # Windows
    _fcntl = None  # type: ignore[assignment]
try:  # Windows
    import msvcrt as _msvcrt  # type: ignore[import-not-found,unused-ignore]
except ImportError:
    _msvcrt = None  # type: ignore[assignment,unused-ignore]

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


WINDOWS_LOCK_OFFSET = 1 << 30  # the byte locked on Windows, well past the info
_BUSY = (_errno.EAGAIN, _errno.EACCES, _errno.EWOULDBLOCK, getattr(_errno, "EDEADLK", -1))


def try_lock(fd: int, path: str) -> bool:
    """Take the OS lock on `fd` without waiting: False when another holds it."""
    try:
        if _fcntl is not None:
            _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
        elif _msvcrt is not None:
            os.lseek(fd, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            _msvcrt.locking(fd, _msvcrt.LK_NBLCK, 1)
        else:
            raise LockError("this platform has neither flock nor msvcrt.locking: the local "
                            "state cannot be locked (use the postgres backend)")
    except OSError as exc:
        if exc.errno in _BUSY:
            return False
        raise LockError(f"cannot lock {path}: {exc.strerror}") from None
    return True


def unlock(fd: int) -> None:
    if _fcntl is not None:
        _fcntl.flock(fd, _fcntl.LOCK_UN)
    elif _msvcrt is not None:
        os.lseek(fd, WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        _msvcrt.locking(fd, _msvcrt.LK_UNLCK, 1)


def _write_at_start(fd: int, data: bytes) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# The directories this process holds locked: (path -> [fd, holders]). Two states
# in one directory locked by one process (a migrate from one to the other) share
# the directory's lock; another process's lock on a state there waits for it.
_DIRS: dict[str, list[int]] = {}
_DIRS_GUARD = threading.Lock()


def _release_dir(path: str) -> None:
    with _DIRS_GUARD:
        held = _DIRS.get(path)
        if held is None:
            return
        held[1] -= 1
        if held[1] == 0:
            del _DIRS[path]
            os.close(held[0])  # closing drops its flock


def _releaser(fd: int, dir_path: str | None) -> Callable[[], None]:
    def release() -> None:
        try:
            os.ftruncate(fd, 0)
        finally:
            unlock(fd)
            os.close(fd)
            if dir_path is not None:
                _release_dir(dir_path)
    return release


class FileLocker:
    """An OS lock on one file (flock, or msvcrt.locking), the holder's info inside."""

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

    def _dir_lock(self) -> str | None:
        """The state's directory, locked too (POSIX): a directory that holds the
        state cannot be removed, so deleting the lock file (a workspace clean-up,
        someone clearing a "stale" lock) never lets a second holder in. Returns
        the directory (held for this lock), "" when another process holds it,
        None when not available here (Windows)."""
        if _fcntl is None:
            return None
        path = os.path.dirname(os.path.abspath(self.path)) or "."
        with _DIRS_GUARD:
            held = _DIRS.get(path)
            if held is not None:
                held[1] += 1
                return path
            dfd = self._flock_dir(path)
            if dfd < 0:
                return ""
            _DIRS[path] = [dfd, 1]
            return path

    def _flock_dir(self, path: str) -> int:
        assert _fcntl is not None
        try:
            dfd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | O_CLOEXEC)
        except OSError as exc:
            raise LockError(f"cannot open the directory of {self.path}: "
                            f"{exc.strerror}") from None
        try:
            _fcntl.flock(dfd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
        except OSError as exc:
            os.close(dfd)
            if exc.errno in _BUSY:
                return -1
            raise LockError(f"cannot lock the directory of {self.path}: "
                            f"{exc.strerror}") from None
        return dfd

    def _same_file(self, fd: int) -> bool:
        """Whether the path still names the file `fd` locked (not deleted or
        replaced between the open and the lock)."""
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(fd)
        return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)

    def try_acquire(self, operation: str) -> Lock | None:
        for _ in range(5):  # the file replaced under us: open it again
            fd = self._open()
            held_dir: str | None = None
            try:
                if not try_lock(fd, self.path):
                    os.close(fd)
                    return None
                if not self._same_file(fd):
                    unlock(fd)
                    os.close(fd)
                    continue
                held_dir = self._dir_lock()
                if held_dir == "":  # another holds it, its lock file deleted meanwhile
                    unlock(fd)
                    os.close(fd)
                    return None
                info = LockInfo.new(operation, self.store)
                _write_at_start(fd, json.dumps(info.to_json(), indent=1).encode() + b"\n")
                os.fsync(fd)
            except BaseException:
                os.close(fd)
                if held_dir:
                    _release_dir(held_dir)
                raise
            return Lock(info, _releaser(fd, held_dir))
        raise LockError(f"the lock file {self.path} keeps being replaced while it is "
                        "taken: refusing to run; find what removes it")

    def info(self) -> LockInfo | None:
        return read_info_file(self.path)

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Clear lock info left behind (the kernel lock itself is already gone)."""
        info = check_unlock(read_info_file(self.path), lock_id, self.store)
        fd = self._open()
        try:
            held_dir = self._dir_lock() if try_lock(fd, self.path) else ""
            if held_dir == "":
                raise LockError(
                    f"the lock of {self.store} is held by a live process "
                    f"({info.who}, pid {info.pid}, {info.operation}); force-unlock only clears "
                    "info left behind by a holder that is gone. Stop that process instead."
                )
            os.ftruncate(fd, 0)
            unlock(fd)
            if held_dir is not None:
                _release_dir(held_dir)
        finally:
            os.close(fd)
        return info
