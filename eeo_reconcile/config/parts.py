"""A course split over several files: generated parts and hand-kept parts.

A course may be given more than once when every entry of it names its part
(`part: sis`, `part: hand`): the parts are merged key by key -- `name`,
`students`, `auditors`, `lessons`, `groups`, `safety` -- and each key comes
from one part only. So a file generated from the SIS (`eeo-reconcile
convert`) can give a course's students and auditors while a hand-written
file gives its groupings and lesson students, and the checks across them
(a grouping member who is not a student, an auditor who is also a student,
a lesson student who is already in the course) are made on the merged course,
located in the part that refers to the missing uid.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Diagnostic, Location
from ..model import CourseSpec
from .course import (
    AUDITOR_HINT,
    LESSON_TWICE_HINT,
    MEMBER_HINT,
    Refs,
    auditor_message,
    lesson_twice_message,
    member_message,
)

PART_KEYS = ("name", "students", "auditors", "lessons", "groups", "safety")


@dataclass
class Part:
    """One entry of a split course, built on its own."""

    label: str
    here: Location  # its `id`
    keys: dict[str, Location]  # the keys it gives, where
    spec: CourseSpec
    refs: Refs


def _owner(parts: list[Part], key: str) -> Part | None:
    return next((p for p in parts if key in p.keys), None)


def merge_parts(cid: int, parts: list[Part], errors: list[Diagnostic]) -> CourseSpec:
    """The course its parts make together; conflicts and cross-part problems go to
    `errors`, located."""
    labels: dict[str, Location] = {}
    for p in parts:
        if p.label in labels:
            errors.append(Diagnostic(p.here, f"course {cid} has two parts named {p.label!r} "
                                     f"(the other at {labels[p.label]})",
                                     "give each part of a course its own `part:` name"))
        labels.setdefault(p.label, p.here)
    for key in PART_KEYS:
        givers = [p for p in parts if key in p.keys]
        for p in givers[1:]:
            errors.append(Diagnostic(
                p.keys[key],
                f"`{key}` of course {cid} is given by part {p.label!r} and by part "
                f"{givers[0].label!r} (at {givers[0].keys[key]})",
                "each key of a split course comes from one part: keep it in one of them",
            ))

    def take(key: str) -> CourseSpec | None:
        owner = _owner(parts, key)
        return owner.spec if owner is not None else None

    s, a, le, g = take("students"), take("auditors"), take("lessons"), take("groups")
    name, safety = take("name"), take("safety")
    students = s.students if s else {}
    auditors = a.auditors if a else {}
    for p in parts:
        for uid, where in p.refs.auditors:
            if uid in students:
                errors.append(Diagnostic(where, auditor_message(uid, cid), AUDITOR_HINT))
        for lid, uid, where in p.refs.lesson_students:
            if uid in students or uid in auditors:
                what = "a student" if uid in students else "an auditor"
                errors.append(Diagnostic(where, lesson_twice_message(uid, what, cid, lid),
                                         LESSON_TWICE_HINT))
        for uid, group, where in p.refs.members:
            if uid not in students:
                errors.append(Diagnostic(where, member_message(uid, group, cid), MEMBER_HINT))
    return CourseSpec(
        id=cid,
        name=name.name if name else None,
        students=students,
        auditors=auditors,
        lessons=le.lessons if le else {},
        groups=g.groups if g else (),
        max_removal_fraction=safety.max_removal_fraction if safety else None,
        location=parts[0].here,
        auditor_locations=a.auditor_locations if a else (),
        lesson_names=le.lesson_names if le else {},
        uid_changes=safety.uid_changes if safety else frozenset(),
    )
