"""The endpoint table: every action described once, and everything derived from it."""

import json

import pytest

from eeo_reconcile.classin import api
from eeo_reconcile.classin.api import Call
from eeo_reconcile.model import BatchSizes, Team
from eeo_reconcile.sandbox.engine import ACTIONS

SAMPLES = [
    Call(api.ADD_COURSE_STUDENT, 5, 1, uids=(7,)),
    Call(api.ADD_COURSE_STUDENT, 5, 2, uids=(7,), names=("Aud",)),
    Call(api.ADD_COURSE_STUDENT_MULTIPLE, 5, 1, uids=(7, 8)),
    Call(api.ADD_COURSE_STUDENT_MULTIPLE, 5, 2, uids=(7, 8), names=("A", "B")),
    Call(api.DEL_COURSE_STUDENT, 5, 2, uids=(7,)),
    Call(api.DEL_COURSE_STUDENT_MULTIPLE, 5, 1, uids=(7, 8)),
    Call(api.ADD_CLASS_STUDENT_MULTIPLE, 5, lesson=9, uids=(7, 8), labels=("x", "y"),
         customs=("c", None)),
    Call(api.DEL_CLASS_STUDENT_MULTIPLE, 5, lesson=9, uids=(7,)),
    Call(api.ADD_COURSE_GROUP, 5, group_name="G", teams=(Team(7, (8,)), Team(9))),
    Call(api.EDIT_COURSE_GROUP, 5, group_id=3, group_name="G", teams=(Team(7),)),
    Call(api.DEL_COURSE_GROUP, 5, group_id=3),
]


def test_every_endpoint_has_a_sample_and_the_sandbox_serves_exactly_them():
    assert {c.action for c in SAMPLES} == set(api.ENDPOINTS)
    from eeo_reconcile.classin import accounts

    assert set(ACTIONS) == {e.name for e in api.ENDPOINTS} | set(accounts.ACTIONS)
    assert len(api.BY_NAME) == len(api.ENDPOINTS)


@pytest.mark.parametrize("call", SAMPLES, ids=lambda c: f"{c.action.name}-{c.identity}")
def test_encode_decode_round_trip(call):
    as_json = json.loads(json.dumps(call.to_json()))
    assert Call.from_json(as_json) == call
    assert list(as_json["params"])[0] == "courseId"


def test_parameters_as_the_vendor_pages_name_them():
    p = Call(api.ADD_CLASS_STUDENT_MULTIPLE, 5, lesson=9, uids=(7,), labels=("x",),
             customs=("c",)).params()
    # the current vendor page: no name since 2020 ("passed, it is not used")
    assert p == {"courseId": 5, "classId": 9, "identity": 1,
                 "studentJson": [{"uid": "7", "customColumn": "c"}]}
    p = Call(api.ADD_COURSE_STUDENT, 5, 1, uids=(7,), names=("label",)).params()
    assert "studentName" not in p  # a student's name is only a label, never sent
    p = Call(api.EDIT_COURSE_GROUP, 5, group_id=3, group_name="G",
             teams=(Team(7, (8,)),)).params()
    assert p["groupList"] == [[{"studentUid": 7, "isLeader": 1},
                               {"studentUid": 8, "isLeader": 0}]]


def test_convergence_and_batch_sizes_come_from_the_table():
    assert api.ADD_COURSE_STUDENT_MULTIPLE.already(163, 1)
    assert not api.ADD_COURSE_STUDENT_MULTIPLE.already(164, 1)
    assert api.ADD_COURSE_STUDENT_MULTIPLE.already(164, 2)
    assert api.DEL_COURSE_GROUP.already(893, None)
    assert not api.EDIT_COURSE_GROUP.already(893, None)
    b = BatchSizes(students=11, auditors=12, removals=13, lesson_students=14)
    assert api.ADD_COURSE_STUDENT_MULTIPLE.batch_size(b, 1) == 11
    assert api.ADD_COURSE_STUDENT_MULTIPLE.batch_size(b, 2) == 12
    assert api.DEL_COURSE_STUDENT_MULTIPLE.batch_size(b, 2) == 13
    assert api.ADD_CLASS_STUDENT_MULTIPLE.batch_size(b, None) == 14
    assert not api.ADD_COURSE_GROUP.is_batch and api.DEL_CLASS_STUDENT_MULTIPLE.is_batch


def test_unknown_action():
    with pytest.raises(ValueError, match="unknown ClassIn action"):
        api.endpoint("getCourseStudents")
