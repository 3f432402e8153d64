"""`PostgresStore`: one workspace's state in PostgreSQL, and its journal.

Recording one applied membership is one small write: the journal inserts or
deletes rows (group-committed, one transaction per batch) and bumps the
serial; nothing rewrites the whole state. See `schema` for the tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..._gc import paused_gc
from ...errors import StateError
from ...model import StateRef
from ..lock import Lock, LockInfo, acquire
from ..model import State
from ..ops import StateOp
from ..store import GroupCommitJournal, Journal, StateStore
from .conn import Connection
from .locker import AdvisoryLocker
from .schema import workspace_id
from .sql import read_state, replace_state, set_salt, write_ops

DEFAULT_DSN_ENV = "EEO_STATE_DSN"
DEFAULT_WORKSPACE = "default"


class PostgresJournal(GroupCommitJournal):
    """Records ops as row inserts/deletes: each flush is one transaction (for
    every record that arrived meanwhile) that also bumps the serial."""

    def __init__(self, store: PostgresStore, state: State):
        super().__init__(state)
        self.store = store

    def _flush(self, batch: list[Sequence[StateOp]]) -> None:
        self.state.serial = self.store._write_ops([op for ops in batch for op in ops])

    def close(self) -> State:
        """Every flush committed its rows and returned the new serial, so the
        journal's state is the stored one: nothing to fold, nothing to re-read."""
        self._mark_closed()
        return self.state


class PostgresStore(StateStore):
    def __init__(self, ref: StateRef, dsn: str, connect_timeout: float = 10.0):
        self.ref = ref
        self.workspace = ref.get("workspace") or DEFAULT_WORKSPACE
        self.dsn_env = ref.get("dsn_env") or DEFAULT_DSN_ENV
        self._db = Connection(dsn, self.describe(), connect_timeout)
        self._ws_id: int | None = None
        self._locker = AdvisoryLocker(self._db, self._workspace_id)
        self.warnings: list[str] = []

    def describe(self) -> str:
        return f"postgres workspace {self.workspace!r} (${self.dsn_env})"

    def __repr__(self) -> str:
        return f"PostgresStore({self.describe()})"

    def close(self) -> None:
        self._db.close()

    def _workspace_id(self, conn: Any) -> int:
        if self._ws_id is None:
            self._ws_id = workspace_id(conn, self.workspace)
        return self._ws_id

    # -- lock --------------------------------------------------------------------
    def lock(self, operation: str, timeout: float = 0.0) -> Lock:
        return acquire(self._locker, self.describe(), operation, timeout)

    def lock_info(self) -> LockInfo | None:
        return self._locker.info()

    def force_unlock(self, lock_id: str) -> LockInfo:
        return self._locker.force_unlock(lock_id)

    # -- state --------------------------------------------------------------------
    def read(self) -> State:
        with self._db.use("reading the state") as conn, paused_gc():
            return read_state(conn, self._workspace_id(conn))

    def write(self, state: State) -> State:
        """Replace the workspace's whole state (state rm, migrate); serial + 1."""
        return self._replace(state, None)

    def store_exact(self, state: State) -> State:
        return self._replace(state, state.serial)

    def _replace(self, state: State, serial: int | None) -> State:
        lineage = state.lineage or State.new_lineage()
        salt = state.salt or (State.new_salt() if serial is None else None)
        with self._db.use("writing the state") as conn, paused_gc():
            new_serial = replace_state(conn, self._workspace_id(conn), state, lineage, serial,
                                       salt)
        state.lineage, state.serial, state.salt = lineage, new_serial, salt
        return State(lineage, new_serial, state.sid, state.courses, salt)

    def open_journal(self, state: State) -> Journal:
        with self._db.use("starting the apply") as conn:
            ws = self._workspace_id(conn)
            if state.lineage is None:
                lineage = State.new_lineage()
                salt = state.salt or State.new_salt()
                with conn.transaction():
                    row = conn.execute(
                        "UPDATE eeo_workspaces SET lineage = %s, sid = %s, serial = serial + 1 "
                        "WHERE id = %s AND lineage IS NULL RETURNING serial",
                        (lineage, state.sid, ws)).fetchone()
                    if row is None:
                        raise StateError(f"{self.describe()} was created by someone else "
                                         "meanwhile: run plan again")
                    set_salt(conn, ws, salt)
                state.lineage, state.serial, state.salt = lineage, int(row[0]), salt
        return PostgresJournal(self, state)

    def _write_ops(self, ops: Sequence[StateOp]) -> int:
        with self._db.use("recording a result") as conn:
            return write_ops(conn, self._workspace_id(conn), ops)
