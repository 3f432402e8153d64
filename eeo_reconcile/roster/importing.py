"""Importing a roster into the recorded state: what ClassIn holds, per the files.

No ClassIn call is made. By default each course in the files is a snapshot:
its recorded students, auditors and lesson students become the file's
(members recorded before but absent from the file are forgotten); with
`merge`, members are only added (and a uid the file gives another identity
is switched, since ClassIn gives one identity per course). Names from the
file are recorded: auditors' and lesson students' as ClassIn has them,
students' as labels (a student without a name in the file keeps the label
recorded before). Groupings are not in exports and are left as they are;
courses not in the files are untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..classin.accounts import account_digest, accounts_key, parse_account
from ..state.history import HistoryChange, person_event
from ..state.model import State
from ..state.records import CourseRecord, PersonRecord
from .model import Roster, RosterCourse


@dataclass
class CourseImport:
    """What the state learned and forgot about one course."""

    course: int
    added: dict[str, int] = field(default_factory=dict)  # "student" -> n
    forgotten: dict[str, int] = field(default_factory=dict)
    renamed: int = 0  # auditors and lesson students whose recorded name changed
    switched: int = 0  # uids whose identity the file changed (merge)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.forgotten or self.renamed or self.switched)

    def to_json(self) -> dict[str, Any]:
        return {"course": self.course, "added": self.added, "forgotten": self.forgotten,
                "renamed": self.renamed, "switched": self.switched}


@dataclass
class ImportReport:
    courses: list[CourseImport]
    merge: bool
    dry_run: bool
    rows: int
    files: list[str]
    ignored_columns: dict[str, list[str]]
    serial_before: int = 0
    serial_after: int = 0
    encodings: dict[str, str] = field(default_factory=dict)  # CSV file -> encoding read
    people: int = 0  # people recorded or updated (an `account` column)
    people_without_key: int = 0  # rows with an account but no key: not recorded

    @property
    def changed(self) -> bool:
        return bool(self.people) or any(c.changed for c in self.courses)

    def totals(self) -> tuple[dict[str, int], dict[str, int]]:
        added: dict[str, int] = {}
        forgotten: dict[str, int] = {}
        for c in self.courses:
            for k, v in c.added.items():
                added[k] = added.get(k, 0) + v
            for k, v in c.forgotten.items():
                forgotten[k] = forgotten.get(k, 0) + v
        return added, forgotten

    def to_json(self) -> dict[str, Any]:
        added, forgotten = self.totals()
        return {
            "format_version": 1, "merge": self.merge, "dry_run": self.dry_run,
            "rows": self.rows, "files": self.files, "ignored_columns": self.ignored_columns,
            "encodings": self.encodings, "people": self.people,
            "people_without_key": self.people_without_key,
            "changed": self.changed, "serial_before": self.serial_before,
            "serial_after": self.serial_after,
            "courses": [c.to_json() for c in self.courses],
            "totals": {"added": added, "forgotten": forgotten,
                       "renamed": sum(c.renamed for c in self.courses),
                       "switched": sum(c.switched for c in self.courses)},
        }


def _count(d: dict[str, int], key: str, n: int) -> None:
    if n:
        d[key] = d.get(key, 0) + n


def import_roster(state: State, roster: Roster, merge: bool = False,
                  only: Iterable[int] = ()) -> list[CourseImport]:
    """Record the roster into `state` (changed in place); what changed, per course.
    The state takes over the roster's member dicts where it can: do not change
    the roster afterwards (reading it, its sizes say, is safe)."""
    wanted = set(only)
    out = []
    for cid in sorted(roster.courses):
        if wanted and cid not in wanted:
            continue
        rec = state.courses.get(cid) or CourseRecord()
        report = _course(cid, rec, roster.courses[cid], merge)
        if not rec.is_empty() or rec.name is not None:
            state.courses[cid] = rec
        else:
            state.courses.pop(cid, None)
        out.append(report)
    return out


def import_people(state: State, people: Mapping[str, tuple[int, str, str]]
                  ) -> list[HistoryChange]:
    """Record the people a roster names (uid, name, a digest of the account keyed
    by the state's salt; never the account) into `state`; the events of what
    changed."""
    if not people:
        return []
    if state.salt is None:
        state.salt = State.new_salt()  # the key of the account digests
    key = accounts_key(state.salt)
    out: list[HistoryChange] = []
    for k, (uid, account, name) in sorted(people.items()):
        parsed, _ = parse_account(account)
        assert parsed is not None  # the roster checked it
        rec = PersonRecord(uid, name, account_digest(key, parsed))
        event = person_event(k, state.people.get(k), rec)
        if event is not None:
            state.people[k] = rec
            out.append(event)
    return out


def _course(cid: int, rec: CourseRecord, new: RosterCourse, merge: bool) -> CourseImport:
    r = CourseImport(cid)
    if rec.is_empty():  # nothing recorded yet (a first import): take the file's as they are
        rec.students = set(new.students)
        rec.labels = {u: x for u, x in new.students.items() if x is not None} \
            if None in new.students.values() else new.students  # type: ignore[assignment]
        rec.auditors = new.auditors
        rec.lessons = {lid: m for lid, m in new.lessons.items() if m}
        _count(r.added, "student", len(rec.students))
        _count(r.added, "auditor", len(rec.auditors))
        _count(r.added, "lesson student", sum(map(len, rec.lessons.values())))
        return r
    # identities the file changes: a uid is one thing per course
    file_students = new.students.keys()
    file_auditors = new.auditors.keys()
    file_lesson_uids = {u for members in new.lessons.values() for u in members}
    if merge:
        switched = (rec.auditors.keys() & file_students) | (rec.students & file_auditors) | \
            ((rec.students | rec.auditors.keys()) & file_lesson_uids)
        r.switched = len(switched)
        for u in switched:
            rec.students.discard(u)
            rec.labels.pop(u, None)
            rec.auditors.pop(u, None)
        for members in rec.lessons.values():
            for u in (file_students | file_auditors) & members.keys():
                del members[u]
                r.switched += 1
    else:
        gone_s = rec.students - file_students
        gone_a = rec.auditors.keys() - file_auditors
        _count(r.forgotten, "student", len(gone_s))
        _count(r.forgotten, "auditor", len(gone_a))
        rec.students -= gone_s
        for u in gone_s:
            rec.labels.pop(u, None)
        for u in gone_a:
            del rec.auditors[u]
        for lid in list(rec.lessons):
            members = rec.lessons[lid]
            keep = new.lessons.get(lid, {})
            gone = members.keys() - keep.keys()
            _count(r.forgotten, "lesson student", len(gone))
            for u in gone:
                del members[u]
            if not members:
                del rec.lessons[lid]
                rec.lesson_names.pop(lid, None)
    added_s = file_students - rec.students
    _count(r.added, "student", len(added_s))
    rec.students |= file_students
    if None in new.students.values():
        rec.labels.update((u, x) for u, x in new.students.items() if x is not None)
    else:
        rec.labels.update(new.students)  # type: ignore[arg-type]  # no None: checked
    for u, name in new.auditors.items():
        old = rec.auditors.get(u)
        if old is None:
            _count(r.added, "auditor", 1)
        elif old != name:
            r.renamed += 1
        rec.auditors[u] = name
    for lid, members in new.lessons.items():
        have = rec.lessons.setdefault(lid, {})
        for u, m in members.items():
            had = have.get(u)
            if had is None:
                _count(r.added, "lesson student", 1)
            elif had != m:
                r.renamed += 1
            have[u] = m
    return r
