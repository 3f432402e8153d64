"""The saved plan's runs: consecutive member changes as one object, expanded
back into exactly the same changes in the same order."""

import json

import pytest

from eeo_reconcile.model import Role, Team
from eeo_reconcile.plan import runs
from eeo_reconcile.plan.changes import (
    Action,
    CourseChange,
    GroupChange,
    LessonChange,
    MemberChange,
    Reason,
)
from eeo_reconcile.plan.encode import canonical
from eeo_reconcile.schemas import validator

ADD, REMOVE = Action.ADD, Action.REMOVE


def _items(changes):
    return [json.loads(t) for t in runs.run_texts(changes)]


def _round_trip(changes):
    items = _items(changes)
    for text, item in zip(runs.run_texts(changes), items, strict=True):
        assert text == canonical(item)  # each item is canonical text
    errors = list(validator("plan-file.schema.json").iter_errors(
        {"changes": items, "created": "x", "format": "eeo-reconcile-plan", "notice": "",
         "plan": {}, "version": 3}))
    assert errors == []
    assert runs.changes_from_runs(items) == tuple(changes)
    return items


def test_runs_group_consecutive_members_and_keep_the_order():
    changes = [
        MemberChange(REMOVE, 7, Role.STUDENT, 5, reason=Reason.SWITCH, first=True),
        MemberChange(REMOVE, 7, Role.STUDENT, 6, reason=Reason.SWITCH),  # not first: a run
        MemberChange(ADD, 7, Role.AUDITOR, 5, "Ann"),
        MemberChange(ADD, 7, Role.STUDENT, 1),
        MemberChange(ADD, 7, Role.STUDENT, 2, "label two"),
        MemberChange(ADD, 7, Role.STUDENT, 3),
        LessonChange(ADD, 7, 70, 8, "Bo", "C-1"),
        LessonChange(ADD, 7, 70, 9, "Cy"),
        LessonChange(ADD, 7, 71, 9, "Cy"),
        MemberChange(REMOVE, 7, Role.STUDENT, 4),
        GroupChange(ADD, 7, "Teams", teams=(Team(1, (2, 3)),)),
        MemberChange(ADD, 8, Role.STUDENT, 1),  # another course: another run
        CourseChange(REMOVE, 9, "Old"),
    ]
    items = _round_trip(changes)
    assert [i.get("uids", i.get("address")) for i in items] == [
        [5], [6], [5], [1, 2, 3], [8, 9], [9], [4], "course/7/group/Teams", [1], "course/9"]
    assert items[3]["names"] == [None, "label two", None]
    assert "names" not in items[6]  # all null: left out
    assert items[4] == {"action": "add", "course": 7, "lesson": 70, "type": "lesson-student",
                        "uids": [8, 9], "names": ["Bo", "Cy"], "customs": ["C-1", None]}
    assert items[0]["reason"] == "switch" and items[0]["first"] is True
    assert "first" not in items[1]


def test_a_course_larger_than_a_run_is_split_and_comes_back_whole():
    members = [MemberChange(ADD, 7, Role.STUDENT, u) for u in range(1, 2 * runs.MAX_RUN + 2)]
    items = _round_trip(members)
    assert [len(i["uids"]) for i in items] == [runs.MAX_RUN, runs.MAX_RUN, 1]


def test_parallel_arrays_of_another_length_are_refused():
    item = {"action": "add", "course": 7, "type": "auditor", "uids": [1, 2], "names": ["A"]}
    with pytest.raises(ValueError, match="names and uids differ"):
        runs.changes_from_runs([item])
    lesson = {"action": "add", "course": 7, "lesson": 1, "type": "lesson-student",
              "uids": [1], "customs": ["x", "y"]}
    with pytest.raises(ValueError, match="customs and uids differ"):
        runs.changes_from_runs([lesson])


@pytest.mark.parametrize("bad", [
    {"action": "add", "course": 7, "type": "student", "uids": []},
    {"action": "add", "course": 7, "type": "student", "uids": [0]},
    {"action": "add", "course": 7, "type": "student", "uids": ["12"]},
    {"action": "change", "course": 7, "type": "student", "uids": [1]},
    {"action": "add", "course": 7, "type": "teacher", "uids": [1]},
    {"action": "add", "course": 7, "type": "student", "uids": [1], "extra": 1},
    {"action": "add", "course": 7, "type": "lesson-student", "uids": [1]},
    {"action": "add", "course": 7, "type": "student", "uids": [1], "names": [3]},
    {"action": "add", "course": 7, "type": "student", "uids": [1], "reason": "because"},
    {"type": "student", "address": "course/7/student/1"},
])
def test_the_schema_refuses_malformed_runs(bad):
    doc = {"changes": [bad], "created": "x", "format": "eeo-reconcile-plan", "notice": "",
           "plan": {}, "version": 3}
    assert not validator("plan-file.schema.json").is_valid(doc)
