"""The PostgreSQL state backend (psycopg 3): shared state for teams and CI fleets.

Tables (created on first use; `eeo_meta.schema_version` says which layout):

  eeo_workspaces  workspace -> id, lineage, serial, sid          one row per state
  eeo_members     (workspace_id, course, kind, lesson, uid) -> name, custom
                  kind 1 student, 2 auditor, 3 lesson-only student
  eeo_groups      (workspace_id, course, name) -> group_id, teams (jsonb)
  eeo_locks       workspace_id -> who holds the lock (id, who, operation, pid, since)

The lock is a session-level advisory lock on (namespace, workspace id): the
server frees it the moment the holder's connection goes (a killed runner, a
lost network). Each workspace has its own integer id, so two workspaces never
block each other. One applied membership is one small write: the journal
inserts or deletes rows (group-committed, one transaction per batch) and bumps
the serial; nothing rewrites the whole state.

The connection string may carry a password: it is never stored in the ref,
shown by `describe()`, nor left in any message.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .._gc import paused_gc
from ..errors import LockError, StateError
from ..model import LessonMember, StateRef, Team
from .lock import POLL_SECONDS, Lock, LockInfo, held_message
from .model import CourseRecord, GroupRecord, OpKind, State, StateOp
from .store import GroupCommitJournal, Journal, StateStore

SCHEMA_VERSION = 1
LOCK_NAMESPACE = 0x45454F52  # "EEOR": the first key of every advisory lock we take

KIND_STUDENT, KIND_AUDITOR, KIND_LESSON = 1, 2, 3

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS eeo_workspaces (
    id        bigserial PRIMARY KEY,
    workspace text NOT NULL UNIQUE,
    lineage   uuid,
    serial    bigint NOT NULL DEFAULT 0,
    sid       bigint,
    updated   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS eeo_members (
    ws      bigint NOT NULL REFERENCES eeo_workspaces (id) ON DELETE CASCADE,
    course  bigint NOT NULL,
    kind    smallint NOT NULL,
    lesson  bigint NOT NULL DEFAULT 0,
    uid     bigint NOT NULL,
    name    text,
    custom  text,
    PRIMARY KEY (ws, course, kind, lesson, uid)
);
CREATE TABLE IF NOT EXISTS eeo_groups (
    ws       bigint NOT NULL REFERENCES eeo_workspaces (id) ON DELETE CASCADE,
    course   bigint NOT NULL,
    name     text NOT NULL,
    group_id bigint NOT NULL,
    teams    jsonb NOT NULL,
    PRIMARY KEY (ws, course, name)
);
CREATE TABLE IF NOT EXISTS eeo_locks (
    ws        bigint PRIMARY KEY REFERENCES eeo_workspaces (id) ON DELETE CASCADE,
    id        text NOT NULL,
    who       text NOT NULL,
    operation text NOT NULL,
    pid       integer NOT NULL,
    since     text NOT NULL,
    backend   integer NOT NULL
);
"""

# version -> statements that bring the previous version to it
MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1}


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency; guard for odd installs
        raise StateError(
            "the postgres state backend needs psycopg 3: pip install 'psycopg[binary]'"
        ) from None
    return psycopg


