"""Names the state keeps so that plans can say who and what: no ClassIn call.

A course's and a lesson's name and a student's label are never sent to
ClassIn (it has no field for them); they come from the configuration or an
import and are recorded so that a later plan -- a removal, a course dropped
from the YAML -- can still name them. When the configuration names something
differently from the record, the plan carries a `LabelUpdate` and apply
records it (after the course's calls).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model import CourseSpec
from ..state.records import CourseRecord


@dataclass(frozen=True, slots=True)
class LabelUpdate:
    """Record `name` for a course (lesson and uid None), a lesson (lesson set) or
    a course student (uid set)."""

    course: int
    name: str
    lesson: int | None = None
    uid: int | None = None

    @property
    def what(self) -> str:
        if self.uid is not None:
            return "lesson-student" if self.lesson is not None else "student"
        return "lesson" if self.lesson is not None else "course"

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"course": self.course, "name": self.name}
        if self.lesson is not None:
            d["lesson"] = self.lesson
        if self.uid is not None:
            d["uid"] = self.uid
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> LabelUpdate:
        lesson, uid = d.get("lesson"), d.get("uid")
        return cls(int(d["course"]), str(d["name"]), int(lesson) if lesson is not None else None,
                   int(uid) if uid is not None else None)


def label_updates(cid: int, want: CourseSpec, have: CourseRecord) -> list[LabelUpdate]:
    """What the record should learn from the configuration's names.

    Only names of things that are (or are about to be) recorded: a course with
    members, a lesson with lesson students, a student recorded in the course
    (a student being added gets its label with the add). A name the
    configuration leaves out is kept (an import may have given it)."""
    out: list[LabelUpdate] = []
    if want.name and want.name != have.name and (want.member_count() or not have.is_empty()):
        out.append(LabelUpdate(cid, want.name))
    for lid, name in want.lesson_names.items():
        if name and have.lesson_names.get(lid) != name and want.lessons.get(lid):
            out.append(LabelUpdate(cid, name, lesson=lid))
    hs = have.students
    if hs:
        labels = have.labels
        get = labels.get
        changed = [u for u, n in want.students.items() if n is not None and get(u) != n]
        out.extend(LabelUpdate(cid, want.students[u], uid=u)  # type: ignore[arg-type]
                   for u in sorted(changed) if u in hs)
    for lid in sorted(want.lessons.keys() & have.lessons.keys()):
        hm = have.lessons[lid]
        for u, m in sorted(want.lessons[lid].items()):
            was = hm.get(u)  # a lesson student's name is a label: recorded, never sent
            if m.name and was is not None and was.custom == m.custom and was.name != m.name:
                out.append(LabelUpdate(cid, m.name, lesson=lid, uid=u))
    return out
