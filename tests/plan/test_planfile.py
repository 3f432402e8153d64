import json

import pytest

from eeo_reconcile.config.load import load_config
from eeo_reconcile.errors import PlanFileError
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.plan.planfile import (
    check_fresh,
    load_plan_file,
    plan_file_bytes,
    save_plan,
)
from eeo_reconcile.state.model import State
from tests.conftest import EXAMPLES


def _plan():
    return make_plan(load_config(EXAMPLES), State(lineage="abc", serial=4, sid=2339736),
                     targets=["course/442447"])


def test_round_trip_is_exact(tmp_path):
    plan = _plan()
    path = str(tmp_path / "p.plan")
    save_plan(plan, path, created="2026-11-24T00:00:00+00:00")
    loaded, created = load_plan_file(path)
    assert loaded == plan
    assert created == "2026-11-24T00:00:00+00:00"
    with open(path, "rb") as fh:
        assert fh.read() == plan_file_bytes(loaded, created)


def test_altered_plan_is_refused(tmp_path):
    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    doc = json.loads(raw)
    doc["plan"]["calls"][0]["params"]["courseId"] = 999
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    with pytest.raises(PlanFileError, match="altered"):
        load_plan_file(path)


def test_stale_plan_is_refused():
    plan = _plan()
    check_fresh(plan, State(lineage="abc", serial=4))
    with pytest.raises(PlanFileError, match="saved plan is stale: run plan again"):
        check_fresh(plan, State(lineage="abc", serial=5))
    with pytest.raises(PlanFileError, match="stale"):
        check_fresh(plan, State(lineage="other", serial=4))


def test_not_a_plan(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(PlanFileError, match="not an eeo-reconcile saved plan"):
        load_plan_file(str(p))


def _rewrite(path, edit):
    """Edit a saved plan's body and recompute its checksum, as an attacker would."""
    import hashlib

    from eeo_reconcile.plan.encode import canonical

    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    doc.pop("checksum")
    signature = doc.pop("signature", None)
    edit(doc)
    body = canonical(doc).encode()
    doc["checksum"] = "sha256:" + hashlib.sha256(body).hexdigest()
    if signature:
        doc["signature"] = signature
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)


def test_calls_that_are_not_the_changes_are_refused_even_with_a_new_checksum(tmp_path):
    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)

    def remove_someone_else(doc):
        doc["plan"]["calls"][0] = {"action": "delCourseStudent", "params": {
            "courseId": 442447, "identity": 1, "studentUid": 3}}

    _rewrite(path, remove_someone_else)
    with pytest.raises(PlanFileError, match="not the ones its changes make"):
        load_plan_file(path)


def test_a_signed_plan_edited_consistently_is_refused_by_the_signature(tmp_path):
    from eeo_reconcile.plan.planfile import load_saved_plan

    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path, secret="the-school-secret")
    saved = load_saved_plan(path)
    saved.verify("the-school-secret")
    with pytest.raises(PlanFileError, match="not with this school's secret"):
        saved.verify("another-secret")

    def drop_first_change(doc):  # changes and calls stay consistent
        first = doc["plan"]["changes"].pop(0)
        assert first["action"] == "add"
        doc["plan"]["calls"][0]["params"]["studentJson"] = \
            doc["plan"]["calls"][0]["params"]["studentJson"][1:]

    _rewrite(path, drop_first_change)
    edited = load_saved_plan(path)  # consistent, checksum fine ...
    with pytest.raises(PlanFileError, match="not with this school's secret"):
        edited.verify("the-school-secret")  # ... but not signed by the school


def test_a_plan_without_school_settings_but_with_calls_is_refused(tmp_path):
    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)
    _rewrite(path, lambda doc: doc["plan"].update(school=None))
    with pytest.raises(PlanFileError, match="no school settings"):
        load_plan_file(path)


def test_malformed_bodies_are_plan_errors_not_tracebacks(tmp_path):
    path = str(tmp_path / "p.plan")
    for edit in (lambda d: d["plan"].update(changes="x"),
                 lambda d: d["plan"].update(sid="abc"),
                 lambda d: d["plan"]["changes"][0].update(type="teacher"),
                 lambda d: d["plan"].update(format_version=99),
                 lambda d: d.update(plan=[1, 2])):
        save_plan(_plan(), path)
        _rewrite(path, edit)
        with pytest.raises(PlanFileError):
            load_plan_file(path)


def test_an_indented_plan_is_recognised_as_a_plan(tmp_path):
    from eeo_reconcile.plan.planfile import looks_like_plan_file

    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=4, ensure_ascii=False)
    assert looks_like_plan_file(path)
    assert load_plan_file(path)[0] == _plan()
    yaml_like = tmp_path / "roster.conf"
    yaml_like.write_text("{school: {sid: 1}}\n")
    assert not looks_like_plan_file(str(yaml_like))


