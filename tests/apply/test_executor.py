"""The executor's error paths, driven by a scripted ClassIn (no network): a call
that never gets an answer, a request ClassIn calls malformed, a batch answer of
the wrong length, a lesson failure, and a store that stops accepting results."""

import threading

import pytest

from eeo_reconcile.apply import apply_plan
from eeo_reconcile.classin.client import ApiResult, TransportError
from eeo_reconcile.config.load import load_config
from eeo_reconcile.errors import StateError
from eeo_reconcile.model import StateRef
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.state.driver import DriverJournal
from eeo_reconcile.state.local import LocalStore
from tests.helpers import write_tree

CONFIG = """
school: {sid: 1}
courses:
  - id: 5
    students: [1, 2]
    auditors: [{uid: 3, name: A}]
    lessons:
      - {id: 70, students: [{uid: 8, name: x}]}
      - {id: 71, students: [{uid: 9, name: y}]}
"""


class Scripted:
    """A stand-in for ClassInClient: `answer(action, params)` gives each result."""

    sid = 1

    def __init__(self, answer):
        self.answer = answer
        self.sent = []
        self.lock = threading.Lock()

    def call(self, action, params, **_):
        with self.lock:
            self.sent.append(action)
        return self.answer(action, params)


def ok(action, params):
    n = len(params.get("studentJson") or params.get("studentUidJson") or [])
    data = [{"errno": 1, "error": ""}] * n if action.endswith("Multiple") else None
    return ApiResult(1, "", data, 1)


def run(tmp_path, answer, parallelism=1):
    write_tree(str(tmp_path / "cfg"), {"r.yaml": CONFIG})
    config = load_config(str(tmp_path / "cfg"))
    store = LocalStore(StateRef.of("local", path=str(tmp_path / "s.json")))
    client = Scripted(answer)
    seen = []
    with store.lock("apply"):
        state = store.read()
        plan = make_plan(config, state)
        result = apply_plan(plan, store, state, client, parallelism,
                            progress=lambda done, total, m, mt: seen.append((done, total, m, mt)))
    with store.lock("plan"):
        after = store.read()
    return plan, result, client, after, seen


def test_everything_ok_and_progress_reaches_the_total(tmp_path):
    plan, result, client, after, seen = run(tmp_path, ok)
    assert result.ok and result.calls_sent == len(plan.calls) == 4
    assert seen[-1] == (4, 4, 5, 5)  # calls; members: 2 students, 1 auditor, 2 lesson
    assert after.courses[5].students == {1, 2}


def test_a_lost_answer_ends_that_course_and_keeps_what_was_confirmed(tmp_path):
    def answer(action, params):
        if action == "addCourseStudent":  # the auditor, the second call
            raise TransportError("no answer from ClassIn for addCourseStudent", 6)
        return ok(action, params)

    plan, result, client, after, _ = run(tmp_path, answer)
    assert result.stopped is None  # one lost answer is not "ClassIn is down"
    assert client.sent == ["addCourseStudentMultiple", "addCourseStudent"]
    assert [(s.scope, s.errno, s.calls) for s in result.skipped] == [("course/5", -3, 2)]
    assert result.requests == 1 + 6
    assert [(f.address, f.errno) for f in result.failures] == [("course/5/auditor/3", None)]
    assert after.courses[5].students == {1, 2}  # the first call was recorded
    assert not after.courses[5].auditors


TWO = CONFIG + """
  - id: 6
    students: [11, 12]
  - id: 7
    students: [21, 22]
"""


def test_a_lost_answer_in_one_course_lets_the_other_courses_go_on(tmp_path):
    def answer(action, params):
        if params.get("courseId") == 5:
            raise TransportError("no answer", 1)
        return ok(action, params)

    write_tree(str(tmp_path / "cfg"), {"r.yaml": TWO})
    _, result, client, after, _ = _run_config(tmp_path, answer)
    assert result.stopped is None
    assert after.courses[6].students == {11, 12} and after.courses[7].students == {21, 22}
    assert [s.scope for s in result.skipped] == ["course/5"]


