"""The sandbox's world: the school a rehearsal runs against (a YAML contract).

```yaml
school:
  sid: 2339736
  secret: sandbox-secret        # the sandbox's copy of SECRET
students:                       # students of the school, uid: name; any other uid answers 228
  12234: Li Lei
accounts:                       # accounts registered in ClassIn (school students or not)
  "13800000001": 12234
teachers: [9001, 9002]
cancelled: [1999]               # cancelled accounts: 886 / 887
courses:
  - id: 442447
    teachers: [9001]            # course teacher first, then co-teachers
    head_teacher: 9002
    capacity: 500               # course student seats (130 beyond)
    auditor_limit: 20           # auditors (130 beyond); ClassIn's default is 20
    status: active              # active | expired | deleted | public
    students: [12234]           # already enrolled when the sandbox starts (drift)
    auditors: {1001: 张三}
    lessons:
      - id: 1419691
        status: upcoming        # upcoming | finished | deleted | client
        capacity: 50            # seats, course students included (157 beyond)
        co_teachers: []
        students: {}            # lesson-only students at start: uid: {name, custom}
    groups: []                  # [{id, name, teams: [[leader, member, ...], ...]}]
```
The JSON Schema is `schemas/world.schema.json`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..config.schema import schema_diagnostics
from ..config.yamlload import load_text
from ..errors import ConfigError, Diagnostic, Location
from ..fileio import FileProblem, read_regular
from ..roster.columns import RowRole
from ..roster.write import Row

WORLD_SCHEMA = "world.schema.json"
DEFAULT_AUDITOR_LIMIT = 20  # ClassIn's default; a school can have it raised


@dataclass
class LessonW:
    id: int
    status: str = "upcoming"
    capacity: int | None = None
    co_teachers: set[int] = field(default_factory=set)
    students: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    # course students taken out of this lesson (调出生): they do not see it
    excluded: set[int] = field(default_factory=set)


@dataclass
class GroupW:
    id: int
    name: str
    teams: list[list[int]]


@dataclass
class CourseW:
    id: int
    teachers: list[int] = field(default_factory=list)
    head_teacher: int | None = None
    capacity: int | None = None
    status: str = "active"
    auditor_limit: int = DEFAULT_AUDITOR_LIMIT
    students: set[int] = field(default_factory=set)
    auditors: dict[int, str] = field(default_factory=dict)
    lessons: dict[int, LessonW] = field(default_factory=dict)
    groups: dict[int, GroupW] = field(default_factory=dict)

    def roster(self) -> dict[str, Any]:
        """The true roster, as GET /_sandbox/courses/<id> shows it."""
        return {
            "students": sorted(self.students),
            "auditors": {str(u): self.auditors[u] for u in sorted(self.auditors)},
            "lessons": {
                str(lid): {
                    str(u): {"name": n, "custom": c}
                    for u, (n, c) in sorted(self.lessons[lid].students.items())
                }
                for lid in sorted(self.lessons)
            },
            # course students taken out of one lesson, by lesson (those that have any)
            "excluded": {str(lid): sorted(w.excluded)
                         for lid, w in sorted(self.lessons.items()) if w.excluded},
            "groups": {
                str(gid): {"name": g.name, "teams": [list(t) for t in g.teams]}
                for gid, g in sorted(self.groups.items())
            },
        }


def course_rows(c: CourseW, names: dict[int, str | None]) -> Iterator[Row]:
    """A course's true memberships as roster rows (students named as the school knows them)."""
    for u in sorted(c.students):
        yield c.id, RowRole.STUDENT, u, None, names.get(u), None
    for u in sorted(c.auditors):
        yield c.id, RowRole.AUDITOR, u, None, c.auditors[u], None
    for lid in sorted(c.lessons):
        for u, (name, custom) in sorted(c.lessons[lid].students.items()):
            yield c.id, RowRole.LESSON_STUDENT, u, lid, name, custom


