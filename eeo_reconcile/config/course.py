"""One course of a configuration: its students, auditors, lessons and groupings.

`CourseParts.build` cross-checks what the schema cannot (a uid twice, a
student who is also an auditor, a lesson in two courses, a group member who
is not a student, ...) and builds the `CourseSpec`. Every problem becomes a
located `Diagnostic` in the shared error list; a bad part is left out, and
the rest of the course is still checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Diagnostic, Location
from ..ids import as_id
from ..model import CourseSpec, GroupSpec, LessonMember, Team
from ..text import UNSAFE, unsafe_characters
from .source import Locator

Students = dict[int, "str | None"]
Auditors = dict[int, str]


@dataclass
class Refs:
    """What one part of a split course refers to that another part may give
    (see `config.parts`): checked once every part is read."""

    auditors: list[tuple[int, Location]] = field(default_factory=list)
    lesson_students: list[tuple[int, int, Location]] = field(default_factory=list)  # lid, uid
    members: list[tuple[int, str, Location]] = field(default_factory=list)  # uid, grouping


class CourseParts:
    def __init__(self, errors: list[Diagnostic]) -> None:
        self.errors = errors
        self.lesson_where: dict[int, tuple[int, Location]] = {}  # across all courses
        self.refs: Refs | None = None  # while a part of a split course is built

    def err(self, loc: Location | None, message: str, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(loc, message, hint))

    def build(self, loc: Locator, cid: int, data: dict[str, Any], here: Location,
              refs: Refs | None = None) -> CourseSpec:
        """The course (or, with `refs`, one part of a split course: what it checks
        against students or auditors that another part gives goes into `refs`)."""
        students = self._students(loc, cid, data.get("students"))
        auditors, auditor_locations = self._auditors(loc, cid, data.get("auditors"), students)
        lesson_names: dict[int, str] = {}
        known_s: Students | None = students
        known_a: Auditors | None = auditors
        if refs is not None:
            known_s = students if "students" in data else None
            known_a = auditors if "auditors" in data else None
            if known_s is None:
                refs.auditors.extend(zip(auditors, auditor_locations, strict=True))
        self.refs = refs
        lessons = self._lessons(loc, cid, data.get("lessons"), known_s, known_a, lesson_names)
        groups = self._groups(loc, cid, data.get("groups"), known_s)
        self.refs = None
        name = self.text(loc, ["name"], data.get("name"))
        return CourseSpec(
            id=cid,
            name=name,
            students=students,
            auditors=auditors,
            lessons=lessons,
            groups=tuple(groups),
            max_removal_fraction=_fraction(data.get("safety")),
            location=here,
            auditor_locations=tuple(auditor_locations),
            lesson_names=lesson_names,
            uid_changes=_uid_changes(data.get("safety")),
        )

    def text(self, loc: Locator, path: list[Any], value: Any) -> str | None:
        """A name or label, when it is one; a located error when it holds control or
        text-direction characters (they can hide or reorder text in a plan)."""
        if not isinstance(value, str):
            return None
        if not value.isprintable() and UNSAFE.search(value):
            self.err(loc.locate(path),
                     f"this text holds control or text-direction characters "
                     f"({', '.join(unsafe_characters(value))})",
                     "remove them: names are shown in plans, where such characters can hide "
                     "lines or make one uid look like another")
            return None
        return value

    def _twice(self, loc: Locator, where: list[Any], i: int, first: int, uid: int,
               what: str) -> None:
        """Report item `i` of the list at `where` repeating item `first`."""
        line = loc.locate([*where, first]).line
        self.err(
            loc.locate([*where, i]),
            f"uid {uid} is listed twice in {what} (first at line {line})",
            "remove one of the two entries",
        )

    def _students(self, loc: Locator, cid: int, items: Any) -> Students:
        students: Students = {}
        if not isinstance(items, list):
            return students
        seen: dict[int, int] = {}
        for i, item in enumerate(items):
            if type(item) is int and item >= 1:
                uid: int | None = item
                label = None
            elif isinstance(item, dict):
                uid = as_id(item.get("uid"))
                label = item.get("name")
                if label is not None:
                    label = self.text(loc, ["students", i, "name"], label)
            else:
                uid, label = as_id(item), None
            if uid is None:
                continue
            if uid in students:
                self._twice(loc, ["students"], i, seen[uid], uid, f"the students of course {cid}")
                continue
            seen[uid] = i
            students[uid] = label
        return students

    def _auditors(self, loc: Locator, cid: int, items: Any,
                  students: Students) -> tuple[Auditors, list[Location]]:
        auditors: Auditors = {}
        where: list[Location] = []
        if not isinstance(items, list):
            return auditors, where
        seen: dict[int, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            uid = as_id(item.get("uid"))
            name = self.text(loc, ["auditors", i, "name"], item.get("name"))
            if uid is None or name is None:
                continue
            if uid in auditors:
                self._twice(loc, ["auditors"], i, seen[uid], uid, f"the auditors of course {cid}")
                continue
            if uid in students:
                self.err(loc.locate(["auditors", i]), auditor_message(uid, cid), AUDITOR_HINT)
                continue
            seen[uid] = i
            auditors[uid] = name
            where.append(loc.locate(["auditors", i]))
        return auditors, where

    def _lessons(self, loc: Locator, cid: int, items: Any, students: Students | None,
                 auditors: Auditors | None, names: dict[int, str],
                 ) -> dict[int, dict[int, LessonMember]]:
        lessons: dict[int, dict[int, LessonMember]] = {}
        if not isinstance(items, list):
            return lessons
        for li, lesson in enumerate(items):
            if not isinstance(lesson, dict):
                continue
            lid = as_id(lesson.get("id"))
            if lid is None:
                continue
            lpath = ("lessons", li)
            lhere = loc.locate([*lpath, "id"])
            prev = self.lesson_where.get(lid)
            if prev is not None:
                pcid, ploc = prev
                where = "in this course" if pcid == cid else f"in course {pcid}"
                self.err(
                    lhere,
                    f"lesson {lid} is listed twice: here and {where} at {ploc}",
                    "a lesson belongs to one course and is listed once",
                )
                continue
            self.lesson_where[lid] = (cid, lhere)
            lname = self.text(loc, [*lpath, "name"], lesson.get("name"))
            if lname is not None:
                names[lid] = lname
            lessons[lid] = self._lesson_students(
                loc, lpath, lesson.get("students"), cid, lid, students, auditors
            )
        return lessons

    def _lesson_students(
        self,
        loc: Locator,
        lpath: tuple[Any, ...],
        items: Any,
        cid: int,
        lid: int,
        students: Students | None,
        auditors: Auditors | None,
    ) -> dict[int, LessonMember]:
        out: dict[int, LessonMember] = {}
        if not isinstance(items, list):
            return out
        seen: dict[int, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            uid = as_id(item.get("uid"))
            name = self.text(loc, [*lpath, "students", i, "name"], item.get("name"))
            custom = item.get("custom")
            if isinstance(custom, str) and self.text(
                    loc, [*lpath, "students", i, "custom"], custom) is None:
                continue
            if uid is None or isinstance(custom, bool):
                continue
            if isinstance(custom, int):
                custom = str(custom)
                if len(custom) > 50:
                    self.err(
                        loc.locate([*lpath, "students", i, "custom"]),
                        f"custom is {len(custom)} characters long; at most 50 are allowed",
                        "shorten it: ClassIn would cut it to 50 characters",
                    )
                    continue
            elif custom is not None and not isinstance(custom, str):
                continue
            if uid in out:
                self._twice(loc, [*lpath, "students"], i, seen[uid], uid, f"lesson {lid}")
                continue
            if (students is not None and uid in students) or (
                    auditors is not None and uid in auditors):
                what = "a student" if students is not None and uid in students else "an auditor"
                self.err(
                    loc.locate([*lpath, "students", i]),
                    lesson_twice_message(uid, what, cid, lid),
                    LESSON_TWICE_HINT,
                )
                continue
            if self.refs is not None and (students is None or auditors is None):
                self.refs.lesson_students.append(
                    (lid, uid, loc.locate([*lpath, "students", i])))
            seen[uid] = i
            out[uid] = LessonMember(name=name or "", custom=custom)  # "": no label
        return out

    def _groups(self, loc: Locator, cid: int, items: Any,
                students: Students | None) -> list[GroupSpec]:
        groups: list[GroupSpec] = []
        if not isinstance(items, list):
            return groups
        names: dict[str, Location] = {}
        ids: dict[int, Location] = {}
        for gi, group in enumerate(items):
            if not isinstance(group, dict):
                continue
            g = self._group(loc, ("groups", gi), group, cid, students)
            if g is None:
                continue
            gloc = loc.locate(["groups", gi, "name"])
            if g.name in names:
                self.err(
                    gloc,
                    f"group name {g.name!r} is used twice in course {cid} "
                    f"(first at line {names[g.name].line})",
                    "group names identify groupings inside a course: rename one",
                )
                continue
            if g.id is not None and g.id in ids:
                self.err(
                    loc.locate(["groups", gi, "id"]),
                    f"group id {g.id} is used twice in course {cid} "
                    f"(first at line {ids[g.id].line})",
                    "each ClassIn grouping can be adopted once",
                )
                continue
            names[g.name] = gloc
            if g.id is not None:
                ids[g.id] = loc.locate(["groups", gi, "id"])
            groups.append(g)
        return groups

    def _group(
        self,
        loc: Locator,
        gpath: tuple[Any, ...],
        data: dict[str, Any],
        cid: int,
        students: Students | None,
    ) -> GroupSpec | None:
        name = self.text(loc, [*gpath, "name"], data.get("name"))
        teams_data = data.get("teams")
        if name is None or not (1 <= len(name) <= 20):
            return None
        if not isinstance(teams_data, list) or not teams_data:
            return None
        gid = None
        if "id" in data:
            gid = as_id(data["id"])
            if gid is None:
                return None
        teams: list[Team] = []
        seen: dict[int, tuple[Any, ...]] = {}
        ok = True
        for ti, team in enumerate(teams_data):
            if not isinstance(team, dict):
                ok = False
                continue
            leader = as_id(team.get("leader"))
            members_data = team.get("members", [])
            if leader is None or not isinstance(members_data, list):
                ok = False
                continue
            refs: list[tuple[int, tuple[Any, ...]]] = [(leader, (*gpath, "teams", ti, "leader"))]
            members: list[int] = []
            for mi, m in enumerate(members_data):
                uid = as_id(m)
                if uid is None:
                    ok = False
                    continue
                members.append(uid)
                refs.append((uid, (*gpath, "teams", ti, "members", mi)))
            for uid, upath in refs:
                if uid in seen:
                    self.err(
                        loc.locate(list(upath)),
                        f"uid {uid} appears twice in group {name!r} "
                        f"(first at line {loc.locate(list(seen[uid])).line})",
                        "a uid may be in one team of a grouping, once",
                    )
                    ok = False
                    continue
                seen[uid] = upath
                if students is None:
                    if self.refs is not None:
                        self.refs.members.append((uid, name, loc.locate(list(upath))))
                elif uid not in students:
                    self.err(loc.locate(list(upath)), member_message(uid, name, cid),
                             MEMBER_HINT)
                    ok = False
            teams.append(Team(leader=leader, members=tuple(members)))
        if not ok:
            return None
        return GroupSpec(name=name, teams=tuple(teams), id=gid)


LESSON_TWICE_HINT = ("course students attend every lesson and auditors cannot be lesson "
                     "students: remove this entry")
MEMBER_HINT = "add the uid to the course's `students`, or remove it from the group"
AUDITOR_HINT = ("ClassIn allows one identity per course: keep the uid in `students` or in "
                "`auditors`, not both")


def lesson_twice_message(uid: int, what: str, cid: int, lid: int) -> str:
    return (f"uid {uid} is already {what} of course {cid}, so cannot also be a lesson-only "
            f"student of its lesson {lid}")


def member_message(uid: int, group: str, cid: int) -> str:
    return f"uid {uid} in group {group!r} is not a student of course {cid}"


def auditor_message(uid: int, cid: int) -> str:
    return f"uid {uid} is both a student and an auditor of course {cid}"


def is_number(v: Any, kind: type) -> bool:
    """An int (kind int) or an int or float (kind float), never a bool."""
    if isinstance(v, bool):
        return False
    return isinstance(v, int) if kind is int else isinstance(v, (int, float))


def _uid_changes(safety: Any) -> frozenset[tuple[int, int]]:
    """The uid changes a course's safety block acknowledges (old uid, new uid)."""
    out: set[tuple[int, int]] = set()
    if isinstance(safety, dict) and isinstance(safety.get("uid_changes"), list):
        for item in safety["uid_changes"]:
            if isinstance(item, dict):
                old, new = as_id(item.get("from")), as_id(item.get("to"))
                if old is not None and new is not None:
                    out.add((old, new))
    return frozenset(out)


def _fraction(safety: Any) -> float | None:
    """A course's own max_removal_fraction, when valid."""
    if isinstance(safety, dict):
        f: Any = safety.get("max_removal_fraction")
        if is_number(f, float) and 0 <= f <= 1:
            return float(f)
    return None

