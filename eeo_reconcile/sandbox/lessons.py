"""Lesson-only (transfer) students: addClassStudentMultiple, delClassStudentMultiple.

delClassStudentMultiple with a course student takes them out of that one lesson
(调出生): they no longer see it and still see the course's others; the course
roster keeps them, and `GET /_sandbox/courses/<id>` lists them under `excluded`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .core import Core
from .wire import Refuse, answer, array, item, num, uid_of
from .world import CourseW, LessonW


class Lessons(Core):
    # -- lesson (transfer) students ------------------------------------------------------
    def _lesson(self, form: Mapping[str, str], identity_default: str | None = "1"
                ) -> tuple[CourseW, LessonW]:
        # addClassStudentMultiple: "不填写默认为1", it defaults to 1; the removal's
        # page gives no default: a request without identity is 100 there
        raw_identity = form.get("identity", identity_default)
        if raw_identity is None:
            raise Refuse(100)
        if not raw_identity.isdigit():
            raise Refuse(100)
        if raw_identity != "1":
            raise Refuse(159)
        num(form, "courseId")
        lid = num(form, "classId")
        c = self._course(form, deleted=144, expired=None)
        lesson = c.lessons.get(lid)
        if lesson is None:
            raise Refuse(142 if self.world.lesson_owner(lid) is not None else 143)
        if lesson.status == "deleted":
            raise Refuse(212)
        if lesson.status == "client":
            raise Refuse(466)
        if lesson.status == "finished" or c.status == "expired":
            raise Refuse(145)
        return c, lesson

    def _addClassStudentMultiple(self, form: Mapping[str, str]) -> dict[str, Any]:
        items = array(form, "studentJson")
        parsed: list[tuple[int, str, str | None]] = []
        for it in items:
            if not isinstance(it, dict) or "uid" not in it:
                raise Refuse(100)
            custom = it.get("customColumn")
            uid = uid_of(it["uid"])
            # a name is accepted and not used (since 2020): ClassIn shows the user's own
            parsed.append((uid, self.world.students.get(uid) or str(uid),
                           str(custom)[:50] if custom not in (None, "") else None))
        c, lesson = self._lesson(form)
        data = []
        for uid, name, custom in parsed:
            data.append(item(self._add_to_lesson(c, lesson, uid, name, custom), custom))
        return answer(1, data=data)

    def _add_to_lesson(self, c: CourseW, lesson: LessonW, uid: int, name: str,
                       custom: str | None) -> int:
        if uid in self.world.cancelled:
            return 886
        if c.teachers and uid == c.teachers[0]:
            return 129
        if uid in c.teachers[1:]:
            return 332
        if c.head_teacher is not None and uid == c.head_teacher:
            return 333
        if uid in lesson.co_teachers:
            return 329
        if uid not in self.world.students:
            return 228
        if uid in c.auditors:
            return 164
        if uid in lesson.students or uid in c.students:
            return 166
        seats = len(c.students) + len(lesson.students)
        if lesson.capacity is not None and seats >= lesson.capacity:
            return 157
        lesson.students[uid] = (name, custom)
        return 1

    def _delClassStudentMultiple(self, form: Mapping[str, str]) -> dict[str, Any]:
        uids = [uid_of(u) for u in array(form, "studentUidJson")]
        _, lesson = self._lesson(form, identity_default=None)
        data = []
        c = self.world.lesson_owner(lesson.id)
        for uid in uids:
            if uid in lesson.students:
                del lesson.students[uid]
                data.append(item(1))
            elif c is not None and uid in c.students and uid not in lesson.excluded:
                lesson.excluded.add(uid)  # 调出生: taken out of this lesson only
                data.append(item(1))
            else:
                data.append(item(167))
        return answer(1, data=data)
