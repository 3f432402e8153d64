"""The postgres backend's lock: a session-level advisory lock per workspace.

The key is (LOCK_NAMESPACE, the workspace's integer id), so two workspaces
never block each other, and the server frees the lock the moment the holder's
connection goes (a killed runner, a lost network). The holder's info is a row
in `eeo_locks`, which a blocked command prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import LockError, StateError
from ..lock import Lock, LockInfo, check_unlock
from .conn import Connection
from .schema import LOCK_NAMESPACE


def read_info(conn: Any, ws: int) -> LockInfo | None:
    row = conn.execute("SELECT id, who, operation, pid, since FROM eeo_locks WHERE ws = %s",
                       (ws,)).fetchone()
    if row is None:
        return None
    return LockInfo(id=row[0], who=row[1], operation=row[2], pid=int(row[3]), since=row[4])


class AdvisoryLocker:
    """A `Locker` over one connection; `ws` gives the workspace id (created lazily)."""

    def __init__(self, db: Connection, ws: Callable[[Any], int]):
        self.db = db
        self._ws = ws

    def try_acquire(self, operation: str) -> Lock | None:
        with self.db.use("taking the lock") as conn:
            ws = self._ws(conn)
            got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                               (LOCK_NAMESPACE, ws)).fetchone()[0]
            if not got:
                return None
            info = LockInfo.new(operation, self.db.describe)
            conn.execute(
                "INSERT INTO eeo_locks (ws, id, who, operation, pid, since, backend) "
                "VALUES (%s, %s, %s, %s, %s, %s, pg_backend_pid()) ON CONFLICT (ws) DO UPDATE "
                "SET id = EXCLUDED.id, who = EXCLUDED.who, operation = EXCLUDED.operation, "
                "pid = EXCLUDED.pid, since = EXCLUDED.since, backend = EXCLUDED.backend",
                (ws, info.id, info.who, info.operation, info.pid, info.since),
            )
            self.db.lock_held = True

        def release() -> None:
            try:
                with self.db.use("releasing the lock") as c:
                    c.execute("DELETE FROM eeo_locks WHERE ws = %s AND id = %s", (ws, info.id))
                    c.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, ws))
            except StateError:
                pass  # the connection is gone, and the server dropped the lock with it
            finally:
                self.db.lock_held = False

        return Lock(info, release)

    def info(self) -> LockInfo | None:
        with self.db.use("reading the lock") as conn:
            return read_info(conn, self._ws(conn))

    def force_unlock(self, lock_id: str) -> LockInfo:
        store = self.db.describe
        with self.db.use("force-unlock") as conn:
            ws = self._ws(conn)
            info = check_unlock(read_info(conn, ws), lock_id, store)
            got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                               (LOCK_NAMESPACE, ws)).fetchone()[0]
            if not got:
                raise LockError(
                    f"the lock of {store} is held by a live session ({info.who}, pid "
                    f"{info.pid}, {info.operation}); force-unlock only clears info left behind. "
                    "Stop that process instead."
                )
            try:
                conn.execute("DELETE FROM eeo_locks WHERE ws = %s AND id = %s", (ws, lock_id))
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, ws))
            return info
