"""OneRoster 1.1 bulk CSV -> ClassIn courses.

Reads `manifest.csv`, `classes.csv`, `users.csv`, `enrollments.csv` and, when
present, `academicSessions.csv` (for --term); `orgs.csv` and `courses.csv`
are not needed. What is which:

- a class is a ClassIn course by its `metadata.classin.courseId` column, else
  by the --course-map file (`classSourcedId,courseId`);
- a user is a ClassIn uid by its `userIds` entry of type ClassIn
  (`{ClassIn:1001}`), else its `metadata.classin.uid` column, else the
  --user-map file (`userSourcedId,uid`): the SIS's own data first;
- an enrollment with role `student` makes a course student; with
  `auditors="guardians"`, the guardians and parents of each enrolled student
  (linked by `agentSourcedIds`, on either side) become auditors of the
  student's course; teachers and administrators never become either.

Rows with status `tobedeleted`, enrollments outside their begin/end dates as
of `as_of`, and classes of another term are left out by design; classes and
users that cannot be mapped are skipped and counted. Everything is keyed by
sourcedId and sorted, so the order of the input rows never changes the
output.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..ids import as_id
from ..text import UNSAFE, token
from . import model as m
from .guardians import add_guardians
from .model import ConvertedCourse, ConvertReport
from .people import PeopleFound, account_of
from .tables import Problems, Table

STAFF = frozenset({"teacher", "administrator", "aide", "proctor"})
AGENTS = frozenset({"guardian", "parent"})
AUDITOR_NAME_MAX = 24
_USER_IDS = re.compile(r"\{\s*([^:{}]+?)\s*:\s*([^{}]*?)\s*\}")
_CJK = re.compile(r"^[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]+$")


@dataclass(frozen=True)
class OneRosterOptions:
    course_map: str | None = None
    user_map: str | None = None
    auditors: str = "none"  # none | guardians
    name_order: str = "auto"  # auto | family-first | given-first
    as_of: _dt.date | None = None  # default: today
    term: str | None = None  # an academicSession sourcedId (and the sessions below it)
    group_by: str = "course"  # course | org
    people: bool = False  # name users without a ClassIn uid by person (people.yaml)
    account_from: tuple[str, ...] = ("sms", "phone", "email")  # users.csv columns, in order


@dataclass(frozen=True, slots=True)
class _User:
    role: str
    uid: int | None
    name: str | None
    agents: tuple[str, ...]
    deleted: bool
    account: str | None = None  # with --people: the first usable of --account-from


def person_name(given: str, family: str, order: str = "auto") -> str | None:
    """A person's name from its parts: `auto` writes CJK names family first
    without a space (李小明), others given name first (Lei Li)."""
    given, family = given.strip(), family.strip()
    if not given or not family:
        return (given or family) or None
    if order == "family-first" or (order == "auto" and _CJK.match(family) and _CJK.match(given)):
        sep = "" if _CJK.match(family) and _CJK.match(given) else " "
        return family + sep + given
    return given + " " + family


def _deleted(row: list[str], col: int | None) -> bool:
    return col is not None and row[col].strip().lower() == "tobedeleted"


def _map_file(p: Problems, path: str | None, key: str, value: str) -> dict[str, int]:
    out: dict[str, int] = {}
    if path is None:
        return out
    t = Table(p, path, (key, value))
    k, v = t.col(key), t.col(value)
    for line, row in t.rows():
        assert k is not None and v is not None
        ident = as_id(row[v].strip())
        if ident is None:
            p.err(t.at(line, v + 1), f"{value} {token(row[v])!r} is not a positive number")
            continue
        out[row[k].strip()] = ident
    return out


class OneRosterReader:
    def __init__(self, directory: str, opts: OneRosterOptions):
        self.dir = directory
        self.opts = opts
        self.p = Problems()
        self.report = ConvertReport("oneroster")
        self.as_of = (opts.as_of or _dt.date.today()).isoformat()
        self._dates: set[str] = set()  # date texts already checked
        self.people = PeopleFound()

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    # -- manifest and sessions -----------------------------------------------------
    def manifest(self) -> None:
        t = Table(self.p, self.path("manifest.csv"), ("propertyName", "value"))
        props: dict[str, tuple[int, str]] = {}
        k, v = t.col("propertyName"), t.col("value")
        for line, row in t.rows():
            assert k is not None and v is not None
            props[row[k].strip()] = (line, row[v].strip())
        if not t.ok:
            return
        line, version = props.get("oneroster.version", (1, ""))
        if version != "1.1":
            self.p.err(t.at(line, 2), f"oneroster.version is {token(version)!r}; this reads "
                       "OneRoster 1.1 CSV", "export OneRoster 1.1 (bulk)")
        for f in ("classes", "users", "enrollments"):
            line, mode = props.get(f"file.{f}", (1, ""))
            if mode != "bulk":
                self.p.err(t.at(line, 2), f"file.{f} is {token(mode)!r}: {f}.csv is needed "
                           "as a bulk file", "export in bulk mode (delta files are not read)")

    def terms(self) -> set[str] | None:
        """The term asked for and every session below it (None: no --term)."""
        term = self.opts.term
        if term is None:
            return None
        wanted = {term}
        if not os.path.exists(self.path("academicSessions.csv")):
            return wanted
        t = Table(self.p, self.path("academicSessions.csv"), ("sourcedId",))
        sid, parent = t.col("sourcedId"), t.col("parentSourcedId")
        children: dict[str, list[str]] = {}
        for _, row in t.rows():
            assert sid is not None
            if parent is not None and row[parent].strip():
                children.setdefault(row[parent].strip(), []).append(row[sid].strip())
        todo = [term]
        while todo:
            for c in children.get(todo.pop(), ()):
                if c not in wanted:
                    wanted.add(c)
                    todo.append(c)
        return wanted

    # -- classes -----------------------------------------------------------------------
    def classes(self) -> dict[str, tuple[int, str, str]]:
        """Converted classes: sourcedId -> (courseId, title, school)."""
        course_map = _map_file(self.p, self.opts.course_map, "classSourcedId", "courseId")
        terms = self.terms()
        t = Table(self.p, self.path("classes.csv"), ("sourcedId",))
        sid, status, title = t.col("sourcedId"), t.col("status"), t.col("title")
        meta, school, term_col = (t.col("metadata.classin.courseId"), t.col("schoolSourcedId"),
                                  t.col("termSourcedIds"))
        out: dict[str, tuple[int, str, str]] = {}
        self.skipped_classes: set[str] = set()
        for line, row in t.rows():
            assert sid is not None
            key = row[sid].strip()
            if _deleted(row, status):
                self.report.skip(m.DELETED, f"class {key}")
                self.skipped_classes.add(key)
                continue
            if terms is not None and (term_col is None or not terms.intersection(
                    x.strip() for x in row[term_col].split(","))):
                self.report.skip(m.OTHER_TERM, f"class {key}")
                self.skipped_classes.add(key)
                continue
            cid = None
            if meta is not None and row[meta].strip():
                cid = as_id(row[meta].strip())
                if cid is None:
                    self.p.err(t.at(line, meta + 1), f"metadata.classin.courseId "
                               f"{token(row[meta])!r} is not a positive number")
                    continue
            if cid is None:
                cid = course_map.get(key)
            if cid is None:
                self.report.skip(m.UNMAPPED_CLASS, f"class {key}")
                self.skipped_classes.add(key)
                continue
            if key in out:
                self.p.err(t.at(line, sid + 1), f"class {token(key)!r} is listed twice")
                continue
            out[key] = (cid, row[title].strip() if title is not None else "",
                        row[school].strip() if school is not None else "")
        return out

    # -- users ---------------------------------------------------------------------------
    def users(self) -> dict[str, _User]:
        user_map = _map_file(self.p, self.opts.user_map, "userSourcedId", "uid")
        t = Table(self.p, self.path("users.csv"), ("sourcedId", "role"))
        sid, role, status = t.col("sourcedId"), t.col("role"), t.col("status")
        ids, meta, agents = t.col("userIds"), t.col("metadata.classin.uid"), t.col(
            "agentSourcedIds")
        given, family = t.col("givenName"), t.col("familyName")
        accounts = [c for c in map(t.col, self.opts.account_from) if c is not None]
        order = self.opts.name_order
        out: dict[str, _User] = {}
        for line, row in t.rows():
            assert sid is not None and role is not None
            key = row[sid].strip()
            uid = None
            if ids is not None and row[ids]:
                for kind, value in _USER_IDS.findall(row[ids]):
                    if kind.lower() == "classin":
                        uid = as_id(value)
                        if uid is None:
                            self.p.err(t.at(line, ids + 1), f"the ClassIn userId "
                                       f"{token(value)!r} is not a positive number")
                        break
            if uid is None and meta is not None and row[meta].strip():
                uid = as_id(row[meta].strip())
                if uid is None:
                    self.p.err(t.at(line, meta + 1), f"metadata.classin.uid "
                               f"{token(row[meta])!r} is not a positive number")
            if uid is None:
                uid = user_map.get(key)
            name = person_name(row[given] if given is not None else "",
                               row[family] if family is not None else "", order)
            links = tuple(x.strip() for x in row[agents].split(",") if x.strip()) \
                if agents is not None else ()
            if key in out:
                self.p.err(t.at(line, sid + 1), f"user {token(key)!r} is listed twice")
                continue
            out[key] = _User(row[role].strip().lower(), uid, name, links,
                             _deleted(row, status),
                             account_of(row, accounts) if self.opts.people else None)
        return out

    # -- enrollments ---------------------------------------------------------------------
    def convert(self) -> tuple[list[ConvertedCourse], ConvertReport]:
        self.manifest()
        classes = self.classes()
        users = self.users()
        t = Table(self.p, self.path("enrollments.csv"),
                  ("sourcedId", "classSourcedId", "userSourcedId", "role"))
        sid, status, cls, usr, role = (t.col("sourcedId"), t.col("status"),
                                       t.col("classSourcedId"), t.col("userSourcedId"),
                                       t.col("role"))
        begin, end = t.col("beginDate"), t.col("endDate")
        # course -> uid (or person key) -> (user sourcedId, label): the smallest
        # sourcedId names a uid
        students: dict[int, dict[int | str, tuple[str, str | None]]] = {}
        people = self.people
        enrolled: dict[int, set[str]] = {}  # course -> student sourcedIds
        first_class: dict[int, tuple[str, str, str]] = {}  # course -> (class, title, school)
        skipped_classes = self.skipped_classes
        report = self.report
        as_of = self.as_of
        for line, row in t.rows():
            assert sid is not None and cls is not None and usr is not None and role is not None
            eid = row[sid]
            if _deleted(row, status):
                report.skip(m.DELETED, f"enrollment {eid}")
                continue
            ckey = row[cls].strip()
            c = classes.get(ckey)
            if c is None:
                if ckey not in skipped_classes:
                    report.skip(m.UNKNOWN_CLASS, f"enrollment {eid}")
                continue
            if row[role].strip().lower() != "student":
                report.skip(m.NOT_STUDENT, f"enrollment {eid}")
                continue
            if not self._current(t, line, row, begin, end, as_of):
                report.skip(m.OUT_OF_DATES, f"enrollment {eid}")
                continue
            ukey = row[usr].strip()
            u = users.get(ukey)
            if u is None:
                report.skip(m.UNKNOWN_USER, f"enrollment {eid}")
                continue
            if u.deleted:
                report.skip(m.DELETED, f"user {ukey}")
                continue
            if u.role in STAFF:
                report.skip(m.STAFF_USER, f"enrollment {eid}")
                continue
            member: int | str | None = u.uid
            if member is None and u.account is not None:
                member = people.add(ukey, u.account, u.name, report)
            if member is None:
                report.skip(m.NO_UID, f"user {ukey}")
                continue
            cid = c[0]
            prev = first_class.get(cid)
            if prev is None or ckey < prev[0]:
                first_class[cid] = (ckey, c[1], c[2])
            label = u.name
            if label is not None and UNSAFE.search(label):
                report.skip(m.UNSAFE_NAME, f"user {ukey}")
                label = None
            members = students.setdefault(cid, {})
            had = members.get(member)
            if had is None or ukey < had[0]:
                members[member] = (ukey, label)
            enrolled.setdefault(cid, set()).add(ukey)
        courses = self._courses(students, first_class)
        if self.opts.auditors == "guardians":
            add_guardians(courses, enrolled, users, self.report, people)
        self.p.raise_if_any()
        report.people = people.found
        return courses, report

    def _current(self, t: Table, line: int, row: list[str], begin: int | None,
                 end: int | None, as_of: str) -> bool:
        dates = self._dates
        for col, after in ((begin, True), (end, False)):
            if col is None:
                continue
            text = row[col]
            if text not in dates:
                if not text.strip():
                    continue
                try:
                    _dt.date.fromisoformat(text.strip()[:10])
                except ValueError:
                    self.p.err(t.at(line, col + 1), f"{token(text)!r} is not a date "
                               "(YYYY-MM-DD)")
                    return False
                dates.add(text)
            text = text.strip()[:10]
            if (after and as_of < text) or (not after and as_of > text):
                return False
        return True

    def _courses(self, students: dict[int, dict[int | str, tuple[str, str | None]]],
                 first_class: dict[int, tuple[str, str, str]]) -> list[ConvertedCourse]:
        out = []
        for cid in sorted(students):
            ckey, title, school = first_class[cid]
            if UNSAFE.search(title):
                self.report.skip(m.UNSAFE_NAME, f"class {ckey}")
                title = ""
            group = school if self.opts.group_by == "org" else None
            members = students[cid]
            out.append(ConvertedCourse(
                cid, title or None, group,
                {u: label for u, (_, label) in sorted((u, v) for u, v in members.items()
                                                       if type(u) is int)},
                people_students=sorted(k for k in members if type(k) is str)))
        return out

def read_oneroster(directory: str, opts: OneRosterOptions = OneRosterOptions()
                   ) -> tuple[list[ConvertedCourse], ConvertReport]:
    """The courses a OneRoster 1.1 bulk export makes; ConfigError with every
    located problem when it cannot be read."""
    return OneRosterReader(directory, opts).convert()


def count(courses: Iterable[ConvertedCourse], report: ConvertReport) -> None:
    for c in courses:
        report.courses += 1
        report.students += len(c.students) + len(c.people_students)
        report.auditors += len(c.auditors) + len(c.people_auditors)
        report.lesson_students += sum(map(len, c.lessons.values()))