def test_a_saved_plan_keeps_the_salt_the_hold_marks_and_says_it_is_unredacted(tmp_path):
    from eeo_reconcile.plan.planfile import load_saved_plan
    from eeo_reconcile.state.records import CourseRecord

    st = State(lineage="abc", serial=4, sid=2339736, salt="s" * 32)
    rec = CourseRecord()
    rec.students = {1, 2, 3}
    st.courses[442447] = rec
    plan = make_plan(load_config(EXAMPLES), st, targets=["course/442447"])
    assert any(c.hold for c in plan.calls)  # 1, 2, 3 are removed after the adds
    path = str(tmp_path / "p.plan")
    save_plan(plan, path)
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    assert "unredacted" in raw and "s" * 32 in raw
    loaded = load_saved_plan(path).plan
    assert loaded.salt == "s" * 32
    assert [c.hold for c in loaded.calls] == [c.hold for c in plan.calls]


def test_a_redacted_plan_output_cannot_be_applied(tmp_path):
    import hashlib

    from eeo_reconcile.model import Redact
    from eeo_reconcile.plan.encode import canonical
    from eeo_reconcile.plan.planfile import PLAN_FILE_FORMAT, load_saved_plan
    from eeo_reconcile.plan.render import View, render_json
    from eeo_reconcile.privacy import Redactor

    path = str(tmp_path / "p.plan")
    body = {"format": PLAN_FILE_FORMAT, "created": "x",
            "plan": json.loads(render_json(_plan(), View(Redactor(Redact.NAMES))))}
    body["checksum"] = "sha256:" + hashlib.sha256(canonical(body).encode()).hexdigest()
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(body, fh)
    with pytest.raises(PlanFileError) as info:
        load_saved_plan(path)
    assert "holds a redacted plan" in str(info.value)


def _rewrite_raw(path, old: bytes, new: bytes):
    """Edit a saved plan's bytes where they stand and recompute the checksum over
    the body as written, as an attacker keeping the file's layout would."""
    import hashlib

    with open(path, "rb") as fh:
        raw = fh.read()
    cut = raw.rfind(b',"checksum":')
    body = raw[:cut].replace(old, new, 1)
    assert body != raw[:cut]
    checksum = "sha256:" + hashlib.sha256(body + b"}").hexdigest()
    with open(path, "wb") as fh:
        fh.write(body + b',"checksum":' + json.dumps(checksum).encode() + b"}\n")


@pytest.mark.parametrize("old, new, message", [
    # the calls of a file laid out as written are compared as text, unparsed
    (b'"calls":[{"action":"add', b'"calls":[{"action":"del', "not the ones its changes make"),
    (b'"calls":[{"action":', b'"calls":[{"action"::', "not a saved plan|malformed"),
    (b'"calls":[{"action":', b'"calls":[{"extra":1,"action":', "malformed|not the ones"),
])
def test_calls_edited_in_place_are_refused(tmp_path, old, new, message):
    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)
    _rewrite_raw(path, old, new)
    with pytest.raises(PlanFileError, match=message):
        load_plan_file(path)


def test_calls_written_otherwise_but_equal_are_compared_by_value(tmp_path):
    plan = _plan()
    path = str(tmp_path / "p.plan")
    save_plan(plan, path)
    _rewrite_raw(path, b'"calls":[{"action":', b'"calls":[ {"action" :')
    loaded, _ = load_plan_file(path)
    assert loaded == plan


def test_a_signature_is_checked_on_the_body_that_was_loaded(tmp_path):
    from eeo_reconcile.plan.planfile import load_saved_plan

    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path, secret="the-school-secret")
    saved = load_saved_plan(path)
    # the body is read again to check the signature: it must be the one loaded
    save_plan(make_plan(load_config(EXAMPLES), State(lineage="abc", serial=4, sid=2339736)),
              path, secret="the-school-secret")
    with pytest.raises(PlanFileError, match="changed after it was read"):
        saved.verify("the-school-secret")
    # a signed plan a tool re-indented is still verified (in canonical form)
    save_plan(_plan(), path, secret="the-school-secret")
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
    indented = load_saved_plan(path)
    indented.verify("the-school-secret")
    with pytest.raises(PlanFileError, match="not with this school's secret"):
        indented.verify("another-secret")


@pytest.mark.parametrize("fork", [True, False])
def test_a_plan_that_cannot_be_saved_is_an_error_from_the_writer_too(tmp_path, monkeypatch,
                                                                     fork):
    import os
    import threading

    from eeo_reconcile.plan import planfile

    if fork and (not hasattr(os, "fork") or threading.active_count() != 1):
        pytest.skip("needs fork in a single-threaded process")
    monkeypatch.setattr(planfile, "can_fork", lambda: fork)
    path = str(tmp_path / "no-such-dir" / "p.plan")
    with pytest.raises(PlanFileError, match="cannot write the plan file"):
        planfile.save_plan_meanwhile(_plan(), path)()  # the child's failure, reported here
    good = str(tmp_path / "p.plan")
    planfile.save_plan_meanwhile(_plan(), good)()
    assert load_plan_file(good)[0] == _plan()
