"""Durable file writes shared by the state, the journal and saved plans.

`atomic_write` writes a temp file beside the target with mode 0600, fsyncs
it, renames it over the target and fsyncs the directory, so a reader sees
either the old file or the new one, never a torn one, even after a crash.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import threading

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows
O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class FileProblem(Exception):
    """A file that must not or cannot be read as asked: `why` says what it is."""

    def __init__(self, why: str):
        super().__init__(why)
        self.why = why


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def read_regular(path: str, limit: int) -> bytes:
    """The bytes of a regular file, read without following a symbolic link at
    `path` itself and without blocking on a pipe; FileProblem when it is not
    a regular file or holds more than `limit` bytes. FileNotFoundError passes."""
    try:
        fd = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileProblem("is a symbolic link") from None
        raise FileProblem(f"cannot be read ({exc.strerror})") from None
    except ValueError:  # an embedded NUL
        raise FileProblem("has a NUL character in its name") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileProblem(f"is {kind_of(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise FileProblem(f"is {st.st_size:,} bytes, more than the {limit:,} allowed")
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise FileProblem(f"holds more than the {limit:,} bytes allowed")
        return data
    finally:
        os.close(fd)


def fsync_dir(path: str) -> None:
    """fsync the directory holding `path` (makes a rename or unlink durable)."""
    fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str, data: bytes, backup: str | None = None) -> None:
    """Write `data` to `path` atomically with mode 0600, keeping the old file
    as `backup` (if given)."""
    tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    if backup is not None and os.path.exists(path):
        btmp = f"{backup}.tmp-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(btmp)
        try:
            os.link(path, btmp)
        except OSError:  # no hard links here: copy instead
            with open(path, "rb") as src:
                atomic_write(btmp, src.read())
        os.chmod(btmp, 0o600)
        os.replace(btmp, backup)
    os.replace(tmp, path)
    fsync_dir(path)