@dataclass
class World:
    sid: int
    secret: str
    students: dict[int, str | None] = field(default_factory=dict)
    teachers: set[int] = field(default_factory=set)
    cancelled: set[int] = field(default_factory=set)
    courses: dict[int, CourseW] = field(default_factory=dict)
    next_group_id: int = 1000
    accounts: dict[str, int] = field(default_factory=dict)  # registered: account -> uid
    next_uid: int = 5_000_000  # the uid the next new account gets
    recent: dict[str, float] = field(default_factory=dict)  # account requests, 5 s

    def lesson_owner(self, lesson_id: int) -> CourseW | None:
        for c in self.courses.values():
            if lesson_id in c.lessons:
                return c
        return None


def _int(v: Any) -> int:
    return int(v)


def world_from_data(data: dict[str, Any]) -> World:
    school = data["school"]
    w = World(sid=_int(school["sid"]), secret=str(school["secret"]))
    w.students = {_int(k): v for k, v in (data.get("students") or {}).items()}
    w.teachers = {_int(t) for t in data.get("teachers") or []}
    w.cancelled = {_int(t) for t in data.get("cancelled") or []}
    w.accounts = {str(k): _int(v) for k, v in (data.get("accounts") or {}).items()}
    w.next_uid = max([w.next_uid, *(u + 1 for u in w.accounts.values()),
                      *(u + 1 for u in w.students)])
    top_gid = 999
    for c in data.get("courses") or []:
        course = CourseW(
            id=_int(c["id"]),
            teachers=[_int(t) for t in c.get("teachers") or []],
            head_teacher=_int(c["head_teacher"]) if c.get("head_teacher") is not None else None,
            capacity=c.get("capacity"),
            status=c.get("status", "active"),
            auditor_limit=int(c.get("auditor_limit", DEFAULT_AUDITOR_LIMIT)),
            students={_int(u) for u in c.get("students") or []},
            auditors={_int(k): str(v) for k, v in (c.get("auditors") or {}).items()},
        )
        for lesson in c.get("lessons") or []:
            lw = LessonW(
                id=_int(lesson["id"]),
                status=lesson.get("status", "upcoming"),
                capacity=lesson.get("capacity"),
                co_teachers={_int(t) for t in lesson.get("co_teachers") or []},
                excluded={_int(u) for u in lesson.get("excluded") or []},
                students={
                    _int(u): (str(m["name"]), None if m.get("custom") is None else str(m["custom"]))
                    for u, m in (lesson.get("students") or {}).items()
                },
            )
            course.lessons[lw.id] = lw
        for g in c.get("groups") or []:
            gw = GroupW(id=_int(g["id"]), name=str(g["name"]),
                        teams=[[_int(u) for u in team] for team in g["teams"]])
            course.groups[gw.id] = gw
            top_gid = max(top_gid, gw.id)
        w.courses[course.id] = course
    w.next_group_id = top_gid + 1
    return w


def load_world_text(text: str, display: str) -> World:
    doc = load_text(text, display, display)
    problems: list[Diagnostic] = list(doc.diagnostics)
    if not problems:
        problems.extend(schema_diagnostics(doc, WORLD_SCHEMA))
    if not problems and not isinstance(doc.data, dict):
        problems.append(Diagnostic(doc.loc(None), "the world file is empty"))
    if problems:
        raise ConfigError(problems)
    return world_from_data(doc.data)


def load_world(path: str | None) -> World:
    """A world from a file, or the built-in demo world (matching examples/school/)."""
    if path is None:
        path = DEMO_WORLD_PATH
    display = os.path.relpath(path) if path != DEMO_WORLD_PATH else "<built-in demo world>"
    try:  # a regular file of bounded size: never a device, a pipe or a link out
        raw = read_regular(path, MAX_WORLD_BYTES)
    except FileNotFoundError:
        raise ConfigError([Diagnostic(Location(display, 1, 1), "the world file does not "
                                      "exist")]) from None
    except FileProblem as exc:
        raise ConfigError([Diagnostic(Location(display, 1, 1),
                                      f"the world file {exc.why}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([Diagnostic(Location(display, 1, 1), f"the world file is not "
                                      f"UTF-8 (byte {exc.start + 1})")]) from None
    return load_world_text(text, display)


MAX_WORLD_BYTES = 64 << 20  # a world of a whole district is a few MB


DEMO_WORLD_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_world.yaml")
