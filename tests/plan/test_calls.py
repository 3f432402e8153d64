"""plan/calls.py: dispatch over every kind, and the single twin of a batch endpoint."""

import dataclasses

import pytest

from eeo_reconcile.apply.record import member_op
from eeo_reconcile.classin import api
from eeo_reconcile.classin.api import Call
from eeo_reconcile.classin.params import AUDITOR, STUDENT
from eeo_reconcile.model import BatchSizes, Role
from eeo_reconcile.plan import calls
from eeo_reconcile.plan.changes import (
    Action,
    CourseChange,
    GroupChange,
    LessonChange,
    MemberChange,
)
from eeo_reconcile.state.ops import OpKind
from tests.helpers import minimum_calls

BATCH = BatchSizes()


def _twin_of(ep, identity=None, lesson=None):
    """The call `_chunked` makes for one member of `ep`, carrying a name and a custom."""
    out = []
    calls._chunked(out, ep, BATCH, 7, [42], ["Ann"], ["c-1"], identity=identity, lesson=lesson,
                   labels=["Label"])
    assert len(out) == 1
    assert out[0].labels == ("Label",)  # recorded with the member, never sent
    return out[0]


def _batch_of(ep, identity=None, lesson=None):
    return Call(ep, 7, identity, lesson, (42,), ("Ann",), ("c-1",))


BATCHES = [(ep, ident) for ep in api.ENDPOINTS if ep.is_batch
           for ident in ((STUDENT, AUDITOR) if ep.subject is api.Subject.MEMBER else (None,))]


@pytest.mark.parametrize("ep,identity", BATCHES, ids=lambda v: getattr(v, "name", str(v)))
def test_every_single_twin_round_trips_every_parameter_the_batch_sends(ep, identity):
    """A batch of one and its single twin send the same member: what the batch's
    parameters carry (decoded back from what is sent) the twin's carry too."""
    lesson = 5 if ep.subject is api.Subject.LESSON_STUDENT else None
    one = _twin_of(ep, identity, lesson)
    sent_batch = ep.decode(_batch_of(ep, identity, lesson).params())
    sent_one = one.action.decode(one.params())
    for f in ("course", "identity", "lesson", "uids", "names", "customs"):
        assert getattr(sent_one, f) == getattr(sent_batch, f), (ep.name, f)
    if ep.single is not None:
        assert one.action is ep.single


def test_a_single_twin_of_a_lesson_add_keeps_the_custom_column():
    """A lesson add whose endpoint gains a single twin carries the custom column
    there too, and recording the confirmed add does not fail."""
    multi = api.ADD_CLASS_STUDENT_MULTIPLE
    with_twin = dataclasses.replace(multi, single=multi)
    one = _twin_of(with_twin, lesson=5)
    assert one.customs == ("c-1",) and one.names == ("Ann",)
    op = member_op(one, [0])
    assert op is not None and op.kind is OpKind.ADD_LESSON_STUDENTS
    assert op.customs == ("c-1",)


@pytest.mark.parametrize("change", [
    MemberChange(Action.CHANGE, 7, Role.STUDENT, 42),
    LessonChange(Action.CHANGE, 7, 5, 42, "Ann"),
], ids=["member", "lesson-student"])
def test_a_member_change_in_place_is_refused_not_sent_as_a_removal(change):
    for f in (lambda: calls.calls_for_course(7, [change], BATCH),
              lambda: calls.apply_order([change]),
              lambda: minimum_calls([change], BATCH)):
        with pytest.raises(ValueError, match="cannot be changed in place"):
            f()


def test_every_change_kind_has_its_place_in_the_order_and_its_calls():
    changes = [
        GroupChange(Action.ADD, 7, "g", teams=()),
        CourseChange(Action.REMOVE, 7),
        LessonChange(Action.REMOVE, 7, 5, 43),
        MemberChange(Action.REMOVE, 7, Role.AUDITOR, 44),
        LessonChange(Action.ADD, 7, 5, 45, "B", "x"),
        MemberChange(Action.ADD, 7, Role.STUDENT, 46),
        GroupChange(Action.REMOVE, 7, "h", group_id=9),
    ]
    order = calls.apply_order(changes)
    kinds = [(type(c).__name__, c.action.value) for c in order]
    assert kinds == [
        ("MemberChange", "add"), ("LessonChange", "add"), ("MemberChange", "remove"),
        ("LessonChange", "remove"), ("GroupChange", "remove"), ("GroupChange", "add"),
        ("CourseChange", "remove"),
    ]
    made = calls.calls_for_course(7, changes, BATCH)
    assert [c.action.name for c in made] == [
        "addCourseStudent", "addClassStudentMultiple", "delCourseStudent",
        "delClassStudentMultiple", "delCourseGroup", "addCourseGroup",
    ]
    assert len(made) == minimum_calls(changes, BATCH)


def test_the_order_comes_from_first_never_from_the_reason():
    from eeo_reconcile.plan.changes import Reason

    switch_not_first = MemberChange(Action.REMOVE, 7, Role.STUDENT, 1, reason=Reason.SWITCH)
    first_no_reason = MemberChange(Action.REMOVE, 7, Role.AUDITOR, 2, "A", first=True)
    add = MemberChange(Action.ADD, 7, Role.STUDENT, 3)
    order = calls.apply_order([switch_not_first, first_no_reason, add])
    assert order == [first_no_reason, add, switch_not_first]
    made = calls.calls_for_course(7, [switch_not_first, first_no_reason, add], BATCH)
    assert [(c.action.name, c.hold) for c in made] == [
        ("delCourseStudent", False), ("addCourseStudent", False), ("delCourseStudent", True)]


def test_the_planner_marks_switches_replacements_and_moves_first(tmp_path):
    from eeo_reconcile.plan.diff import diff_course
    from eeo_reconcile.state.records import CourseRecord
    from tests.helpers import write_tree

    write_tree(str(tmp_path), {"r.yaml": """
        school: {sid: 1}
        courses:
          - id: 7
            students: [1, 5]
            auditors: [{uid: 2, name: Two}]
            lessons: [{id: 70, students: [{uid: 3, name: Three}]}]
    """})
    from eeo_reconcile.config.load import load_config

    spec = load_config(str(tmp_path)).courses[7]
    have = CourseRecord()
    have.students.update({2, 3, 4, 5})  # 2 becomes an auditor, 3 a lesson student
    have.auditors.update({1: "One"})  # 1 becomes a student
    changes, _ = diff_course(7, spec, have)
    firsts = {(c.role.value, c.uid) for c in changes
              if type(c) is MemberChange and c.first}
    assert firsts == {("student", 2), ("student", 3), ("auditor", 1)}
    plain = [c for c in changes if type(c) is MemberChange and c.uid == 4]
    assert plain and not plain[0].first  # an ordinary removal keeps its place
    again = [type(c).from_json(c.to_json()) for c in changes]
    assert again == changes
