"""Which errnos the sandbox answers, per endpoint, and when; and which it cannot.

`MODELLED[action]` lists (errno, the condition that produces it);
`NOT_MODELLED[action]` lists (errno, why it cannot arise in the sandbox).
`EVERY_ACTION` applies to all actions; `FAULT_ONLY` errnos come only from the
fault options (--fault-rate / --fault-errnos). A test checks that every
modelled (action, errno) has a scenario in `tests/cases/sandbox`.
"""

from __future__ import annotations

Entries = tuple[tuple[int, str], ...]

EVERY_ACTION: Entries = (
    (100, "unknown action; SID/timeStamp/safeKey or a required parameter missing or "
          "malformed (non-numeric id, identity not 1/2, an array item without uid)"),
    (102, "unknown SID, safeKey != md5(secret + timeStamp) in lowercase hex, timeStamp more "
          "than 20 minutes from the server clock"),
    (100, "a GET of the API path (answered as a request without parameters)"),
)

FAULT_ONLY = (104, 114, 464, 901, 841)  # 841: the change made, the answer a warning

_COURSE = (
    (144, "unknown course"), (149, "course deleted"), (153, "course expired"),
    (369, "public course"),
)
_MEMBER = (
    (886, "cancelled account (identity 1)"), (887, "cancelled account (identity 2)"),
    (129, "the course teacher as a student"), (174, "the course teacher as an auditor"),
    (332, "a co-teacher"), (333, "the head teacher"), (228, "not a student of the school"),
    (163, "already a course student"), (164, "already an auditor"),
    (130, "no seat left (identity 1, capacity); the course's auditor limit reached "
          "(identity 2; 20 unless the world raises it)"),
)
_LESSON = (
    (159, "identity other than 1 (none given: 1, the vendor's default)"),
    (155, "missing, empty or not JSON array, or sent as repeated form keys / key[]"),
    (100, "delClassStudentMultiple without identity (no default on its page)"),
    (144, "course unknown or deleted"), (369, "public course"),
    (145, "lesson finished (also every lesson of an expired course)"),
    (143, "unknown lesson"), (142, "lesson of another course"), (212, "lesson deleted"),
    (466, "lesson made in the client app"),
)
_GROUP_COURSE = (
    (144, "unknown course"), (149, "course deleted"), (153, "course expired"),
    (369, "public course (the group pages list no course errnos; ClassIn checks the "
          "course first everywhere)"),
)

MODELLED: dict[str, Entries] = {
    "addCourseStudent": _COURSE + _MEMBER,
    "addCourseStudentMultiple": (
        (155, "missing, empty or not JSON studentJson, or sent as repeated form keys / "
              "key[]"),
        (133, "the same uid twice (the whole request is refused)"),
        (130, "more than 20 auditors in one call (the whole request is refused)"),
    ) + _COURSE + _MEMBER,
    "delCourseStudent": _COURSE + ((162, "not a student (identity 1) / not an auditor (2)"),),
    "delCourseStudentMultiple": (
        (155, "missing, empty or not JSON studentUidJson, or sent as repeated form keys / "
              "key[]"),
        (144, "unknown course"),
        (147, "course deleted (this page lists 147, not 149)"), (153, "course expired"),
        (369, "public course"), (162, "per item: not a member with that identity"),
    ),
    "addClassStudentMultiple": _LESSON + (
        (886, "per item: cancelled"), (129, "per item: course teacher"),
        (332, "per item: co-teacher"), (333, "per item: head teacher"),
        (329, "per item: the lesson's co-teacher"), (228, "per item: not a school student"),
        (164, "per item: a course auditor"),
        (166, "per item: already in the lesson (a transfer student, or a course student, "
              "who attends every lesson)"),
        (157, "per item: lesson full (seats count course and transfer students)"),
    ),
    "delClassStudentMultiple": _LESSON + (
        (1, "per item: a transfer student removed, or a course student taken out of this "
            "lesson only (调出生)"),
        (167, "per item: neither a transfer student nor a course student still in the "
              "lesson"),
    ),
    "addCourseGroup": (
        (100, "missing, empty or not JSON groupList (the grouping pages list no 155)"),
        (892, "a grouping with that name exists"),
        (895, "a team without exactly one leader, or a leader who is not a course student"),
        (890, "a uid twice in the grouping"), (896, "none of the uids is a school student"),
        (897, "none is a student of the course"),
        (898, "saved without the uids that are not course students (data = the new id)"),
    ) + _GROUP_COURSE,
    "editCourseGroup": (
        (893, "no such grouping in the course"),
        (890, "any invalid team: leader missing or twice, a uid twice, a uid that is not a "
              "course student, a name used by another grouping of the course"),
    ) + _GROUP_COURSE,
    "delCourseGroup": ((893, "no such grouping"),) + _GROUP_COURSE,
}

