import json

import pytest

from eeo_reconcile.config.load import load_config
from eeo_reconcile.errors import PlanFileError
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.plan.planfile import (
    check_fresh,
    plan_file_pieces,
    save_plan,
)
from eeo_reconcile.state.model import State
from tests.conftest import EXAMPLES
from tests.helpers import load_plan_file


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
        assert fh.read() == b"".join(plan_file_pieces(loaded, created))


def test_altered_plan_is_refused(tmp_path):
    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    doc = json.loads(raw)
    doc["changes"][0]["uids"][0] = 999
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


@pytest.mark.parametrize("edit", [
    lambda doc: doc["changes"].pop(),  # fewer changes than the summary says
    lambda doc: doc["changes"][0].update(action="remove"),  # removes what the summary adds
    lambda doc: doc["plan"]["summary"].update(calls=1),  # fewer calls than the changes make
    # batched otherwise than when it was planned: other calls than the summary counts
    lambda doc: doc["plan"]["school"]["batch"].update(students=1),
], ids=["change-dropped", "action-flipped", "calls-count", "batch-size"])
def test_changes_that_do_not_add_up_to_the_summary_are_refused_even_with_a_new_checksum(
        tmp_path, edit):
    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)
    _rewrite(path, edit)
    with pytest.raises(PlanFileError, match="does not add up"):
        load_plan_file(path)


@pytest.mark.parametrize("kind", ["plan-key", "secret"])
def test_a_signed_plan_edited_consistently_is_refused_by_the_signature(tmp_path, kind):
    from eeo_reconcile.plan.planfile import KeyKind, SigningKey, load_saved_plan

    def key(value, sid=1):
        return (SigningKey.from_plan_key(value, sid) if kind == "plan-key"
                else SigningKey.from_secret(value))

    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path, signer=key("the-school-key-0123"))
    saved = load_saved_plan(path)
    assert saved.kind is KeyKind(kind)
    saved.verify(key("the-school-key-0123"))
    with pytest.raises(PlanFileError, match="signed, but not with"):
        saved.verify(key("another-key-0123456"))
    if kind == "plan-key":  # one group key, a key per school: another school's fails
        with pytest.raises(PlanFileError, match="signed, but not with"):
            saved.verify(key("the-school-key-0123", sid=2))

    def drop_first_change(doc):  # the changes and the summary stay consistent
        first = doc["changes"][0]
        assert first["action"] == "add" and len(first["uids"]) > 1
        first["uids"].pop(0)
        if "names" in first:
            first["names"].pop(0)
        doc["plan"]["summary"]["add"] -= 1

    _rewrite(path, drop_first_change)
    edited = load_saved_plan(path)  # consistent, checksum fine ...
    with pytest.raises(PlanFileError, match="signed, but not with"):
        edited.verify(key("the-school-key-0123"))  # ... but not signed by the school


def test_a_plan_without_school_settings_but_with_calls_is_refused(tmp_path):
    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)
    _rewrite(path, lambda doc: doc["plan"].update(school=None))
    with pytest.raises(PlanFileError, match="no school settings"):
        load_plan_file(path)


def test_malformed_bodies_are_plan_errors_not_tracebacks(tmp_path):
    path = str(tmp_path / "p.plan")
    for edit in (lambda d: d.update(changes="x"),
                 lambda d: d["plan"].update(sid="abc"),
                 lambda d: d["changes"][0].update(type="teacher"),
                 lambda d: d["changes"][0]["uids"].append("12"),
                 lambda d: d["changes"][0].update(names=["too", "many", "names", "x"] * 9),
                 lambda d: d["plan"].update(calls=[]),
                 lambda d: d["plan"].update(format_version=99),
                 lambda d: d["plan"].update(summary=[]),
                 lambda d: d["plan"].pop("school"),
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
    # the body as written is what is hashed and parsed: edits in place are seen
    (b'"action":"add"', b'"action":"remove"', "does not add up"),
    (b'"uids":[', b'"uids":[[', "not a saved plan"),
    (b'"uids":[', b'"extra":1,"uids":[', "malformed"),
    (b'"version":3', b'"version":2', "another file version"),
])
def test_runs_edited_in_place_are_refused(tmp_path, old, new, message):
    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)
    _rewrite_raw(path, old, new)
    with pytest.raises(PlanFileError, match=message):
        load_plan_file(path)


def test_a_body_written_otherwise_but_equal_loads_the_same_plan(tmp_path):
    plan = _plan()
    path = str(tmp_path / "p.plan")
    save_plan(plan, path)
    _rewrite_raw(path, b'"uids":[', b'"uids" : [ ')
    loaded, _ = load_plan_file(path)
    assert loaded == plan


