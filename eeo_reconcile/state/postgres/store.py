"""`PostgresStore`: one workspace's state in PostgreSQL, and its journal.

Recording one applied membership is one small write: the journal inserts or
deletes rows (group-committed, one transaction per batch) and bumps the
serial; nothing rewrites the whole state. See `schema` for the tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ...errors import StateError
from ...model import StateRef
from ...provenance import Provenance
from ..history import Change, Event, HistoryEntry
from ..lock import Lock, LockInfo, acquire
from ..model import State
from ..ops import StateOp
from ..store import GroupCommitJournal, Journal, Record, StateStore, TimedEvent, now
from . import history as pg_history
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
        self.provenance = store.provenance()

    def _flush(self, batch: list[Record]) -> None:
        events = [(r.time, e) for r in batch for e in r.events]
        self.state.serial = self.store._write_ops([op for r in batch for op in r.ops], events,
                                                  self.provenance)

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
        lock = acquire(self._locker, self.describe(), operation, timeout)
        self.operation = operation
        return lock

    def lock_info(self) -> LockInfo | None:
        return self._locker.info()

    def force_unlock(self, lock_id: str) -> LockInfo:
        return self._locker.force_unlock(lock_id)

    # -- state --------------------------------------------------------------------
    def read(self) -> State:
        with self._db.use("reading the state") as conn:
            return read_state(conn, self._workspace_id(conn))

    def snapshot(self) -> State:
        return self.read()  # one REPEATABLE READ transaction: consistent, no lock needed

    def write(self, state: State, events: Sequence[Change] = ()) -> State:
        """Replace the workspace's whole state (state rm, migrate); serial + 1."""
        return self._replace(state, None, events)

    def store_exact(self, state: State, events: Sequence[Change] = ()) -> State:
        return self._replace(state, state.serial, events)

    def _replace(self, state: State, serial: int | None, events: Sequence[Change]) -> State:
        lineage = state.lineage or State.new_lineage()
        salt = state.salt or (State.new_salt() if serial is None else None)
        timed = [(now(), e) for e in events]
        prov = self.provenance()
        with self._db.use("writing the state") as conn:
            ws = self._workspace_id(conn)
            new_serial = replace_state(
                conn, ws, state, lineage, serial, salt,
                after=lambda c, s: pg_history.insert(c, ws, timed, prov, s))
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

    def _write_ops(self, ops: Sequence[StateOp], events: Sequence[TimedEvent],
                   prov: Provenance) -> int:
        with self._db.use("recording a result") as conn:
            ws = self._workspace_id(conn)
            return write_ops(conn, ws, ops,
                             lambda c, s: pg_history.insert(c, ws, events, prov, s))

    # -- history ------------------------------------------------------------------
    def history(self, prefix: str = "", since: str | None = None,
                until: str | None = None) -> Iterator[HistoryEntry]:
        with self._db.use("reading the history") as conn:
            yield from pg_history.read(conn, self._workspace_id(conn), prefix, since, until)

    def note(self, events: Sequence[Event]) -> None:
        timed = [(now(), e) for e in events]
        prov = self.provenance()
        with self._db.use("recording the history") as conn:
            ws = self._workspace_id(conn)
            row = conn.execute("SELECT serial FROM eeo_workspaces WHERE id = %s",
                               (ws,)).fetchone()
            with conn.transaction():
                pg_history.insert(conn, ws, timed, prov, int(row[0]) if row else 0)
