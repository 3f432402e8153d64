"""The state as rows: read a snapshot, replace it, record ops.

Every op becomes row inserts or deletes (`write_op`, one branch per `OpKind`);
a batch of ops is one transaction that also bumps the serial. Member kinds
are the `KIND_*` constants of `schema`, passed as parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ...model import LessonMember, Team
from ...never import assert_never
from ..model import State
from ..ops import OpKind, StateOp
from ..records import CourseRecord, GroupRecord, Unconfirmed, UnconfirmedGroup
from .schema import KIND_AUDITOR, KIND_LESSON, KIND_STUDENT


def read_state(conn: Any, ws: int) -> State:
    """A consistent snapshot of one workspace (REPEATABLE READ)."""
    courses: dict[int, CourseRecord] = {}

    def course(cid: int) -> CourseRecord:
        c = courses.get(cid)
        if c is None:
            c = courses[cid] = CourseRecord()
        return c

    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        head = conn.execute("SELECT lineage, serial, sid, (SELECT salt FROM eeo_salts s "
                            "WHERE s.ws = w.id) FROM eeo_workspaces w WHERE id = %s",
                            (ws,)).fetchone()
        for cid, uids in conn.execute(
            "SELECT course, array_agg(uid) FROM eeo_members WHERE ws = %s AND kind = %s "
            "GROUP BY course", (ws, KIND_STUDENT)
        ):
            course(cid).students = set(uids)
        for cid, uid, label in conn.execute(
            "SELECT course, uid, name FROM eeo_members WHERE ws = %s AND kind = %s "
            "AND name IS NOT NULL", (ws, KIND_STUDENT)
        ):
            course(cid).labels[uid] = label
        for cid, kind, lesson, uid, name, custom in conn.execute(
            "SELECT course, kind, lesson, uid, name, custom FROM eeo_members "
            "WHERE ws = %s AND kind <> %s", (ws, KIND_STUDENT)
        ):
            if kind == KIND_AUDITOR:
                course(cid).auditors[uid] = name
            else:
                course(cid).lessons.setdefault(lesson, {})[uid] = LessonMember(name, custom)
        for cid, name, gid, teams in conn.execute(
            "SELECT course, name, group_id, teams FROM eeo_groups WHERE ws = %s", (ws,)
        ):
            course(cid).groups[name] = GroupRecord(int(gid), _teams(teams))
        for cid, name, teams, reason, gid in conn.execute(
            "SELECT course, name, teams, reason, group_id FROM eeo_unconfirmed_groups "
            "WHERE ws = %s", (ws,)
        ):
            course(cid).unconfirmed[name] = UnconfirmedGroup(
                _teams(teams), Unconfirmed(reason), int(gid) if gid is not None else None)
        for cid, lesson, name in conn.execute(
            "SELECT course, lesson, name FROM eeo_names WHERE ws = %s", (ws,)
        ):
            if lesson:
                course(cid).lesson_names[lesson] = name
            else:
                course(cid).name = name
    for cid in [cid for cid, c in courses.items() if c.is_empty()]:
        del courses[cid]  # a name alone is not kept (as in the file backend)
    for c in courses.values():
        for lid in [lid for lid in c.lesson_names if not c.lessons.get(lid)]:
            del c.lesson_names[lid]
    lineage, serial, sid, salt = head
    return State(
        lineage=str(lineage) if lineage is not None else None,
        serial=int(serial), sid=int(sid) if sid is not None else None, courses=courses,
        salt=salt,
    )


def _teams(data: Any) -> tuple[Team, ...]:
    return tuple(Team(int(t[0]), tuple(int(u) for u in t[1:])) for t in data)


def _teams_json(teams: tuple[Team, ...]) -> str:
    return json.dumps([list(t.uids()) for t in teams])


def replace_state(conn: Any, ws: int, state: State, lineage: str, serial: int | None,
                  salt: str | None = None, after: After | None = None) -> int:
    """Replace the workspace's rows by `state`; the serial becomes `serial`, or
    moves by one when None. Returns the new serial."""
    with conn.transaction():
        for table in ("eeo_members", "eeo_groups", "eeo_unconfirmed_groups", "eeo_names"):
            conn.execute(f"DELETE FROM {table} WHERE ws = %s", (ws,))  # noqa: S608 - ours
        with conn.cursor() as cur:
            with cur.copy("COPY eeo_members (ws, course, kind, lesson, uid, name, custom)"
                          " FROM STDIN") as copy:
                for cid, c in state.courses.items():
                    labels = c.labels
                    for u in c.students:
                        copy.write_row((ws, cid, KIND_STUDENT, 0, u, labels.get(u), None))
                    for u, n in c.auditors.items():
                        copy.write_row((ws, cid, KIND_AUDITOR, 0, u, n, None))
                    for lid, members in c.lessons.items():
                        for u, m in members.items():
                            copy.write_row((ws, cid, KIND_LESSON, lid, u, m.name, m.custom))
            groups = [
                (ws, cid, name, g.id, _teams_json(g.teams))
                for cid, c in state.courses.items() for name, g in c.groups.items()
            ]
            if groups:
                cur.executemany("INSERT INTO eeo_groups VALUES (%s, %s, %s, %s, %s)", groups)
            pending = [
                (ws, cid, name, _teams_json(u.teams), u.reason.value, u.id)
                for cid, c in state.courses.items() for name, u in c.unconfirmed.items()
            ]
            if pending:
                cur.executemany("INSERT INTO eeo_unconfirmed_groups VALUES "
                                "(%s, %s, %s, %s, %s, %s)", pending)
            names = [(ws, cid, 0, c.name) for cid, c in state.courses.items()
                     if c.name is not None]
            names += [(ws, cid, lid, n) for cid, c in state.courses.items()
                      for lid, n in c.lesson_names.items()]
            if names:
                cur.executemany("INSERT INTO eeo_names VALUES (%s, %s, %s, %s)", names)
        if salt is not None:
            set_salt(conn, ws, salt)
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
        if after is not None:
            after(conn, int(row[0]))
    return int(row[0])


def set_salt(conn: Any, ws: int, salt: str) -> None:
    conn.execute("INSERT INTO eeo_salts VALUES (%s, %s) ON CONFLICT (ws) DO UPDATE "
                 "SET salt = EXCLUDED.salt", (ws, salt))


After = Callable[[Any, int], None]  # run in the transaction with the new serial


def write_ops(conn: Any, ws: int, ops: Sequence[StateOp], after: After | None = None) -> int:
    """One transaction: every op as row inserts/deletes, then serial + 1 (and
    `after`, which records the history of it)."""
    with conn.transaction():
        for op in ops:
            write_op(conn, ws, op)
        row = conn.execute(
            "UPDATE eeo_workspaces SET serial = serial + 1, updated = now() "
            "WHERE id = %s RETURNING serial", (ws,)).fetchone()
        if after is not None:
            after(conn, int(row[0]))
    return int(row[0])


def _add_students(conn: Any, ws: int, op: StateOp) -> None:
    if not op.names:
        conn.execute(
            "INSERT INTO eeo_members (ws, course, kind, lesson, uid) SELECT %s, %s, %s, 0, u "
            "FROM unnest(%s::bigint[]) u ON CONFLICT DO NOTHING",
            (ws, op.course, KIND_STUDENT, list(op.uids)))
        return
    conn.execute(
        "INSERT INTO eeo_members (ws, course, kind, lesson, uid, name) "
        "SELECT %s, %s, %s, 0, u, n FROM unnest(%s::bigint[], %s::text[]) AS t(u, n) "
        "ON CONFLICT (ws, course, kind, lesson, uid) DO UPDATE SET name = EXCLUDED.name",
        (ws, op.course, KIND_STUDENT, list(op.uids), list(op.names)))


def _remove_members(conn: Any, ws: int, op: StateOp, kind: int) -> None:
    conn.execute("DELETE FROM eeo_members WHERE ws = %s AND course = %s AND kind = %s "
                 "AND lesson = 0 AND uid = ANY(%s::bigint[])",
                 (ws, op.course, kind, list(op.uids)))


def _add_auditors(conn: Any, ws: int, op: StateOp) -> None:
    conn.execute(
        "INSERT INTO eeo_members (ws, course, kind, lesson, uid, name) "
        "SELECT %s, %s, %s, 0, u, n FROM unnest(%s::bigint[], %s::text[]) AS t(u, n) "
        "ON CONFLICT (ws, course, kind, lesson, uid) DO UPDATE SET name = EXCLUDED.name",
        (ws, op.course, KIND_AUDITOR, list(op.uids), list(op.names)))


def _add_lesson_students(conn: Any, ws: int, op: StateOp) -> None:
    conn.execute(
        "INSERT INTO eeo_members (ws, course, kind, lesson, uid, name, custom) "
        "SELECT %s, %s, %s, %s, u, n, x FROM unnest(%s::bigint[], %s::text[], %s::text[]) "
        "AS t(u, n, x) ON CONFLICT (ws, course, kind, lesson, uid) DO UPDATE "
        "SET name = EXCLUDED.name, custom = EXCLUDED.custom",
        (ws, op.course, KIND_LESSON, op.lesson, list(op.uids), list(op.names),
         list(op.customs)))


def _remove_lesson_students(conn: Any, ws: int, op: StateOp) -> None:
    conn.execute("DELETE FROM eeo_members WHERE ws = %s AND course = %s AND kind = %s "
                 "AND lesson = %s AND uid = ANY(%s::bigint[])",
                 (ws, op.course, KIND_LESSON, op.lesson, list(op.uids)))
    conn.execute("DELETE FROM eeo_names n WHERE ws = %s AND course = %s AND lesson = %s "
                 "AND NOT EXISTS (SELECT 1 FROM eeo_members m WHERE m.ws = n.ws AND "
                 "m.course = n.course AND m.kind = %s AND m.lesson = n.lesson)",
                 (ws, op.course, op.lesson, KIND_LESSON))


def _set_group(conn: Any, ws: int, op: StateOp) -> None:
    assert op.group is not None and op.group_name is not None
    conn.execute("DELETE FROM eeo_groups WHERE ws = %s AND course = %s AND "
                 "(group_id = %s OR name = %s)", (ws, op.course, op.group.id, op.group_name))
    conn.execute("INSERT INTO eeo_groups VALUES (%s, %s, %s, %s, %s)",
                 (ws, op.course, op.group_name, op.group.id, _teams_json(op.group.teams)))
    _group_not_created(conn, ws, op)  # its id is known now


def _delete_group(conn: Any, ws: int, op: StateOp) -> None:
    conn.execute("DELETE FROM eeo_groups WHERE ws = %s AND course = %s AND "
                 "(group_id = %s OR name = %s)", (ws, op.course, op.group_id, op.group_name))
    conn.execute("DELETE FROM eeo_unconfirmed_groups WHERE ws = %s AND course = %s AND "
                 "group_id = %s", (ws, op.course, op.group_id))


def _group_unconfirmed(conn: Any, ws: int, op: StateOp) -> None:
    assert op.reason is not None
    conn.execute(
        "INSERT INTO eeo_unconfirmed_groups VALUES (%s, %s, %s, %s, %s, NULL) "
        "ON CONFLICT (ws, course, name) DO UPDATE SET teams = EXCLUDED.teams, "
        "reason = EXCLUDED.reason, group_id = NULL",
        (ws, op.course, op.group_name, _teams_json(op.teams), op.reason.value))


def _group_not_created(conn: Any, ws: int, op: StateOp) -> None:
    conn.execute("DELETE FROM eeo_unconfirmed_groups WHERE ws = %s AND course = %s "
                 "AND name = %s", (ws, op.course, op.group_name))


def _name(conn: Any, ws: int, op: StateOp) -> None:
    conn.execute("INSERT INTO eeo_names VALUES (%s, %s, %s, %s) ON CONFLICT (ws, course, "
                 "lesson) DO UPDATE SET name = EXCLUDED.name",
                 (ws, op.course, op.lesson or 0, op.title))


def _labels(conn: Any, ws: int, op: StateOp) -> None:
    conn.execute(
        "UPDATE eeo_members m SET name = t.n FROM unnest(%s::bigint[], %s::text[]) AS t(u, n) "
        "WHERE m.ws = %s AND m.course = %s AND m.kind = %s AND m.lesson = 0 AND m.uid = t.u",
        (list(op.uids), list(op.names), ws, op.course, KIND_STUDENT))


def _forget_course(conn: Any, ws: int, op: StateOp) -> None:
    for table in ("eeo_members", "eeo_groups", "eeo_unconfirmed_groups", "eeo_names"):
        conn.execute(f"DELETE FROM {table} WHERE ws = %s AND course = %s",  # noqa: S608
                     (ws, op.course))


def write_op(conn: Any, ws: int, op: StateOp) -> None:
    """The row writes that record `op` in workspace `ws`."""
    match op.kind:
        case OpKind.ADD_STUDENTS:
            _add_students(conn, ws, op)
        case OpKind.REMOVE_STUDENTS:
            _remove_members(conn, ws, op, KIND_STUDENT)
        case OpKind.ADD_AUDITORS:
            _add_auditors(conn, ws, op)
        case OpKind.REMOVE_AUDITORS:
            _remove_members(conn, ws, op, KIND_AUDITOR)
        case OpKind.ADD_LESSON_STUDENTS:
            _add_lesson_students(conn, ws, op)
        case OpKind.REMOVE_LESSON_STUDENTS:
            _remove_lesson_students(conn, ws, op)
        case OpKind.SET_GROUP:
            _set_group(conn, ws, op)
        case OpKind.DELETE_GROUP:
            _delete_group(conn, ws, op)
        case OpKind.GROUP_UNCONFIRMED:
            _group_unconfirmed(conn, ws, op)
        case OpKind.GROUP_NOT_CREATED:
            _group_not_created(conn, ws, op)
        case OpKind.NAME:
            _name(conn, ws, op)
        case OpKind.LABELS:
            _labels(conn, ws, op)
        case OpKind.FORGET_COURSE:
            _forget_course(conn, ws, op)
        case _:
            assert_never(op.kind)