def test_a_plan_saved_in_the_first_file_version_is_refused_with_what_to_do(tmp_path):
    """Version 1 held the whole plan document (changes and calls) under "plan"."""
    import hashlib

    from eeo_reconcile.plan.encode import canonical
    from eeo_reconcile.plan.planfile import NOTICE, PLAN_FILE_FORMAT

    body = {"created": "2026-11-01T00:00:00+00:00", "format": PLAN_FILE_FORMAT,
            "notice": NOTICE, "plan": _plan().to_json()}
    body["checksum"] = "sha256:" + hashlib.sha256(canonical(body).encode()).hexdigest()
    path = tmp_path / "old.plan"
    path.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(PlanFileError) as info:
        load_plan_file(str(path))
    assert "another file version (none" in str(info.value)
    assert "Run plan --out again" in str(info.value)


def test_the_file_holds_runs_and_no_calls(tmp_path):
    plan = _plan()
    path = tmp_path / "p.plan"
    save_plan(plan, str(path))
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["version"] == 3 and "calls" not in doc["plan"] and "changes" not in doc["plan"]
    assert sum(len(r.get("uids", [1])) for r in doc["changes"]) == len(plan.changes)
    assert len(doc["changes"]) < len(plan.changes)


def test_a_signature_is_checked_on_the_body_that_was_loaded(tmp_path):
    from eeo_reconcile.plan.planfile import SigningKey, load_saved_plan

    KEY = SigningKey.from_secret("the-school-secret")

    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path, signer=KEY)
    saved = load_saved_plan(path)
    # the body is read again to check the signature: it must be the one loaded
    save_plan(make_plan(load_config(EXAMPLES), State(lineage="abc", serial=4, sid=2339736)),
              path, signer=KEY)
    with pytest.raises(PlanFileError, match="changed after it was read"):
        saved.verify(KEY)
    # a signed plan a tool re-indented is still verified (in canonical form)
    save_plan(_plan(), path, signer=KEY)
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
    indented = load_saved_plan(path)
    indented.verify(KEY)
    with pytest.raises(PlanFileError, match="signed, but not with"):
        indented.verify(SigningKey.from_secret("another-secret"))


def test_a_plan_that_cannot_be_saved_is_an_error(tmp_path):
    path = str(tmp_path / "no-such-dir" / "p.plan")
    with pytest.raises(PlanFileError, match="cannot write the plan file"):
        save_plan(_plan(), path)
    good = str(tmp_path / "p.plan")
    save_plan(_plan(), good)
    assert load_plan_file(good)[0] == _plan()


@pytest.mark.parametrize("kind", ["link", "fifo", "too-big", "truncated", "utf-16"])
def test_a_planted_plan_file_is_refused_without_hanging(tmp_path, monkeypatch, kind):
    """A saved plan can come from a pull request's artifacts like any file."""
    import os

    from eeo_reconcile.plan import planfile

    good = tmp_path / "good.plan"
    save_plan(_plan(), str(good))
    path = tmp_path / "p.plan"
    if kind == "link":  # to a valid plan, even: a link is never followed
        path.symlink_to(good)
        want = "is a symbolic link"
    elif kind == "fifo":  # nobody writes to it: a blocking open would hang
        os.mkfifo(path)
        want = "is a FIFO|not a regular file"
    elif kind == "too-big":
        monkeypatch.setattr(planfile, "MAX_PLAN_BYTES", 1000)
        path.write_bytes(good.read_bytes())
        want = "more than the 1,000 allowed"
    elif kind == "truncated":
        path.write_bytes(good.read_bytes()[:-200])
        want = "not a saved plan|not JSON|altered|malformed"
    else:  # the same JSON in another encoding (json reads UTF-16): put back in canonical
        # form, as an indented plan is, it is the body the checksum covers, and nothing else
        path.write_bytes(good.read_text(encoding="utf-8").encode("utf-16"))
        assert load_plan_file(str(path))[0] == _plan()
        path.write_bytes(good.read_text(encoding="utf-8").replace(
            '"action":"add"', '"action":"remove"', 1).encode("utf-16"))
        want = "altered"
    with pytest.raises(PlanFileError, match=want) as info:
        load_plan_file(str(path))
    assert "Traceback" not in str(info.value)


@pytest.mark.parametrize("field, value", [
    ("secret_env", ["EEO_SECRET"]), ("secret_env", 5), ("secret_env", "A B; rm -rf"),
    ("api_url", {"x": 1}), ("batch", {"students": "30"}), ("batch", {"students": 0}),
    ("retry", {"attempts": -1}), ("redact", "everything"), ("sid", "2339736"),
    ("surprise", "a field no release writes"),
])
def test_every_school_setting_of_a_saved_plan_is_checked_before_use(tmp_path, field, value):
    """A checksum-valid plan whose school settings have the wrong shape is refused
    as malformed (it made `show` end in a traceback)."""
    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)
    _rewrite(path, lambda doc: doc["plan"]["school"].update({field: value}))
    with pytest.raises(PlanFileError, match="malformed"):
        load_plan_file(path)
