"""What roster files say: per course, its students, auditors and lesson students."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import LessonMember


@dataclass
class RosterCourse:
    """One course as the files say: students (uid -> label), auditors (uid ->
    name), lesson students (lesson -> uid -> member)."""

    students: dict[int, str | None] = field(default_factory=dict)
    auditors: dict[int, str] = field(default_factory=dict)
    lessons: dict[int, dict[int, LessonMember]] = field(default_factory=dict)

    def member_count(self) -> int:
        return len(self.students) + len(self.auditors) + sum(map(len, self.lessons.values()))

    def uids(self) -> set[int]:
        return self.students.keys() | self.auditors.keys() | {
            u for m in self.lessons.values() for u in m}


@dataclass
class Roster:
    courses: dict[int, RosterCourse] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    rows: int = 0
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)  # file -> headers
    encodings: dict[str, str] = field(default_factory=dict)  # CSV file -> the encoding read
    # an `account` column: key -> (uid, account, name); account -> key
    people: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    people_by_account: dict[str, str] = field(default_factory=dict)
    people_without_key: int = 0  # rows with an account and no key: not recorded
