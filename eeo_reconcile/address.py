"""Resource addresses: `course/442447/student/12234` and friends.

Addresses name changes in a plan, entries in the state, and `--target` /
`--replace` / `state rm` arguments. A course or lesson address also names
everything below it. Each kind of address is its own small frozen type; the
union `Address` is what functions take, `parse_address` the one parser and
`str()` the one formatter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from .errors import EeoError


class AddressError(EeoError):
    pass


_FORMS = (
    "course/<courseId>, course/<courseId>/student/<uid>, course/<courseId>/auditor/<uid>, "
    "course/<courseId>/lesson/<classId>, course/<courseId>/lesson/<classId>/student/<uid>, "
    "course/<courseId>/group/<name>"
)


@dataclass(frozen=True, slots=True)
class CourseAddress:
    course: int

    def __str__(self) -> str:
        return f"course/{self.course}"

    def contains(self, other: Address) -> bool:
        return other.course == self.course


@dataclass(frozen=True, slots=True)
class StudentAddress:
    """A course student (identity 1)."""

    course: int
    uid: int

    def __str__(self) -> str:
        return f"course/{self.course}/student/{self.uid}"

    def contains(self, other: Address) -> bool:
        return other == self


@dataclass(frozen=True, slots=True)
class AuditorAddress:
    """A course auditor (identity 2)."""

    course: int
    uid: int

    def __str__(self) -> str:
        return f"course/{self.course}/auditor/{self.uid}"

    def contains(self, other: Address) -> bool:
        return other == self


@dataclass(frozen=True, slots=True)
class LessonAddress:
    course: int
    lesson: int

    def __str__(self) -> str:
        return f"course/{self.course}/lesson/{self.lesson}"

    def contains(self, other: Address) -> bool:
        return (
            isinstance(other, (LessonAddress, LessonStudentAddress))
            and other.course == self.course
            and other.lesson == self.lesson
        )


@dataclass(frozen=True, slots=True)
class LessonStudentAddress:
    """A lesson-only (transfer) student."""

    course: int
    lesson: int
    uid: int

    def __str__(self) -> str:
        return f"course/{self.course}/lesson/{self.lesson}/student/{self.uid}"

    def contains(self, other: Address) -> bool:
        return other == self


@dataclass(frozen=True, slots=True)
class GroupAddress:
    """A grouping, named by its name inside the course."""

    course: int
    name: str

    def __str__(self) -> str:
        return f"course/{self.course}/group/{self.name}"

    def contains(self, other: Address) -> bool:
        return other == self


Address = Union[  # noqa: UP007 - a runtime alias, usable with isinstance on 3.10
    CourseAddress, StudentAddress, AuditorAddress, LessonAddress, LessonStudentAddress,
    GroupAddress,
]
MemberAddress = Union[StudentAddress, AuditorAddress]  # noqa: UP007


def _num(text: str, what: str, raw: str) -> int:
    if not (text.isdigit() and text.isascii()) or int(text) < 1:
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
        return CourseAddress(course)
    if rest[0] == "group" and len(rest) >= 2:
        name = "/".join(rest[1:])
        if not name:
            raise AddressError(f"bad address {raw!r}: the group name is empty")
        return GroupAddress(course, name)
    if len(rest) == 2 and rest[0] == "student":
        return StudentAddress(course, _num(rest[1], "uid", raw))
    if len(rest) == 2 and rest[0] == "auditor":
        return AuditorAddress(course, _num(rest[1], "uid", raw))
    if rest[0] == "lesson" and len(rest) == 2:
        return LessonAddress(course, _num(rest[1], "lesson id", raw))
    if rest[0] == "lesson" and len(rest) == 4 and rest[2] == "student":
        return LessonStudentAddress(
            course, _num(rest[1], "lesson id", raw), _num(rest[3], "uid", raw)
        )
    raise AddressError(f"bad address {raw!r}: expected one of {_FORMS}")