class _Scrubber:
    """Removes the DSN's password (and the DSN itself) from any text."""

    def __init__(self, dsn: str):
        self.secrets: list[str] = [dsn]
        try:
            from psycopg.conninfo import conninfo_to_dict

            pw = conninfo_to_dict(dsn).get("password")
            if pw:
                self.secrets.append(str(pw))
        except Exception:  # unparsable DSN: psycopg will say so; keep the whole DSN out
            pass
        m = re.search(r"://[^:/@]*:([^@]*)@", dsn)
        if m and m.group(1):
            self.secrets.append(m.group(1))
            from urllib.parse import unquote

            self.secrets.append(unquote(m.group(1)))

    def __call__(self, text: str) -> str:
        for s in sorted(set(self.secrets), key=len, reverse=True):
            if s:
                text = text.replace(s, "***")
        return text


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
        self.workspace = ref.workspace
        self._dsn = dsn
        self._scrub = _Scrubber(dsn)
        self._connect_timeout = connect_timeout
        self._conn: Any = None
        self._ws_id: int | None = None
        self._lock_held = False
        self._io = threading.RLock()

    def describe(self) -> str:
        return f"postgres workspace {self.workspace!r} (${self.ref.dsn_env})"

    def __repr__(self) -> str:
        return f"PostgresStore({self.describe()})"

    # -- connection ------------------------------------------------------------
    def _error(self, exc: BaseException, doing: str) -> StateError:
        text = self._scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else
                           type(exc).__name__)
        return StateError(f"PostgreSQL state ({self.describe()}): {doing} failed: {text}")

    @contextmanager
    def _db(self, doing: str) -> Iterator[Any]:
        psycopg = _psycopg()
        try:
            with self._io:
                if self._conn is None or self._conn.closed:
                    if self._lock_held:
                        raise StateError(
                            f"lost the connection to the state database ({self.describe()}) "
                            "while holding its lock; the lock is gone with it. Everything "
                            "recorded before is kept: run plan again."
                        )
                    self._conn = psycopg.connect(
                        self._dsn, autocommit=True, connect_timeout=int(self._connect_timeout),
                        application_name="eeo-reconcile",
                    )
                yield self._conn
        except StateError:
            raise
        except psycopg.Error as exc:
            if self._conn is not None and self._conn.closed and self._lock_held:
                raise StateError(
                    f"lost the connection to the state database ({self.describe()}) during "
                    f"{doing}: {self._scrub(str(exc).strip().splitlines()[0] if str(exc) else '')}"
                    ". Everything recorded before is kept; run plan again when it is back."
                ) from None
            raise self._error(exc, doing) from None

    def close(self) -> None:
        with self._io:
            if self._conn is not None and not self._conn.closed:
                try:
                    self._conn.close()
                except Exception:  # noqa: S110 - closing a broken connection
                    pass
            self._conn = None
            self._lock_held = False

    def _ensure_schema(self, conn: Any) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCK_NAMESPACE,))
            conn.execute("CREATE TABLE IF NOT EXISTS eeo_meta (key text PRIMARY KEY, "
                         "value text NOT NULL)")
            row = conn.execute("SELECT value FROM eeo_meta WHERE key = 'schema_version'"
                               ).fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StateError(
                    f"the state database has schema version {version}, newer than this "
                    f"eeo-reconcile understands ({SCHEMA_VERSION}): upgrade eeo-reconcile"
                )
            for v in range(version + 1, SCHEMA_VERSION + 1):
                conn.execute(MIGRATIONS[v])
            if version < SCHEMA_VERSION:
                conn.execute(
                    "INSERT INTO eeo_meta VALUES ('schema_version', %s) ON CONFLICT (key) "
                    "DO UPDATE SET value = EXCLUDED.value", (str(SCHEMA_VERSION),))

    def _workspace_id(self, conn: Any) -> int:
        if self._ws_id is None:
            self._ensure_schema(conn)
            conn.execute("INSERT INTO eeo_workspaces (workspace) VALUES (%s) "
                         "ON CONFLICT (workspace) DO NOTHING", (self.workspace,))
            row = conn.execute("SELECT id FROM eeo_workspaces WHERE workspace = %s",
                               (self.workspace,)).fetchone()
            self._ws_id = int(row[0])
        return self._ws_id

    # -- lock --------------------------------------------------------------------
    def lock(self, operation: str, timeout: float = 0.0) -> Lock:
        deadline = time.monotonic() + max(0.0, timeout)
        with self._db("taking the lock") as conn:
            ws = self._workspace_id(conn)
            while True:
                got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                                   (LOCK_NAMESPACE, ws)).fetchone()[0]
                if got:
                    break
                if time.monotonic() >= deadline:
                    info = self._read_info(conn, ws)
                    raise LockError(held_message(self.describe(), info, timeout), info)
                time.sleep(POLL_SECONDS)
            info = LockInfo.new(operation, self.describe())
            conn.execute(
                "INSERT INTO eeo_locks (ws, id, who, operation, pid, since, backend) "
                "VALUES (%s, %s, %s, %s, %s, %s, pg_backend_pid()) ON CONFLICT (ws) DO UPDATE "
                "SET id = EXCLUDED.id, who = EXCLUDED.who, operation = EXCLUDED.operation, "
                "pid = EXCLUDED.pid, since = EXCLUDED.since, backend = EXCLUDED.backend",
                (ws, info.id, info.who, info.operation, info.pid, info.since),
            )
            self._lock_held = True

        def release() -> None:
            try:
                with self._db("releasing the lock") as c:
                    c.execute("DELETE FROM eeo_locks WHERE ws = %s AND id = %s", (ws, info.id))
                    c.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, ws))
            except StateError:
                pass  # the connection is gone, and the server dropped the lock with it
            finally:
                self._lock_held = False

        return Lock(info, release)

    @staticmethod
    def _read_info(conn: Any, ws: int) -> LockInfo | None:
        row = conn.execute("SELECT id, who, operation, pid, since FROM eeo_locks WHERE ws = %s",
                           (ws,)).fetchone()
        if row is None:
            return None
        return LockInfo(id=row[0], who=row[1], operation=row[2], pid=int(row[3]), since=row[4])

    def lock_info(self) -> LockInfo | None:
        with self._db("reading the lock") as conn:
            return self._read_info(conn, self._workspace_id(conn))

    def force_unlock(self, lock_id: str) -> LockInfo:
        with self._db("force-unlock") as conn:
            ws = self._workspace_id(conn)
            info = self._read_info(conn, ws)
            if info is None:
                raise LockError(f"{self.describe()} has no lock info to clear: it is not locked")
            if info.id != lock_id:
                raise LockError(
                    f"lock ID {lock_id!r} does not match the lock of {self.describe()} (held "
                    f"as {info.id} by {info.who}): nothing was changed"
                )
            got = conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                               (LOCK_NAMESPACE, ws)).fetchone()[0]
            if not got:
                raise LockError(
                    f"the lock of {self.describe()} is held by a live session ({info.who}, pid "
                    f"{info.pid}, {info.operation}); force-unlock only clears info left behind. "
                    "Stop that process instead."
                )
            try:
                conn.execute("DELETE FROM eeo_locks WHERE ws = %s AND id = %s", (ws, lock_id))
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, ws))
            return info

    # -- state --------------------------------------------------------------------
    def read(self) -> State:
        with self._db("reading the state") as conn, paused_gc():
            ws = self._workspace_id(conn)
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                head = conn.execute("SELECT lineage, serial, sid FROM eeo_workspaces "
                                    "WHERE id = %s", (ws,)).fetchone()
                courses: dict[int, CourseRecord] = {}

                def course(cid: int) -> CourseRecord:
                    c = courses.get(cid)
                    if c is None:
                        c = courses[cid] = CourseRecord()
                    return c

                for cid, uids in conn.execute(
                    "SELECT course, array_agg(uid) FROM eeo_members WHERE ws = %s AND kind = 1 "
                    "GROUP BY course", (ws,)
                ):
                    course(cid).students = set(uids)
                for cid, kind, lesson, uid, name, custom in conn.execute(
                    "SELECT course, kind, lesson, uid, name, custom FROM eeo_members "
                    "WHERE ws = %s AND kind <> 1", (ws,)
                ):
                    if kind == KIND_AUDITOR:
                        course(cid).auditors[uid] = name
                    else:
                        course(cid).lessons.setdefault(lesson, {})[uid] = LessonMember(
                            name, custom)
                for cid, name, gid, teams in conn.execute(
                    "SELECT course, name, group_id, teams FROM eeo_groups WHERE ws = %s", (ws,)
                ):
                    course(cid).groups[name] = GroupRecord(
                        int(gid), tuple(Team(int(t[0]), tuple(int(u) for u in t[1:]))
                                        for t in teams))
        lineage, serial, sid = head
        return State(
            lineage=str(lineage) if lineage is not None else None,
            serial=int(serial), sid=int(sid) if sid is not None else None, courses=courses,
        )

    def write(self, state: State) -> State:
        """Replace the workspace's whole state (state rm, migrate); serial + 1."""
        return self._replace(state, None)

    def store_exact(self, state: State) -> State:
        return self._replace(state, state.serial)

    def _replace(self, state: State, serial: int | None) -> State:
        lineage = state.lineage or State.new_lineage()
        with self._db("writing the state") as conn, paused_gc():
            ws = self._workspace_id(conn)
            with conn.transaction():
                conn.execute("DELETE FROM eeo_members WHERE ws = %s", (ws,))
                conn.execute("DELETE FROM eeo_groups WHERE ws = %s", (ws,))
                with conn.cursor() as cur:
                    with cur.copy("COPY eeo_members (ws, course, kind, lesson, uid, name, custom)"
                                  " FROM STDIN") as copy:
                        for cid, c in state.courses.items():
                            for u in c.students:
                                copy.write_row((ws, cid, KIND_STUDENT, 0, u, None, None))
                            for u, n in c.auditors.items():
                                copy.write_row((ws, cid, KIND_AUDITOR, 0, u, n, None))
                            for lid, members in c.lessons.items():
                                for u, m in members.items():
                                    copy.write_row((ws, cid, KIND_LESSON, lid, u, m.name,
                                                    m.custom))
                    groups = [
                        (ws, cid, name, g.id, json.dumps(g.to_json()["teams"]))
                        for cid, c in state.courses.items() for name, g in c.groups.items()
                    ]
                    if groups:
                        cur.executemany("INSERT INTO eeo_groups VALUES (%s, %s, %s, %s, %s)",
                                        groups)
                if serial is None:
                    row = conn.execute(
                        "UPDATE eeo_workspaces SET lineage = %s, serial = serial + 1, sid = %s, "
                        "updated = now() WHERE id = %s RETURNING serial",
                        (lineage, state.sid, ws)).fetchone()
                else:
                    row = conn.execute(
                        "UPDATE eeo_workspaces SET lineage = %s, serial = %s, sid = %s, "
                        "updated = now() WHERE id = %s RETURNING serial",
                        (lineage, serial, state.sid, ws)).fetchone()
        state.lineage, state.serial = lineage, int(row[0])
        return State(lineage, int(row[0]), state.sid, state.courses)

    def open_journal(self, state: State) -> Journal:
        with self._db("starting the apply") as conn:
            ws = self._workspace_id(conn)
            if state.lineage is None:
                lineage = State.new_lineage()
                row = conn.execute(
                    "UPDATE eeo_workspaces SET lineage = %s, sid = %s, serial = serial + 1 "
                    "WHERE id = %s AND lineage IS NULL RETURNING serial",
                    (lineage, state.sid, ws)).fetchone()
                if row is None:
                    raise StateError(f"{self.describe()} was created by someone else meanwhile: "
                                     "run plan again")
                state.lineage, state.serial = lineage, int(row[0])
        return PostgresJournal(self, state)

    def _write_ops(self, ops: Sequence[StateOp]) -> int:
        """One transaction: every op as row inserts/deletes, then serial + 1."""
        with self._db("recording a result") as conn:
            ws = self._workspace_id(conn)
            with conn.transaction():
                for op in ops:
                    self._op(conn, ws, op)
                row = conn.execute(
                    "UPDATE eeo_workspaces SET serial = serial + 1, updated = now() "
                    "WHERE id = %s RETURNING serial", (ws,)).fetchone()
            return int(row[0])

    @staticmethod
    def _op(conn: Any, ws: int, op: StateOp) -> None:
        k, c = op.kind, op.course
        uids = list(op.uids)
        if k is OpKind.ADD_STUDENTS:
            conn.execute(
                "INSERT INTO eeo_members (ws, course, kind, lesson, uid) SELECT %s, %s, 1, 0, u "
                "FROM unnest(%s::bigint[]) u ON CONFLICT DO NOTHING", (ws, c, uids))
        elif k in (OpKind.REMOVE_STUDENTS, OpKind.REMOVE_AUDITORS):
            kind = KIND_STUDENT if k is OpKind.REMOVE_STUDENTS else KIND_AUDITOR
            conn.execute("DELETE FROM eeo_members WHERE ws = %s AND course = %s AND kind = %s "
                         "AND lesson = 0 AND uid = ANY(%s::bigint[])", (ws, c, kind, uids))
        elif k is OpKind.ADD_AUDITORS:
            conn.execute(
                "INSERT INTO eeo_members (ws, course, kind, lesson, uid, name) "
                "SELECT %s, %s, 2, 0, u, n FROM unnest(%s::bigint[], %s::text[]) AS t(u, n) "
                "ON CONFLICT (ws, course, kind, lesson, uid) DO UPDATE SET name = EXCLUDED.name",
                (ws, c, uids, list(op.names)))
        elif k is OpKind.ADD_LESSON_STUDENTS:
            conn.execute(
                "INSERT INTO eeo_members (ws, course, kind, lesson, uid, name, custom) "
                "SELECT %s, %s, 3, %s, u, n, x FROM unnest(%s::bigint[], %s::text[], %s::text[]) "
                "AS t(u, n, x) ON CONFLICT (ws, course, kind, lesson, uid) DO UPDATE "
                "SET name = EXCLUDED.name, custom = EXCLUDED.custom",
                (ws, c, op.lesson, uids, list(op.names), list(op.customs)))
        elif k is OpKind.REMOVE_LESSON_STUDENTS:
            conn.execute("DELETE FROM eeo_members WHERE ws = %s AND course = %s AND kind = 3 "
                         "AND lesson = %s AND uid = ANY(%s::bigint[])", (ws, c, op.lesson, uids))
        elif k is OpKind.SET_GROUP:
            assert op.group is not None and op.group_name is not None
            conn.execute("DELETE FROM eeo_groups WHERE ws = %s AND course = %s AND "
                         "(group_id = %s OR name = %s)", (ws, c, op.group.id, op.group_name))
            conn.execute("INSERT INTO eeo_groups VALUES (%s, %s, %s, %s, %s)",
                         (ws, c, op.group_name, op.group.id,
                          json.dumps(op.group.to_json()["teams"])))
        elif k is OpKind.DELETE_GROUP:
            conn.execute("DELETE FROM eeo_groups WHERE ws = %s AND course = %s AND "
                         "(group_id = %s OR name = %s)", (ws, c, op.group_id, op.group_name))

