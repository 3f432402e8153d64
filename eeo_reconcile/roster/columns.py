"""The roster file contract: one row per membership, a header row, these columns.

- `course_id` (aliases 课程ID, courseId, 班级ID): required, a positive whole number.
- `role` (身份, identity): required; student / 1 / 学生, auditor / 2 / 旁听 / 旁听生,
  or lesson_student / 插班生.
- `uid` (UID, 学生UID, studentUid): required, a positive whole number.
- `name` (姓名, studentName, 昵称): a student's label (optional); the name ClassIn
  has for an auditor or a lesson student (required, 1-24 characters).
- `lesson_id` (课节ID, classId): required for a lesson student, empty otherwise.
- `custom` (自定义, customColumn): a lesson student's customColumn (optional,
  1-50 characters), empty otherwise.
- `account` (账号, 手机号, telephone, mobile, email) and `key` (学号,
  student_number, sourcedId), optional: the row's uid is a person's (`import`
  records them; both are needed, as the state never keeps an account whole;
  see roster/people.py).

Headers are matched ignoring case, spaces, `_` and `-`, and full-width forms.
Other columns are ignored (and listed once). The same contract as a JSON
Schema for one row: `schemas/roster-file.schema.json`.
"""

from __future__ import annotations

import enum
import unicodedata


class RowRole(enum.Enum):
    """The `role` column of a roster file's row: a course member's identity
    (`model.Role`), or a lesson-only student."""

    STUDENT = "student"
    AUDITOR = "auditor"
    LESSON_STUDENT = "lesson_student"


COLUMNS = ("course_id", "role", "uid", "name", "lesson_id", "custom", "account", "key")
REQUIRED = ("course_id", "role", "uid")


def fold(text: str) -> str:
    """How headers and role values are compared: NFKC (full width to half),
    case folded, without spaces, underscores or hyphens."""
    t = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in t if not ch.isspace() and ch not in "_-")


_ALIASES = {
    "course_id": ("course_id", "课程ID", "courseId", "班级ID"),
    "role": ("role", "身份", "identity"),
    "uid": ("uid", "UID", "学生UID", "studentUid"),
    "name": ("name", "姓名", "studentName", "昵称"),
    "lesson_id": ("lesson_id", "课节ID", "classId"),
    "custom": ("custom", "自定义", "customColumn"),
    "account": ("account", "账号", "手机号", "telephone", "mobile", "email"),
    "key": ("key", "学号", "student_number", "sourcedId"),
}
HEADERS: dict[str, str] = {fold(a): col for col, names in _ALIASES.items() for a in names}

_ROLES = {
    RowRole.STUDENT: ("student", "1", "学生"),
    RowRole.AUDITOR: ("auditor", "2", "旁听", "旁听生"),
    RowRole.LESSON_STUDENT: ("lesson_student", "插班生"),
}
ROLES: dict[str, RowRole] = {fold(a): role for role, names in _ROLES.items() for a in names}
ROLE_WORDS = "student (1, 学生), auditor (2, 旁听, 旁听生) or lesson_student (插班生)"
