"""Careful file access shared by the configuration, the state, the journal and plans.

`atomic_write` writes a temp file beside the target with mode 0600, fsyncs
it, renames it over the target and fsyncs the directory, so a reader sees
either the old file or the new one, never a torn one, even after a crash.
`read_regular` reads only a regular file, without following a link at the
path and without blocking on a pipe, up to a size limit. `bounded_lines` and
`lines_backwards` read a file a line at a time, skipping a line over a limit
without holding it. Files can come from a pull request: nothing here follows
a planted link or truncates a planted file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from typing import BinaryIO

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


def temp_prefix(path: str) -> str:
    """The prefix of the temp files written beside `path` (a hidden name)."""
    d, base = os.path.split(path)
    return os.path.join(d, f".{base}.tmp-")


def _create_exclusive(prefix: str) -> tuple[str, int]:
    """A new file named prefix + random, mode 0600, that did not exist (never a
    planted file or link: O_EXCL refuses both)."""
    for _ in range(16):
        tmp = prefix + secrets.token_hex(8)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                         0o600)
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue
        return tmp, fd
    raise FileExistsError(prefix)  # pragma: no cover


def check_target(path: str) -> None:
    """FileProblem unless `path` is absent or a regular file: an output goes only
    where it should (never over a device node, through a link, into a FIFO)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise FileProblem(f"is {kind_of(mode)}, not a regular file: refusing to write "
                          "over it")


def atomic_write(path: str, data: bytes | Iterable[bytes], backup: str | None = None,
                 durable: bool = True) -> None:
    """Write `data` (bytes, or pieces of bytes written as they come) to `path`
    atomically with mode 0600, keeping the old file as `backup` (if given).
    The temp file has an unpredictable name and is created exclusively; a
    crash may leave it behind (see remove_stale_temps). `durable=False` skips
    the fsyncs: still all or nothing, but a power cut may lose the write (for
    files that are made again, like generated YAML). A `path` that exists and
    is not a regular file (a link, a device, a FIFO, a directory) is never
    replaced: FileProblem says what it is."""
    check_target(path)
    tmp, fd = _create_exclusive(temp_prefix(path))
    try:
        for piece in (data,) if isinstance(data, bytes) else data:
            view = memoryview(piece)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    if backup is not None and os.path.lexists(path):
        btmp = temp_prefix(backup) + secrets.token_hex(8)
        try:
            os.link(path, btmp)
            os.chmod(btmp, 0o600)
        except OSError:  # no hard links here: copy instead
            with contextlib.suppress(OSError):
                os.unlink(btmp)
            atomic_write(btmp, read_regular(path, 1 << 40))
        os.replace(btmp, backup)
    os.replace(tmp, path)
    if durable:
        fsync_dir(path)


def remove_stale_temps(path: str) -> int:
    """Remove the temp files a killed write left beside `path` (and its backup);
    only regular files, never through a link. Call it holding the lock."""
    removed = 0
    d = os.path.dirname(path) or "."
    prefixes = tuple(os.path.basename(temp_prefix(p)) for p in (path, path + ".backup"))
    try:
        names = os.listdir(d)
    except OSError:
        return 0
    for name in names:
        if not name.startswith(prefixes):
            continue
        full = os.path.join(d, name)
        try:
            if stat.S_ISREG(os.lstat(full).st_mode):
                os.unlink(full)
                removed += 1
        except OSError:
            continue
    return removed


def bounded_lines(fh: BinaryIO, limit: int) -> Iterator[bytes]:
    """The lines of `fh` (with their newline), first to last; a line longer
    than `limit` bytes is skipped, read through in pieces, never held whole."""
    while line := fh.readline(limit + 1):
        if len(line) <= limit or line.endswith(b"\n"):
            yield line
            continue
        while (piece := fh.readline(limit)) and not piece.endswith(b"\n"):
            pass  # the rest of an over-long line


def lines_backwards(fd: int, size: int, limit: int, chunk: int = 1 << 20, floor: int = 0
                    ) -> Iterator[tuple[int, bytes]]:
    """The complete lines of the first `size` bytes of `fd`, last first, as
    (the offset just after the line's newline, the line without it). Trailing
    bytes with no newline (a cut write) are not a line. Read backwards a chunk
    at a time; a line longer than `limit` is skipped, never held whole; nothing
    below `floor` is read (the lines there are not given)."""
    pos, end = size, size
    parts: list[bytes] = []  # the end of the line that ends at `end`, last part first
    held = 0  # bytes in `parts`
    newline = skipping = False  # a newline ends that line; it is over `limit`
    while pos > floor:
        start = max(floor, pos - chunk)
        os.lseek(fd, start, os.SEEK_SET)
        data = os.read(fd, pos - start)
        pos = start
        i = len(data)
        while (j := data.rfind(b"\n", 0, i)) >= 0:
            if newline and not skipping and held + i - j - 1 <= limit:
                yield end, b"".join([data[j + 1:i], *reversed(parts)])
            parts, held, skipping, newline, end, i = [], 0, False, True, start + j + 1, j
        if not skipping and i:
            parts.append(data[:i])
            held += i
            if held > limit:
                parts, held, skipping = [], 0, True
    if newline and not skipping and floor == 0:  # the first line: it starts the file
        yield end, b"".join(reversed(parts))
