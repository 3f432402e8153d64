"""The state as rows: read a snapshot, replace it. Ops are never written as rows
here: an apply journals them (`eeo_journal`) and the store folds them with the
code every backend shares, then replaces the snapshot. Member kinds are the
`KIND_*` constants of `schema`, passed as parameters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ...model import LessonMember, Team
from ..model import State
from ..records import CourseRecord, GroupRecord, PersonRecord, Unconfirmed, UnconfirmedGroup
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
        people = {key: PersonRecord(int(uid), name, account) for key, uid, name, account
                  in conn.execute("SELECT key, uid, name, account FROM eeo_people "
                                  "WHERE ws = %s", (ws,))}
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
        salt=salt, people=people,
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
        for table in ("eeo_members", "eeo_groups", "eeo_unconfirmed_groups", "eeo_names",
                      "eeo_people"):
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
            people = [(ws, k, p.uid, p.name, p.account) for k, p in state.people.items()]
            if people:
                cur.executemany("INSERT INTO eeo_people VALUES (%s, %s, %s, %s, %s)", people)
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
