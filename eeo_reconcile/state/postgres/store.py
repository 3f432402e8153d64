"""`PostgresStore`: one workspace's state in PostgreSQL, through a thin driver.

The snapshot is rows (see `schema`); an apply's confirmed results are journal
lines in `eeo_journal`, each flush one small transaction (group-committed);
the store folds them, as it folds the local journal file, and replaces the
snapshot with its history in one transaction when the apply ends (or when the
next command reads the state after a crash).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ...errors import StateError
from ...model import StateRef
from ...provenance import Provenance
from ..driver import Driver, DriverStore
from ..history import HistoryEntry
from ..model import State
from ..store import TimedEvent
from . import history as pg_history
from .conn import Connection
from .locker import AdvisoryLocker
from .schema import workspace_id
from .sql import read_state, replace_state

DEFAULT_DSN_ENV = "EEO_STATE_DSN"
DEFAULT_WORKSPACE = "default"


class PostgresDriver(Driver):
    def __init__(self, workspace: str, dsn_env: str, dsn: str, connect_timeout: float = 10.0):
        self.workspace = workspace
        self.dsn_env = dsn_env
        self._db = Connection(dsn, self.describe(), connect_timeout)
        self._ws_id: int | None = None
        self.locker = AdvisoryLocker(self._db, self._workspace_id)

    def describe(self) -> str:
        return f"postgres workspace {self.workspace!r} (${self.dsn_env})"

    def close(self) -> None:
        self._db.close()

    def _workspace_id(self, conn: Any) -> int:
        if self._ws_id is None:
            self._ws_id = workspace_id(conn, self.workspace)
        return self._ws_id

    def get(self) -> State:
        with self._db.use("reading the state") as conn:
            return read_state(conn, self._workspace_id(conn))

    def put(self, state: State, events: Sequence[TimedEvent], prov: Provenance,
            past: Iterable[HistoryEntry] = ()) -> None:
        """The history carried from elsewhere, the rows, the serial and the
        history batch, in one transaction."""
        assert state.lineage is not None
        with self._db.use("writing the state") as conn:
            ws = self._workspace_id(conn)
            with conn.transaction():
                pg_history.insert_entries(conn, ws, past)
                replace_state(conn, ws, state, state.lineage, state.serial, state.salt,
                              after=lambda c, s: pg_history.insert(c, ws, events, prov, s))

    def journal_start(self, header: bytes) -> None:
        with self._db.use("starting the apply") as conn:
            ws = self._workspace_id(conn)
            with conn.transaction():
                if conn.execute("SELECT 1 FROM eeo_journal WHERE ws = %s LIMIT 1",
                                (ws,)).fetchone() is not None:
                    raise StateError(
                        f"a journal already exists in {self.describe()}: another apply is "
                        "running without the lock, or a crash left it; run plan to fold it")
                conn.execute("INSERT INTO eeo_journal (ws, line) VALUES (%s, %s)", (ws, header))

    def journal_append(self, lines: Sequence[bytes]) -> None:
        with self._db.use("recording a result") as conn:
            ws = self._workspace_id(conn)
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany("INSERT INTO eeo_journal (ws, line) VALUES (%s, %s)",
                                [(ws, line) for line in lines])

    def journal_lines(self) -> list[bytes] | None:
        with self._db.use("reading the journal") as conn:
            rows = conn.execute("SELECT line FROM eeo_journal WHERE ws = %s ORDER BY seq",
                                (self._workspace_id(conn),)).fetchall()
        return [bytes(r[0]) for r in rows] if rows else None

    def journal_end(self) -> None:
        with self._db.use("ending the journal") as conn:
            ws = self._workspace_id(conn)
            with conn.transaction():
                conn.execute("DELETE FROM eeo_journal WHERE ws = %s", (ws,))

    def history(self, prefix: str = "", since: str | None = None,
                until: str | None = None) -> Iterator[HistoryEntry]:
        with self._db.use("reading the history") as conn:
            yield from pg_history.read(conn, self._workspace_id(conn), prefix, since, until)

    def note(self, state: State, events: Sequence[TimedEvent], prov: Provenance) -> None:
        with self._db.use("recording the history") as conn:
            ws = self._workspace_id(conn)
            with conn.transaction():
                pg_history.insert(conn, ws, events, prov, state.serial)


class PostgresStore(DriverStore):
    def __init__(self, ref: StateRef, dsn: str, connect_timeout: float = 10.0):
        self.workspace = ref.get("workspace") or DEFAULT_WORKSPACE
        self.dsn_env = ref.get("dsn_env") or DEFAULT_DSN_ENV
        super().__init__(ref, PostgresDriver(self.workspace, self.dsn_env, dsn,
                                             connect_timeout))

    def __repr__(self) -> str:
        return f"PostgresStore({self.describe()})"