_ONCE = ((101003002, "the same parameters (the signature aside) again within 5 seconds"),)

MODELLED.update({
    "register": (
        (100, "neither or both of telephone and email; an email that is not one"),
        (134, "a telephone that is not 11 digits starting with 1 nor 00<cc>-<number>"),
        (288, "a mainland number of the virtual operators' ranges (170, 171)"),
        (137, "password not 6-20 characters, or md5pass not 32 lowercase hex"),
        (135, "the telephone was registered: data = its uid (addToSchoolMember applies)"),
        (461, "the email was registered: data = its uid"),
        (820, "addToSchoolMember=1 for an account that is a teacher of the school"),
    ) + _ONCE,
    "registerMultiple": (
        (155, "missing, empty or not JSON userJson"), (450, "more than 10 users"),
        (1, "per item: registered (data = the new uid)"),
        (135, "per item: the telephone was registered (data = its uid)"),
        (134, "per item: a bad telephone"),
    ) + _ONCE,
    "addSchoolStudent": (
        (100, "no studentName"), (134, "not a telephone nor an email"),
        (288, "virtual operators' ranges"), (113, "the account is not registered"),
        (886, "a cancelled account"), (133, "already a student of the school"),
    ) + _ONCE,
    "editSchoolStudent": (
        (100, "no studentName, or a studentUid that is not an id"),
        (228, "not a student of the school"),
    ),
})

NOT_MODELLED: dict[str, Entries] = {
    "addCourseStudent": (
        (113, "phone-number accounts are not modelled: uids only"), (134, "the same"),
        (147, "the course-info lookup 147 is used by the endpoints whose pages do not list 149"),
        (841, "nickname sync cannot fail here; --fault-errnos 841 answers it, the member "
              "added"),
        (155, "no array parameter"),
    ),
    "addCourseStudentMultiple": (
        (131, "registration is not modelled"),
        (400, "the pages' 'illegal request': an array that is not JSON is answered 155 "
              "(100 for groupList), as the facts page says"),
    ),
    "delCourseStudent": ((106, "no separate 'no data' condition"), (147, "see addCourseStudent")),
    "delCourseStudentMultiple": (
        (134, "studentJson with phone numbers is deprecated and not modelled"),
    ),
    "addClassStudentMultiple": (
        (113, "phone accounts"), (125, "phone accounts"), (131, "registration"),
        (288, "phone accounts"), (158, "no other add failure"),
    ),
    "delClassStudentMultiple": ((171, "removal cannot fail otherwise"),),
    "addCourseGroup": (),
    "editCourseGroup": (),
    "delCourseGroup": ((891, "deleting cannot fail otherwise"),),
    "register": (
        (131, "registration cannot fail otherwise"), (224, "no avatar (Filedata) is sent"),
        (340, "no avatar"), (341, "no avatar"), (342, "no avatar"),
        (821, "addToSchoolMember=2 (teacher) is never sent"), (845, "undocumented condition"),
    ),
    "registerMultiple": ((131, "as register"),),
    "addSchoolStudent": ((128, "the school's own accounts are not modelled"),),
    "editSchoolStudent": (),
}
