"""The state file: deterministic JSON out, strict and fast JSON in.

Version 2 (written): one course per line, members as parallel arrays in uid
order (`students` + `student_labels`, `auditors` + `auditor_names`; per
lesson `students` + `names` + `customs`), so that a 1,000,000-membership
state holds few JSON objects. Version 1 (the first format, uid-keyed
objects) is still read, and written back as version 2.

Reading is strict, because a state file can be damaged or planted: duplicate
keys, a value of the wrong type or shape, an id that is not a positive
number, a uid twice in a list, nesting too deep: each is a `StateError` that
names the file, where in it, and what is wrong. The checks are those of
`schemas/state.schema.json`, done at C speed on whole arrays (a test checks
that they agree with the schema).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

from ..errors import StateError
from ..model import LessonMember, Team
from ..text import UNSAFE
from . import codec_v1
from .model import State
from .people import people_from_json, people_json
from .records import CourseRecord, GroupRecord, Unconfirmed, UnconfirmedGroup, pick

FORMAT = "eeo-reconcile-state"
VERSION = 2
READS = (1, 2)

_NONE = type(None)
_INT = {int}
_LIST = {list}
_TEXT = {str}
_TEXT_OR_NONE = {str, _NONE}
_SALT = re.compile("[a-z0-9]{16,64}")
_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


# -- writing ---------------------------------------------------------------------------


def course_json(c: CourseRecord) -> dict[str, Any]:
    """One course in the file's form (version 2)."""
    d: dict[str, Any] = {}
    if c.name is not None:
        d["name"] = c.name
    uids = sorted(c.students)
    d["students"] = uids
    if c.labels:
        d["student_labels"] = pick(c.labels, uids)
    au = sorted(c.auditors)
    d["auditors"] = au
    d["auditor_names"] = pick(c.auditors, au)
    lessons: dict[str, Any] = {}
    for lid in sorted(c.lessons):
        members = c.lessons[lid]
        if not members:
            continue
        us = sorted(members)
        lesson: dict[str, Any] = {}
        if lid in c.lesson_names:
            lesson["name"] = c.lesson_names[lid]
        lesson["students"] = us
        lesson["names"] = [members[u].name for u in us]
        customs = [members[u].custom for u in us]
        if any(x is not None for x in customs):
            lesson["customs"] = customs
        lessons[str(lid)] = lesson
    d["lessons"] = lessons
    d["groups"] = {name: c.groups[name].to_json() for name in sorted(c.groups)}
    if c.unconfirmed:
        d["unconfirmed_groups"] = {n: c.unconfirmed[n].to_json() for n in sorted(c.unconfirmed)}
    return d


def dumps(state: State) -> bytes:
    """Deterministic JSON: one course per line, numeric order."""
    return _dumps(state)


def version_of(prefix: bytes) -> tuple[str, int] | None:
    """The lineage and serial a state file's first bytes give, in the layout
    `dumps` writes (one head key a line, first); None when they are not in it
    (another layout, a damaged or planted file: read the whole state then)."""
    found: dict[str, object] = {}
    for line in prefix.split(b"\n")[1:8]:
        text = line.strip().rstrip(b",")
        if not text.startswith(b'"') or text.startswith(b'"courses"'):
            break
        try:
            found.update(json.loads(b"{" + text + b"}"))
        except ValueError:
            return None
    lineage, serial = found.get("lineage"), found.get("serial")
    if type(lineage) is str and type(serial) is int and found.get("format") == FORMAT:
        return lineage, serial
    return None


def _dumps(state: State) -> bytes:
    head: dict[str, Any] = {"format": FORMAT, "version": VERSION, "lineage": state.lineage,
                            "serial": state.serial, "sid": state.sid}
    if state.salt is not None:
        head["salt"] = state.salt
    if state.people:
        head["people"] = people_json(state.people)
    out = ["{"]
    for k, v in head.items():
        out.append(f"  {json.dumps(k)}: {json.dumps(v)},")
    courses = [(cid, c) for cid, c in sorted(state.courses.items()) if not c.is_empty()]
    if not courses:
        out.append('  "courses": {}')
    else:
        out.append('  "courses": {')
        last = len(courses) - 1
        for i, (cid, c) in enumerate(courses):
            out.append(f'    "{cid}": {_DUMPS(course_json(c))}{"," if i < last else ""}')
        out.append("  }")
    out.append("}\n")
    return "\n".join(out).encode("utf-8")