def test_calls_that_cannot_connect_in_a_row_stop_the_run_saying_why(tmp_path):
    def answer(action, params):
        raise TransportError("connection refused", 1, sent=False)

    write_tree(str(tmp_path / "cfg"), {"r.yaml": TWO})
    _, result, client, after, _ = _run_config(tmp_path, answer)
    assert result.stopped and "could not be reached: 3 calls in a row" in result.stopped
    assert len(client.sent) == 3  # then nothing more is tried


def _run_config(tmp_path, answer):
    config = load_config(str(tmp_path / "cfg"))
    store = LocalStore(StateRef.of("local", path=str(tmp_path / "s.json")))
    client = Scripted(answer)
    with store.lock("apply"):
        state = store.read()
        plan = make_plan(config, state)
        result = apply_plan(plan, store, state, client, 1)
    with store.lock("plan"):
        after = store.read()
    return plan, result, client, after, None


def test_malformed_request_stops_the_run_and_names_the_call(tmp_path):
    def answer(action, params):
        return ApiResult(400, "illegal", None, 1)

    _, result, client, after, _ = run(tmp_path, answer)
    assert "malformed" in result.stopped and "addCourseStudentMultiple" in result.stopped
    assert "for course 5" in result.stopped  # not the params: they hold names
    assert "safeKey" not in result.stopped and "SID" not in result.stopped
    assert client.sent == ["addCourseStudentMultiple"]
    assert after.courses == {}


def test_batch_answer_of_the_wrong_length_records_nothing_of_it(tmp_path):
    def answer(action, params):
        if action == "addCourseStudentMultiple":
            return ApiResult(1, "", [{"errno": 1}], 1)  # one item for two members
        return ok(action, params)

    _, result, _, after, _ = run(tmp_path, answer)
    assert "answered 1 items" in result.stopped
    assert 5 not in after.courses


def test_lesson_failure_skips_only_that_lesson(tmp_path):
    def answer(action, params):
        if action == "addClassStudentMultiple" and params["classId"] == 70:
            return ApiResult(145, "finished", None, 1)
        return ok(action, params)

    _, result, client, after, _ = run(tmp_path, answer)
    assert result.stopped is None and not result.ok
    assert [f.errno for f in result.failures] == [145]
    assert after.courses[5].lessons.keys() == {71}
    assert client.sent.count("addClassStudentMultiple") == 2


