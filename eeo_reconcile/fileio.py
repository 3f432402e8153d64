"""Durable file writes shared by the state, the journal and saved plans.

`atomic_write` writes a temp file beside the target with mode 0600, fsyncs
it, renames it over the target and fsyncs the directory, so a reader sees
either the old file or the new one, never a torn one, even after a crash.
"""

from __future__ import annotations

import contextlib
import os
import threading


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
