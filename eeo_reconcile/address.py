"""Resource addresses: `course/442447/student/12234` and friends.

Addresses name changes in a plan, entries in the state, and `--target` /
`--replace` / `state rm` arguments. A course or lesson address also names
everything below it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import EeoError


class Kind(enum.Enum):
    COURSE = "course"
    STUDENT = "student"
    AUDITOR = "auditor"
    LESSON = "lesson"
    LESSON_STUDENT = "lesson-student"
    GROUP = "group"


class AddressError(EeoError):
    pass


_FORMS = (
    "course/<courseId>, course/<courseId>/student/<uid>, course/<courseId>/auditor/<uid>, "
    "course/<courseId>/lesson/<classId>, course/<courseId>/lesson/<classId>/student/<uid>, "
    "course/<courseId>/group/<name>"
)


@dataclass(frozen=True, slots=True)
class Address:
    kind: Kind
    course: int
    uid: int | None = None
    lesson: int | None = None
    group: str | None = None

    def __str__(self) -> str:
        base = f"course/{self.course}"
        k = self.kind
        if k is Kind.COURSE:
            return base
        if k is Kind.STUDENT:
            return f"{base}/student/{self.uid}"
        if k is Kind.AUDITOR:
            return f"{base}/auditor/{self.uid}"
        if k is Kind.LESSON:
            return f"{base}/lesson/{self.lesson}"
        if k is Kind.LESSON_STUDENT:
            return f"{base}/lesson/{self.lesson}/student/{self.uid}"
        return f"{base}/group/{self.group}"

    def contains(self, other: Address) -> bool:
        """True when `other` is this address or lies below it."""
        if self.course != other.course:
            return False
        k = self.kind
        if k is Kind.COURSE:
            return True
        if k is Kind.LESSON:
            return other.kind in (Kind.LESSON, Kind.LESSON_STUDENT) and other.lesson == self.lesson
        return self == other


def _num(text: str, what: str, raw: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise AddressError(f"bad address {raw!r}: {what} {text!r} is not a positive number")
    return int(text)


def parse_address(raw: str) -> Address:
    """Parse an address; raise AddressError naming the accepted forms."""
    text = raw.strip().strip("/")
    parts = text.split("/")
    if len(parts) < 2 or parts[0] != "course":
        raise AddressError(f"bad address {raw!r}: expected one of {_FORMS}")
    course = _num(parts[1], "course id", raw)
    rest = parts[2:]
    if not rest:
        return Address(Kind.COURSE, course)
    if rest[0] == "group" and len(rest) >= 2:
        name = "/".join(rest[1:])
        if not name:
            raise AddressError(f"bad address {raw!r}: the group name is empty")
        return Address(Kind.GROUP, course, group=name)
    if len(rest) == 2 and rest[0] in ("student", "auditor"):
        kind = Kind.STUDENT if rest[0] == "student" else Kind.AUDITOR
        return Address(kind, course, uid=_num(rest[1], "uid", raw))
    if rest[0] == "lesson" and len(rest) == 2:
        return Address(Kind.LESSON, course, lesson=_num(rest[1], "lesson id", raw))
    if rest[0] == "lesson" and len(rest) == 4 and rest[2] == "student":
        return Address(
            Kind.LESSON_STUDENT,
            course,
            lesson=_num(rest[1], "lesson id", raw),
            uid=_num(rest[3], "uid", raw),
        )
    raise AddressError(f"bad address {raw!r}: expected one of {_FORMS}")