def test_store_refusing_a_result_stops_the_run_once(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = DriverJournal._flush

    def flaky(self, batch):
        calls["n"] += 1
        if calls["n"] == 2:
            raise StateError("disk full")
        return real(self, batch)

    monkeypatch.setattr(DriverJournal, "_flush", flaky)
    _, result, client, after, _ = run(tmp_path, ok)
    assert "could not be recorded (disk full)" in result.stopped
    assert "Then the state could not be saved" not in result.stopped
    assert len(client.sent) == 2 and result.not_sent == 2
    assert after.courses[5].students == {1, 2}
    assert not after.courses[5].auditors  # sent, but not confirmed durably: not recorded
    # the summary never says the opposite ("everything ClassIn confirmed is recorded")
    from eeo_reconcile.cli.view import summary_text
    from eeo_reconcile.privacy import PLAIN

    assert result.unrecorded
    text = summary_text(result, PLAIN)
    assert "Not everything ClassIn confirmed could be recorded" in text
    assert "Everything ClassIn confirmed is recorded" not in text


def test_plan_for_another_school_is_refused(tmp_path):
    from eeo_reconcile.errors import ApiError

    client = Scripted(ok)
    client.sid = 2
    write_tree(str(tmp_path / "cfg"), {"r.yaml": CONFIG})
    config = load_config(str(tmp_path / "cfg"))
    store = LocalStore(StateRef.of("local", path=str(tmp_path / "s.json")))
    with store.lock("apply"), pytest.raises(ApiError, match="school 1"):
        state = store.read()
        apply_plan(make_plan(config, state), store, state, client)


def test_items_that_do_not_echo_what_was_sent_are_never_recorded(tmp_path):
    def answer(action, params):
        if action == "addClassStudentMultiple":
            items = params["studentJson"]
            data = [{"errno": 1, "error": "", "customColumn": "other"} for _ in items]
            return ApiResult(1, "", data, 1)
        return ok(action, params)

    global CONFIG
    saved = CONFIG
    CONFIG = CONFIG.replace("{uid: 8, name: x}", "{uid: 8, name: x, custom: c8}")
    try:
        plan, result, client, after, _ = run(tmp_path, answer)
    finally:
        CONFIG = saved
    assert not result.ok
    assert any("do not echo what was sent" in f.meaning for f in result.failures)
    assert any(s.scope == "course/5" for s in result.skipped)
    assert 70 not in after.courses.get(5).lessons  # nothing recorded against a member


def test_a_course_level_failure_is_reported_once_with_its_member_count(tmp_path):
    def answer(action, params):
        return ApiResult(144, "course over", None, 1)  # the course has ended

    plan, result, client, after, _ = run(tmp_path, answer)
    assert len(result.failures) == 1
    f = result.failures[0]
    assert f.address == "course/5" and f.members == 2 and "(2 members)" in str(f)
    assert result.skipped[0].calls == 3 and client.sent == ["addCourseStudentMultiple"]


def test_a_plan_without_calls_records_names_and_forgets_courses(tmp_path):
    from eeo_reconcile.state.ops import OpKind, StateOp

    write_tree(str(tmp_path / "cfg"), {"r.yaml": "school: {sid: 1}\ncourses:\n  - id: 5\n"
                                                 "    name: Named now\n    students: [1]\n"
                                                 "retired_courses: [{id: 6, action: forget}]\n"})
    config = load_config(str(tmp_path / "cfg"))
    store = LocalStore(StateRef.of("local", path=str(tmp_path / "s.json")))
    with store.lock("apply"):
        st = store.read()
        st.apply(StateOp(OpKind.ADD_STUDENTS, 5, uids=(1,)))
        st.apply(StateOp(OpKind.ADD_STUDENTS, 6, uids=(1, 2)))
        store.write(st)
        st = store.read()
        plan = make_plan(config, st)
        assert not plan.calls and plan.summary().forget == 1 and plan.summary().labels == 1
        client = Scripted(ok)
        result = apply_plan(plan, store, st, client)
    assert result.ok and result.labels == 1 and result.forgotten == 1 and not client.sent
    with store.lock("plan"):
        after = store.read()
    assert 6 not in after.courses and after.courses[5].name == "Named now"
    assert make_plan(config, after).empty


GROUPED = """
school: {sid: 1, retry: {backoff_seconds: 0.001}}
courses:
  - id: 5
    students: [1, 2]
    groups:
      - name: G
        teams: [{leader: 1, members: [2]}]
"""


def _grouping(tmp_path, answers):
    """Apply GROUPED with the create answered by `answers` in turn (an ApiResult,
    or an exception to raise)."""
    script = list(answers)

    def answer(action, params):
        if action != "addCourseGroup":
            return ok(action, params)
        a = script.pop(0)
        if isinstance(a, Exception):
            raise a
        return a

    write_tree(str(tmp_path / "cfg"), {"r.yaml": GROUPED})
    _, result, client, after, _ = _run_config(tmp_path, answer)
    return result, client, after


def test_a_grouping_create_answered_104_or_114_is_sent_again_and_created(tmp_path):
    result, client, after = _grouping(tmp_path, [ApiResult(114, "busy", None, 1),
                                                 ApiResult(104, "busy", None, 1),
                                                 ApiResult(1, "", 4321, 1)])
    assert client.sent.count("addCourseGroup") == 3
    assert after.courses[5].groups["G"].id == 4321 and not after.courses[5].unconfirmed
    assert result.ok


def test_a_lost_create_answer_retried_into_892_is_probably_created(tmp_path):
    from eeo_reconcile.state.records import Unconfirmed

    result, client, after = _grouping(tmp_path, [TransportError("no answer", 1),
                                                 ApiResult(892, "exists", None, 1)])
    assert client.sent.count("addCourseGroup") == 2
    assert after.courses[5].unconfirmed["G"].reason is Unconfirmed.ALREADY_CREATED


def test_a_create_is_sent_at_most_three_times(tmp_path):
    result, client, after = _grouping(tmp_path, [ApiResult(114, "busy", None, 1)] * 3)
    assert client.sent.count("addCourseGroup") == 3
    assert "G" in after.courses[5].unconfirmed  # still unknown: a person decides