# -- reading -----------------------------------------------------------------------------


class Bad(Exception):
    """Where (a JSON path) and what is wrong in a state document."""

    def __init__(self, where: str, what: str):
        super().__init__(f"{where}: {what}" if where else what)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise Bad("", f"the key {json.dumps(k)[:40]} is given twice in one object")
            seen.add(k)
    return d


def loads(raw: bytes | str, source: str = "state") -> State:
    """Parse and check a state document; StateError naming `source` otherwise."""
    try:
        data = json.loads(raw, object_pairs_hook=_no_duplicates)
    except Bad as exc:
        raise StateError(f"{source} is not a valid state: {exc}") from None
    except RecursionError:
        raise StateError(f"{source} is not a valid state: it is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        raise StateError(f"{source} is not valid JSON: {exc}") from None
    return from_json(data, source)


def from_json(data: Any, source: str = "state") -> State:
    if type(data) is not dict or data.get("format") != FORMAT:
        raise StateError(f"{source} is not an eeo-reconcile state (no format {FORMAT!r})")
    version = data.get("version")
    if version not in READS or type(version) is not int:
        raise StateError(
            f"{source} has state version {version!r}; this eeo-reconcile reads versions "
            f"{', '.join(map(str, READS))}: upgrade eeo-reconcile"
        )
    try:
        if version == 1:
            return _from_v1(data)
        return _from_v2(data)
    except Bad as exc:
        raise StateError(f"{source} is not a valid state: {exc}") from None
    except RecursionError:  # pragma: no cover - json.loads refuses such depth first
        raise StateError(f"{source} is not a valid state: it is nested too deeply") from None


def _head(data: dict[str, Any], keys: frozenset[str]) -> tuple[str, int, int | None]:
    extra = data.keys() - keys
    if extra:
        raise Bad("", f"unknown key {sorted(extra)[0][:40]!r}")
    missing = {"lineage", "serial", "sid", "courses"} - data.keys()
    if missing:
        raise Bad("", f"the key {sorted(missing)[0]!r} is missing")
    lineage = data["lineage"]
    if type(lineage) is not str or not 0 < len(lineage) <= 64 or UNSAFE.search(lineage):
        raise Bad("lineage", "must be a text of 1 to 64 characters (a UUID when made here)")
    serial = data["serial"]
    if type(serial) is not int or serial < 0:
        raise Bad("serial", "must be a whole number, 0 or more")
    sid = data["sid"]
    if sid is not None and (type(sid) is not int or sid < 1):
        raise Bad("sid", "must be a positive whole number (the school's SID) or null")
    if type(data["courses"]) is not dict:
        raise Bad("courses", "must be an object")
    salt = data.get("salt")
    if salt is not None and (type(salt) is not str or not _SALT.fullmatch(salt)):
        raise Bad("salt", "must be 16 to 64 letters and digits")
    return lineage, serial, sid


def _key_id(key: str, where: str) -> int:
    if not (key.isdigit() and key.isascii()) or key[0] == "0":
        raise Bad(where, f"the key {key[:40]!r} is not a positive whole number")
    return int(key)


def _uid_list(v: Any, where: str, part: str = "") -> list[int]:
    """A list of positive int uids (checked on the whole list at C speed); the
    error path is `where` + `part` (joined only when there is an error)."""
    if type(v) is not list:
        raise Bad(where + part, "must be a list of uids")
    if v:
        if set(map(type, v)) != _INT:
            raise Bad(where + part, "holds something that is not a whole number")
        if min(v) < 1:
            raise Bad(where + part, "holds a uid that is not positive")
    return v


def _texts(v: Any, n: int, where: str, part: str = "", optional: bool = False) -> list[Any]:
    if type(v) is not list or len(v) != n:
        raise Bad(where + part, f"must be a list of {n} texts, one per uid")
    if v and not set(map(type, v)) <= (_TEXT_OR_NONE if optional else _TEXT):
        raise Bad(where + part, "holds something that is not a text")
    return v


def _obj(v: Any, where: str, allowed: frozenset[str],
         required: Iterable[str] = ()) -> dict[str, Any]:
    if type(v) is not dict:
        raise Bad(where, "must be an object")
    extra = v.keys() - allowed
    if extra:
        raise Bad(where, f"unknown key {sorted(extra)[0][:40]!r}")
    for k in required:
        if k not in v:
            raise Bad(where, f"the key {k!r} is missing")
    return v


def _teams(v: Any, where: str) -> list[list[int]]:
    if type(v) is not list:
        raise Bad(where, "must be a list of teams")
    if v and set(map(type, v)) == _LIST and all(v):
        flat = list(chain.from_iterable(v))
        if set(map(type, flat)) == _INT and min(flat) >= 1:
            return v
    for i, t in enumerate(v):
        if type(t) is not list or not t:
            raise Bad(f"{where}[{i}]", "must be a non-empty list of uids")
        _uid_list(t, f"{where}[{i}]")
    return v


_COURSE_REQUIRED = frozenset({"students", "auditors", "auditor_names", "lessons", "groups"})
_COURSE_KEYS = frozenset({"name", "students", "student_labels", "auditors", "auditor_names",
                          "lessons", "groups", "unconfirmed_groups"})
_LESSON_KEYS = frozenset({"name", "students", "names", "customs"})
_GROUP_KEYS = frozenset({"id", "teams"})
_UNCONFIRMED_KEYS = frozenset({"teams", "reason", "id"})
_REASONS = {r.value: r for r in Unconfirmed}


def _course_v2(d: Any, where: str) -> CourseRecord:
    """One course, checked. Written for speed (a district has 10,000 courses):
    every check runs on a whole list at C speed; the error path says where."""
    if type(d) is not dict:
        raise Bad(where, "must be an object")
    if not d.keys() <= _COURSE_KEYS or not d.keys() >= _COURSE_REQUIRED:
        _obj(d, where, _COURSE_KEYS, _COURSE_REQUIRED)  # says which key
    c = CourseRecord()
    name = d.get("name")
    if name is not None and type(name) is not str:
        raise Bad(f"{where}.name", "must be a text")
    c.name = name
    uids = d["students"]
    if type(uids) is not list or (uids and (set(map(type, uids)) != _INT or min(uids) < 1)):
        _uid_list(uids, where, ".students")
    students = set(uids)
    if len(students) != len(uids):
        raise Bad(f"{where}.students", "lists a uid twice")
    c.students = students
    labels = d.get("student_labels")
    if labels is not None:
        _texts(labels, len(uids), where, ".student_labels", optional=True)
        c.labels = {u: x for u, x in zip(uids, labels, strict=True) if x is not None}
    au = d["auditors"]
    if au:
        _uid_list(au, where, ".auditors")
        names = _texts(d["auditor_names"], len(au), where, ".auditor_names")
        c.auditors = dict(zip(au, names, strict=True))
        if len(c.auditors) != len(au):
            raise Bad(f"{where}.auditors", "lists a uid twice")
    elif type(au) is not list or d["auditor_names"] != []:
        _uid_list(au, where, ".auditors")
        _texts(d["auditor_names"], 0, where, ".auditor_names")
    lessons = d["lessons"]
    if type(lessons) is not dict:
        raise Bad(f"{where}.lessons", "must be an object")
    if lessons:
        _lessons_into(c, lessons, where)
    if d["groups"] or d.get("unconfirmed_groups"):
        _groups(c, d, where)
    elif type(d["groups"]) is not dict:
        raise Bad(f"{where}.groups", "must be an object")
    return c


def _lessons_into(c: CourseRecord, lessons: dict[str, Any], where: str) -> None:
    for key, lesson in lessons.items():
        lw = f"{where}.lessons.{key[:40]}"
        lid = _key_id(key, lw)
        if type(lesson) is not dict or not lesson.keys() <= _LESSON_KEYS or \
                "students" not in lesson or "names" not in lesson:
            _obj(lesson, lw, _LESSON_KEYS, ("students", "names"))
        us = _uid_list(lesson["students"], lw, ".students")
        ns = _texts(lesson["names"], len(us), lw, ".names")
        xs = lesson.get("customs")
        if xs is None:
            members = {u: LessonMember(n) for u, n in zip(us, ns, strict=True)}
        else:
            _texts(xs, len(us), lw, ".customs", optional=True)
            members = {u: LessonMember(n, x) for u, n, x in zip(us, ns, xs, strict=True)}
        if len(members) != len(us):
            raise Bad(f"{lw}.students", "lists a uid twice")
        if members:
            c.lessons[lid] = members
        lname = lesson.get("name")
        if lname is not None:
            if type(lname) is not str:
                raise Bad(f"{lw}.name", "must be a text")
            c.lesson_names[lid] = lname


def _groups(c: CourseRecord, d: dict[str, Any], where: str) -> None:
    groups = d.get("groups", {})
    if type(groups) is not dict:
        raise Bad(f"{where}.groups", "must be an object")
    for name, g in groups.items():
        gw = f"{where}.groups.{name[:40]}"
        _obj(g, gw, _GROUP_KEYS, ("id", "teams"))
        gid = g["id"]
        if type(gid) is not int or gid < 1:
            raise Bad(f"{gw}.id", "must be a positive whole number")
        teams = _teams(g["teams"], f"{gw}.teams")
        c.groups[name] = GroupRecord(gid, tuple([Team(t[0], tuple(t[1:])) for t in teams]))
    raw = d.get("unconfirmed_groups", {})
    if type(raw) is not dict:
        raise Bad(f"{where}.unconfirmed_groups", "must be an object")
    for name, g in raw.items():
        gw = f"{where}.unconfirmed_groups.{name[:40]}"
        _obj(g, gw, _UNCONFIRMED_KEYS, ("teams", "reason"))
        if g["reason"] not in _REASONS:
            raise Bad(f"{gw}.reason", f"must be one of {', '.join(_REASONS)}")
        gid = g.get("id")
        if gid is not None and (type(gid) is not int or gid < 1):
            raise Bad(f"{gw}.id", "must be a positive whole number")
        c.unconfirmed[name] = UnconfirmedGroup.from_json(
            {"teams": _teams(g["teams"], f"{gw}.teams"), "reason": g["reason"], "id": gid})


_TOP_KEYS = frozenset({"format", "version", "lineage", "serial", "sid", "courses", "salt",
                       "people"})





def _courses(data: dict[str, Any], build: Callable[[Any, str], CourseRecord]
             ) -> dict[int, CourseRecord]:
    courses: dict[int, CourseRecord] = {}
    for key, c in data["courses"].items():
        cid = _key_id(key, "courses")
        courses[cid] = build(c, f"courses.{key}")
    return courses


def _from_v2(data: dict[str, Any]) -> State:
    lineage, serial, sid = _head(data, _TOP_KEYS)
    try:
        people = people_from_json(data.get("people", {}))
    except ValueError as exc:
        raise Bad("people", str(exc)) from None
    return State(lineage, serial, sid, _courses(data, _course_v2), data.get("salt"), people)


def _from_v1(data: dict[str, Any]) -> State:
    """Version 1: uid-keyed objects, checked against the version 1 schema."""
    bad = codec_v1.problem(data)
    if bad is not None:
        raise Bad(*bad)
    lineage, serial, sid = _head(data, _TOP_KEYS)
    return State(lineage, serial, sid, {int(k): CourseRecord.from_json(v)
                                        for k, v in data["courses"].items()})
