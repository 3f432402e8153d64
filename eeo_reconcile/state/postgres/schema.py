"""The tables of the postgres backend, versioned in `eeo_meta`.

  eeo_workspaces  workspace -> id, lineage, serial, sid          one row per state
  eeo_members     (ws, course, kind, lesson, uid) -> name, custom
                  kind KIND_STUDENT, KIND_AUDITOR or KIND_LESSON (a lesson-only student)
  eeo_groups      (ws, course, name) -> group_id, teams (jsonb)
  eeo_locks       ws -> who holds the lock (id, who, operation, pid, since)
  eeo_unconfirmed_groups  (ws, course, name) -> teams, reason, group_id: groupings
                  probably created in ClassIn whose id is not known (version 2)
  eeo_names       (ws, course, lesson) -> name: course (lesson 0) and lesson labels
                  (version 2); a student's label is eeo_members.name
  eeo_salts       ws -> salt: keys redacted uids when the secret is not set (version 3;
                  a table of its own, so that a role that does not own the older
                  tables can still migrate)
  eeo_history     every confirmed change: time, operation, action, address, old, new,
                  serial, who, commit, run (version 4), in the transaction of the change
  eeo_journal     (ws, seq) -> line: the journal of an apply in progress, the same JSON
                  lines as the local backend's journal file (version 5); folded into
                  the other tables when the apply ends, or by the next read after a crash
  eeo_people      (ws, key) -> uid, name, account: the people whose account is known
                  (version 6); account is a keyed digest, never the account

`ensure_schema` creates or migrates them, under a transaction-level advisory
lock so that two first runs cannot race.
"""

from __future__ import annotations

from typing import Any

from ...errors import StateError

SCHEMA_VERSION = 6
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

_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS eeo_unconfirmed_groups (
    ws       bigint NOT NULL REFERENCES eeo_workspaces (id) ON DELETE CASCADE,
    course   bigint NOT NULL,
    name     text NOT NULL,
    teams    jsonb NOT NULL,
    reason   text NOT NULL,
    group_id bigint,
    PRIMARY KEY (ws, course, name)
);
CREATE TABLE IF NOT EXISTS eeo_names (
    ws      bigint NOT NULL REFERENCES eeo_workspaces (id) ON DELETE CASCADE,
    course  bigint NOT NULL,
    lesson  bigint NOT NULL DEFAULT 0,
    name    text NOT NULL,
    PRIMARY KEY (ws, course, lesson)
);
"""

_SCHEMA_V3 = """
CREATE TABLE IF NOT EXISTS eeo_salts (
    ws      bigint PRIMARY KEY REFERENCES eeo_workspaces (id) ON DELETE CASCADE,
    salt    text NOT NULL
);
"""

_SCHEMA_V4 = """
CREATE TABLE IF NOT EXISTS eeo_history (
    id        bigserial PRIMARY KEY,
    ws        bigint NOT NULL REFERENCES eeo_workspaces (id) ON DELETE CASCADE,
    time      timestamptz NOT NULL,
    operation text NOT NULL,
    action    text NOT NULL,
    address   text NOT NULL,
    old       jsonb,
    new       jsonb,
    serial    bigint NOT NULL,
    who       text NOT NULL,
    commit    text,
    run       text
);
CREATE INDEX IF NOT EXISTS eeo_history_address ON eeo_history (ws, (address COLLATE "C"));
CREATE INDEX IF NOT EXISTS eeo_history_time ON eeo_history (ws, time);
"""

_SCHEMA_V5 = """
CREATE TABLE IF NOT EXISTS eeo_journal (
    ws      bigint NOT NULL REFERENCES eeo_workspaces (id) ON DELETE CASCADE,
    seq     bigserial,
    line    bytea NOT NULL,
    PRIMARY KEY (ws, seq)
);
"""

_SCHEMA_V6 = """
CREATE TABLE IF NOT EXISTS eeo_people (
    ws      bigint NOT NULL REFERENCES eeo_workspaces (id) ON DELETE CASCADE,
    key     text NOT NULL,
    uid     bigint NOT NULL,
    name    text NOT NULL,
    account text NOT NULL,
    PRIMARY KEY (ws, key)
);
"""

# version -> statements that bring the previous version to it
MIGRATIONS: dict[int, str] = {1: _SCHEMA_V1, 2: _SCHEMA_V2, 3: _SCHEMA_V3, 4: _SCHEMA_V4,
                              5: _SCHEMA_V5, 6: _SCHEMA_V6}


def ensure_schema(conn: Any) -> None:
    """Create the tables or bring them to SCHEMA_VERSION; refuse a newer schema."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s, 0)", (LOCK_NAMESPACE,))
        conn.execute("CREATE TABLE IF NOT EXISTS eeo_meta (key text PRIMARY KEY, "
                     "value text NOT NULL)")
        row = conn.execute("SELECT value FROM eeo_meta WHERE key = 'schema_version'").fetchone()
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


def workspace_id(conn: Any, workspace: str) -> int:
    """The id of a workspace's row (created on first use, with the schema)."""
    ensure_schema(conn)
    conn.execute("INSERT INTO eeo_workspaces (workspace) VALUES (%s) "
                 "ON CONFLICT (workspace) DO NOTHING", (workspace,))
    row = conn.execute("SELECT id FROM eeo_workspaces WHERE workspace = %s",
                       (workspace,)).fetchone()
    return int(row[0])
