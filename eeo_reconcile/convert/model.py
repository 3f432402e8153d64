"""What a conversion produces: courses for the YAML, and a report of what was
left out and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import LessonMember

# why something was not converted: problems (--strict fails on them) ...
UNMAPPED_CLASS = "class without a ClassIn course id"
NO_UID = "user without a ClassIn uid"
UNKNOWN_CLASS = "enrollment of a class not in classes.csv"
UNKNOWN_USER = "enrollment of a user not in users.csv"
LONG_NAME = "auditor name over 24 characters"
UNSAFE_NAME = "name with control or text-direction characters"
GUARDIAN_IS_STUDENT = "guardian who is a student of the same course"
NO_NAME = "guardian without a name"
SHARED_ACCOUNT = "user whose account another user has (one account, one person)"
PERSON_NAME = "user with an account but no name of 1 to 24 characters (--people)"
PROBLEMS = (UNMAPPED_CLASS, NO_UID, UNKNOWN_CLASS, UNKNOWN_USER, LONG_NAME, UNSAFE_NAME,
            GUARDIAN_IS_STUDENT, NO_NAME, SHARED_ACCOUNT, PERSON_NAME)
# ... and what is left out by design
DELETED = "status tobedeleted"
OUT_OF_DATES = "enrollment outside its dates"
OTHER_TERM = "class of another term"
NOT_STUDENT = "enrollment that is not a student's (teachers, administrators, ...)"
STAFF_USER = "student enrollment of a user whose role is staff"


@dataclass
class ConvertedCourse:
    """One ClassIn course as the source says."""

    id: int
    name: str | None = None
    group: str | None = None  # the output file it goes in (--group-by org)
    students: dict[int, str | None] = field(default_factory=dict)
    auditors: dict[int, str] = field(default_factory=dict)
    lessons: dict[int, dict[int, LessonMember]] = field(default_factory=dict)
    people_students: list[str] = field(default_factory=list)  # person keys (--people)
    people_auditors: list[str] = field(default_factory=list)


@dataclass
class ConvertReport:
    source: str  # "oneroster" or "csv"
    courses: int = 0
    students: int = 0
    auditors: int = 0
    lesson_students: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    details: dict[str, list[str]] = field(default_factory=dict)  # reason -> ids (--verbose)
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # generated before, no longer: --prune
    people: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (account, name)
    _seen: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def skip(self, reason: str, what: str) -> None:
        """Count `what` (a class, user or enrollment) once under `reason`."""
        key = (reason, what)
        if key in self._seen:
            return
        self._seen.add(key)
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        self.details.setdefault(reason, []).append(what)

    @property
    def problems(self) -> int:
        return sum(n for r, n in self.skipped.items() if r in PROBLEMS)

    def to_json(self, verbose: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "source": self.source,
            "converted": {"courses": self.courses, "students": self.students,
                          "auditors": self.auditors, "lesson_students": self.lesson_students,
                          "people": len(self.people)},
            "skipped": {r: n for r, n in sorted(self.skipped.items()) if r in PROBLEMS},
            "ignored": {r: n for r, n in sorted(self.skipped.items()) if r not in PROBLEMS},
            "files": {"written": self.written, "unchanged": self.unchanged,
                      "removed": self.removed, "stale": self.stale},
        }
        if verbose:
            d["details"] = {r: sorted(set(v)) for r, v in sorted(self.details.items())}
        return d
