"""Every documented ClassIn errno: its meaning and how eeo-reconcile treats it.

Sources: the vendor's English pages for addCourseStudent, delCourseStudent,
delCourseStudentMultiple, addClassStudentMultiple, editCourseGroup, and the
facts from the Chinese reference collected in ../shared/classin-api/README.md.
The sandbox answers with these texts; the client classifies with these classes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .api import Endpoint


class ErrClass(enum.Enum):
    SUCCESS = "success"
    WARNING = "success-with-warning"  # done, with a caveat (841, 898)
    CONVERGED = "already-converged"  # already as wanted (context-dependent, see below)
    TRANSIENT = "transient"  # retry with backoff (104, 114, 464, 901)
    FATAL_RUN = "fatal-for-the-run"  # stop everything (102; 100/400: a bug)
    FATAL_COURSE = "fatal-for-the-course"  # skip the rest of the course
    FATAL_LESSON = "fatal-for-the-lesson"  # skip the rest of that lesson
    MEMBER = "per-member"  # this member failed; the others go on


@dataclass(frozen=True, slots=True)
class Errno:
    code: int
    text: str
    cls: ErrClass


SUCCESS_TEXT = "程序正常执行"

_TABLE = [
    Errno(1, SUCCESS_TEXT, ErrClass.SUCCESS),
    Errno(100, "Incomplete or incorrect parameters.", ErrClass.FATAL_RUN),
    Errno(102, "No permission (Security verification failed.).", ErrClass.FATAL_RUN),
    Errno(104, "Operation failure (Unknown error).", ErrClass.TRANSIENT),
    Errno(106, "No data available.", ErrClass.MEMBER),
    Errno(113, "The mobile phone number has not been registered yet.", ErrClass.MEMBER),
    Errno(114, "Server exception.", ErrClass.TRANSIENT),
    Errno(125, "The student's mobile phone number is illegal.", ErrClass.MEMBER),
    Errno(129, "Course teachers cannot be set as students.", ErrClass.MEMBER),
    Errno(130, "Exceeds the number of accounts that can be added.", ErrClass.MEMBER),
    Errno(131, "Registration failed.", ErrClass.MEMBER),
    Errno(133, "The same uid appears more than once in the array.", ErrClass.FATAL_RUN),
    Errno(134, "Illegal mobile phone number.", ErrClass.MEMBER),
    Errno(135, "The mobile phone number has been registered.", ErrClass.MEMBER),
    Errno(137, "The password length is wrong (6-20 characters).", ErrClass.FATAL_RUN),
    Errno(142, "There is no information about the lesson in the course.", ErrClass.FATAL_LESSON),
    Errno(143, "There is no information about this lesson.", ErrClass.FATAL_LESSON),
    Errno(144, "There is no such course in your institution.", ErrClass.FATAL_COURSE),
    Errno(145, "The lesson is finished.", ErrClass.FATAL_LESSON),
    Errno(147, "There is no information about the course.", ErrClass.FATAL_COURSE),
    Errno(149, "The course has been deleted.", ErrClass.FATAL_COURSE),
    Errno(153, "The course is expired and cannot be edited.", ErrClass.FATAL_COURSE),
    Errno(155, "Student array data cannot be null.", ErrClass.FATAL_RUN),
    Errno(157, "The number of students in the lesson exceeds the limit.", ErrClass.MEMBER),
    Errno(158, "Failed to add students to the lesson.", ErrClass.MEMBER),
    Errno(159, "Only support to operate students.", ErrClass.FATAL_RUN),
    Errno(162, "There is no such student in the course.", ErrClass.MEMBER),
    Errno(163, "The course student already exists.", ErrClass.MEMBER),
    Errno(164, "The course auditing student already exists.", ErrClass.MEMBER),
    Errno(166, "The student already exists in the lesson.", ErrClass.MEMBER),
    Errno(167, "The student is not in the lesson.", ErrClass.MEMBER),
    Errno(171, "Failed to remove the student from the lesson.", ErrClass.MEMBER),
    Errno(174, "Teachers cannot be set as auditing students.", ErrClass.MEMBER),
    Errno(212, "The lesson has been deleted.", ErrClass.FATAL_LESSON),
    Errno(228, "There is no such student in your institution.", ErrClass.MEMBER),
    Errno(288, "The mobile phone number is illegal.", ErrClass.MEMBER),
    Errno(329, "The co-teachers in the lesson cannot be set as students in the same lesson.",
          ErrClass.MEMBER),
    Errno(332, "Course teachers or co-teachers cannot be set as course students or course "
               "auditing students.", ErrClass.MEMBER),
    Errno(333, "The course advisor cannot be set as a course student.", ErrClass.MEMBER),
    Errno(369, "Do not support to operate this type of courses and lessons (public course).",
          ErrClass.FATAL_COURSE),
    Errno(400, "The requested data is illegal.", ErrClass.FATAL_RUN),
    Errno(450, "More than 10 users in one request.", ErrClass.FATAL_RUN),
    Errno(461, "The email address has been registered.", ErrClass.MEMBER),
    Errno(464, "The course roster is being changed by a concurrent request.",
          ErrClass.TRANSIENT),
    Errno(466, "The lesson was created in the ClassIn LMS and cannot be edited via API. "
               "Please edit the lesson in the ClassIn LMS.", ErrClass.FATAL_LESSON),
    Errno(820, "Registered, but not made a student of the institution.", ErrClass.MEMBER),
    Errno(841, "Successfully added students to the course. Failed to synchronize class "
               "nicknames.", ErrClass.WARNING),
    Errno(886, "The student's account has been deleted by the user.", ErrClass.MEMBER),
    Errno(887, "The auditing student's account has been deleted by the user.", ErrClass.MEMBER),
    Errno(890, "Failed to set the group.", ErrClass.MEMBER),
    Errno(891, "Failed to delete the group.", ErrClass.MEMBER),
    Errno(892, "The group has already been created.", ErrClass.MEMBER),
    Errno(893, "Operation failed. The course group does not exist.", ErrClass.MEMBER),
    Errno(895, "The leader uid is wrong.", ErrClass.MEMBER),
    Errno(896, "None of the uids is a student of the institution.", ErrClass.MEMBER),
    Errno(897, "None of the uids is a student of the course.", ErrClass.MEMBER),
    Errno(898, "The group was saved, but some uids were wrong and left out.", ErrClass.WARNING),
    Errno(901, "The service is under maintenance.", ErrClass.TRANSIENT),
    Errno(101003002, "The same request was made within 5 seconds.", ErrClass.MEMBER),
]

ERRNOS: dict[int, Errno] = {e.code: e for e in _TABLE}

TRANSIENT = frozenset(e.code for e in _TABLE if e.cls is ErrClass.TRANSIENT)


def text(code: int) -> str:
    e = ERRNOS.get(code)
    return e.text if e else f"Unknown error {code}."


def meaning(code: int) -> str:
    return f"{code} ({text(code)})"


def classify(code: int, endpoint: Endpoint, identity: int | None = None) -> ErrClass:
    """The class of an errno for one member or request of `endpoint`.

    "Already there" counts as converged only when it means what the call
    wanted, as the endpoint describes it (`classin.api`): 163 for adding a
    student, 164 for adding an auditor, 166 for a lesson add; 162 / 167 / 893
    on the matching removals. A 164 when adding a *student* means "is an
    auditor": a per-member failure, not convergence.
    """
    if code == 1:
        return ErrClass.SUCCESS
    if endpoint.already(code, identity):
        return ErrClass.CONVERGED
    e = ERRNOS.get(code)
    if e is None:
        return ErrClass.MEMBER
    return e.cls
