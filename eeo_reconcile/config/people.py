"""The school's students as people (`people:`) and course members named by person.

`PeopleParts` collects, across documents, the `people:` entries (key, account,
name, optional uid) and every `{person: KEY}` a course names (as a student, an
auditor or a lesson student), and checks what the schema cannot: a key or an
account given twice, an account that is neither a mobile number nor an email
(with what to write instead), a reference to a key nobody defined, one person
named twice in a course (or as its student and its auditor). Members named by
person are resolved to uids at plan time, from the configured uid or the one
the state recorded when the account was registered (`plan/people.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..classin.accounts import parse_account
from ..errors import Diagnostic, Location
from ..ids import as_id
from ..model import CourseSpec, Person, PersonRef, Role
from .source import Locator

_WHERE = {Role.STUDENT: "students", Role.AUDITOR: "auditors"}


class PeopleParts:
    def __init__(self, errors: list[Diagnostic]) -> None:
        self.errors = errors
        self.people: dict[str, Person] = {}
        self.by_account: dict[str, str] = {}  # account as sent -> key
        # each reference, and where it is (located only for an error: locating every
        # one of 200,000 references took longer than reading them)
        self.refs: list[tuple[PersonRef, Locator, list[Any]]] = []
        self.broken: set[str] = set()  # keys of entries already reported as wrong

    def err(self, loc: Location | None, message: str, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(loc, message, hint))

    def add_people(self, loc: Locator, items: Any) -> None:
        if not isinstance(items, list):
            return
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            key, account, name = item.get("key"), item.get("account"), item.get("name")
            if not (isinstance(key, str) and isinstance(account, str) and isinstance(name, str)):
                if isinstance(key, str):
                    self.broken.add(key)
                continue  # the schema said what is missing
            here = loc.locate(["people", i, "key"])
            first = self.people.get(key)
            if first is not None:
                self.err(here, f"person {key!r} is defined twice (first at {first.location})",
                         "a key names one person: keep one entry")
                continue
            parsed, why = parse_account(account)
            if parsed is None:
                self.broken.add(key)
                self.err(loc.locate(["people", i, "account"]),
                         f"the account of person {key!r} {why}",
                         "quote it in the YAML: account: '13800000001'")
                continue
            other = self.by_account.get(parsed.value)
            if other is not None:
                self.err(loc.locate(["people", i, "account"]),
                         f"person {key!r} has the account of person {other!r}",
                         "one ClassIn account is one person: give each their own, or "
                         "keep one entry")
                continue
            uid = as_id(item.get("uid")) if item.get("uid") is not None else None
            self.by_account[parsed.value] = key
            self.people[key] = Person(key, parsed.value, name.strip(), uid, here)

    def add_course(self, loc: Locator, cid: int, data: dict[str, Any]) -> None:
        """The members a course (or a part of one) names by person."""
        for role, field in _WHERE.items():
            items = data.get(field)
            for i, item in enumerate(items if isinstance(items, list) else ()):
                if isinstance(item, dict) and isinstance(item.get("person"), str):
                    name = item.get("name") if role is Role.AUDITOR else None
                    self.refs.append((PersonRef(cid, role, item["person"],
                                                name if isinstance(name, str) else None),
                                      loc, [field, i, "person"]))
        lessons = data.get("lessons")
        for li, lesson in enumerate(lessons if isinstance(lessons, list) else ()):
            lid = as_id(lesson.get("id")) if isinstance(lesson, dict) else None
            items = lesson.get("students") if isinstance(lesson, dict) else None
            if lid is None or not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                if isinstance(item, dict) and isinstance(item.get("person"), str):
                    name, custom = item.get("name"), item.get("custom")
                    self.refs.append((PersonRef(
                        cid, Role.STUDENT, item["person"],
                        name if isinstance(name, str) else None, lid,
                        str(custom) if isinstance(custom, str | int)
                        and not isinstance(custom, bool) else None),
                        loc, ["lessons", li, "students", i, "person"]))

    def finish(self, courses: Mapping[int, CourseSpec]
               ) -> tuple[dict[str, Person], tuple[PersonRef, ...]]:
        """The people and the references, after checking each reference (one whose
        person's configured uid the course already lists is an error here, located;
        one whose uid only the state knows is checked when planning)."""
        # (course, lesson, key) -> the first reference's role and where it is
        seen: dict[tuple[int, int | None, str], tuple[Role, Locator, list[Any]]] = {}
        # (course, key) -> where the first reference in the course itself is, and in a lesson
        placed: dict[tuple[int, str], dict[bool, tuple[Locator, list[Any]]]] = {}
        kept: list[PersonRef] = []
        for r, loc, path in self.refs:
            def here(loc: Locator = loc, path: list[Any] = path) -> Location:
                return loc.locate(path)
            if r.key in self.broken and r.key not in self.people:
                continue  # its entry's error says what is wrong
            if r.key not in self.people:
                self.err(here(), f"no person has the key {r.key!r}",
                         "define them under `people:` (key, account, name), or check the key")
                continue
            slot = (r.course, r.lesson, r.key)
            if slot in seen:
                role, floc, fpath = seen[slot]
                first = floc.locate(fpath)
                what = ("twice in this course" if role is r.role
                        else "as a student and as an auditor of this course")
                if r.lesson is not None:
                    what = f"twice in lesson {r.lesson}"
                self.err(here(), f"person {r.key!r} is named {what} (first at {first})",
                         "ClassIn gives a person one place in a course: keep one entry")
                continue
            where = placed.setdefault((r.course, r.key), {})
            if (r.lesson is None) in where:  # in the course when r is in a lesson, ...
                oloc, opath = where[r.lesson is None]
                self.err(here(), f"person {r.key!r} is a lesson student here and a member "
                                 f"of the course at {oloc.locate(opath)}",
                         "a course's students and auditors attend every lesson: a lesson "
                         "takes only people who are not in the course")
                continue
            uid = self.people[r.key].uid
            spec = courses.get(r.course)
            if uid is not None and spec is not None and (
                    uid in spec.students or uid in spec.auditors
                    or any(uid in m for m in spec.lessons.values())):
                self.err(here(), f"person {r.key!r} has uid {uid}, which this course already "
                                 "lists", "ClassIn gives a uid one place in a course: keep "
                                          "one entry")
                continue
            seen[slot] = (r.role, loc, path)  # located only if a later one repeats it
            where.setdefault(r.lesson is not None, (loc, path))
            kept.append(r)
        return self.people, tuple(kept)
