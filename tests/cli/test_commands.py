"""The command line: exit codes, formats, saved plans and the state commands."""

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from eeo_reconcile.cli import main
from tests.conftest import EXAMPLES
from tests.helpers import write_tree


@pytest.fixture
def ex(tmp_path):
    d = tmp_path / "ex"
    shutil.copytree(EXAMPLES, d, ignore=shutil.ignore_patterns("eeo.state.json*"))
    return d


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_validate_ok_and_error_exit_codes(ex, tmp_path):
    r = run("validate", ex)
    assert r.exit_code == 0 and "Valid: 3 file(s), 2 course(s)" in r.stdout
    bad = "school: {sid: 1}\ncourses: [{id: 1, students: [1, 1]}]\n"
    write_tree(str(tmp_path / "bad"), {"a.yaml": bad})
    r = run("validate", tmp_path / "bad")
    assert r.exit_code == 1
    assert "a.yaml:2:" in r.stderr and "listed twice" in r.stderr and "1 error found." in r.stderr


def test_plan_detailed_exitcode(ex):
    assert run("plan", ex).exit_code == 0
    r = run("plan", ex, "--detailed-exitcode")
    assert r.exit_code == 2
    assert "Plan: 17 to add" in r.stdout


def test_plan_detailed_exitcode_3_when_apply_would_refuse_the_plan(tmp_path):
    from eeo_reconcile.model import StateRef
    from eeo_reconcile.state.local import LocalStore
    from eeo_reconcile.state.model import State
    from eeo_reconcile.state.records import CourseRecord

    write_tree(str(tmp_path), {"r.yaml": """
        school: {sid: 1}
        state: {path: eeo.state.json}
        courses: [{id: 5, students: [1, 2]}]
    """})
    st = State(sid=1)
    st.courses[5] = CourseRecord()
    st.courses[5].students.update(range(1, 31))  # 28 of 30 would leave: the guard
    store = LocalStore(StateRef.of("local", path=str(tmp_path / "eeo.state.json")))
    with store.lock("test"):
        store.write(st)
    r = run("plan", tmp_path, "--detailed-exitcode")
    assert r.exit_code == 3, r.output
    r = run("plan", tmp_path, "--detailed-exitcode", "--allow-mass-removal")
    assert r.exit_code == 2, r.output


def test_plan_formats(ex):
    doc = json.loads(run("plan", ex, "--format", "json").stdout)
    assert doc["format_version"] == 1 and doc["summary"]["calls"] == 6
    md = run("plan", ex, "--format", "markdown").stdout
    assert md.startswith("### eeo-reconcile plan")


def test_plan_out_and_show(ex, tmp_path):
    out = tmp_path / "p.plan"
    r = run("plan", ex, "--out", out)
    assert r.exit_code == 0 and out.exists()
    assert oct(os.stat(out).st_mode & 0o777) == "0o600"
    shown = run("show", out)
    assert shown.exit_code == 0 and "Plan: 17 to add" in shown.stdout
    j = json.loads(run("show", out, "--format", "json").stdout)
    assert j["summary"]["add"] == 17


def test_show_escapes_what_the_plan_file_says_of_itself(ex, tmp_path):
    from eeo_reconcile.plan.planfile import save_plan
    from tests.helpers import load_plan_file

    out = tmp_path / "p.plan"
    assert run("plan", ex, "--out", out).exit_code == 0
    plan, _ = load_plan_file(str(out))
    save_plan(plan, str(out), created="2026-11-25\x1b[2J\n+ student 1 (fake)")  # checksum fine
    shown = run("show", out)
    assert shown.exit_code == 0
    assert "\x1b" not in shown.stdout and "\n+ student 1 (fake)" not in shown.stdout


def test_bad_target_address_is_an_error(ex):
    r = run("plan", ex, "--target", "kurs/1")
    assert r.exit_code == 1 and "bad address" in r.stderr


def test_state_commands(ex):
    st = ex / "eeo.state.json"
    st.write_text(json.dumps({
        "format": "eeo-reconcile-state", "version": 1, "lineage": "L", "serial": 3, "sid": 2339736,
        "courses": {
            "442447": {"students": [12234, 77], "auditors": {"1001": "张三"}, "lessons": {},
                       "groups": {}},
            "9": {"students": [5], "auditors": {}, "lessons": {}, "groups": {}},
        },
    }))
    r = run("state", "list", "--config", ex)
    assert r.stdout.splitlines() == [
        "course/9/student/5", "course/442447/student/77", "course/442447/student/12234",
        "course/442447/auditor/1001",
    ]
    assert run("state", "list", "course/442447/aud", "--config", ex).stdout.strip() == \
        "course/442447/auditor/1001"
    r = run("state", "show", "course/442447/auditor/1001", "--config", ex)
    assert json.loads(r.stdout) == {"uid": 1001, "name": "张三"}
    assert run("state", "show", "course/1/student/1", "--config", ex).exit_code == 1
    r = run("state", "rm", "course/9", "course/442447/student/77", "--config", ex)
    assert r.exit_code == 0 and "State serial is now 4." in r.stdout
    doc = json.loads(st.read_text())
    assert doc["serial"] == 4 and "9" not in doc["courses"]
    assert os.path.exists(str(st) + ".backup")
    # forgetting what is not recorded changes nothing
    r = run("state", "rm", "course/9", "--config", ex)
    assert r.exit_code == 1 and json.loads(st.read_text())["serial"] == 4
    # --state works without a configuration
    r = run("state", "list", "--state", st)
    assert "course/442447/auditor/1001" in r.stdout


def test_plan_after_state_rm_of_removed_course_is_quiet(ex):
    st = ex / "eeo.state.json"
    st.write_text(json.dumps({
        "format": "eeo-reconcile-state", "version": 1, "lineage": "L", "serial": 1,
        "sid": 2339736,
        "courses": {"9": {"students": [5], "auditors": {}, "lessons": {}, "groups": {}}},
    }))
    assert "- student 5" in run("plan", ex, "--target", "course/9").stdout
    run("state", "rm", "course/9", "--config", ex)
    assert "No changes." in run("plan", ex, "--target", "course/9").stdout


def test_python_dash_m_entry_point():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "eeo_reconcile", "--help"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "plan" in r.stdout


def test_plan_and_show_summary_and_redaction(ex, tmp_path):
    r = run("plan", ex, "--summary")
    assert r.exit_code == 0
    assert "course 442447 (Algebra I)" in r.stdout and "+ auditor" not in r.stdout
    assert "张三" in run("plan", ex).stdout
    r = run("plan", ex, "--redact", "names")
    assert "张三" not in r.stdout and "张**" in r.stdout and "auditor 1001 " in r.stdout
    out = str(tmp_path / "p.plan")
    assert run("plan", ex, "--out", out).exit_code == 0
    r = run("show", out, "--redact", "all")
    assert "张三" not in r.stdout and "auditor 1001 " not in r.stdout and "u-" in r.stdout
    r = run("show", out, "--summary", "--format", "markdown")
    assert "| Course |" in r.stdout and "```" not in r.stdout


def test_the_confirmation_prompt_names_the_school_the_host_and_the_totals(ex, monkeypatch):
    import click

    from eeo_reconcile.cli import apply as commands
    from eeo_reconcile.config.load import load_config
    from eeo_reconcile.plan.diff import make_plan
    from eeo_reconcile.state.model import State

    plan = make_plan(load_config(str(ex)), State())
    asked = []
    monkeypatch.setattr(commands.sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(commands.sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(click, "prompt", lambda text, **kw: asked.append(text) or "no")
    assert commands.ask(False, plan, "https://api.eeo.cn/") is False
    assert "school 2339736 at api.eeo.cn" in asked[0]
    assert "Plan: 17 to add, 0 to remove, 0 to change; 6 API calls" in asked[0]


def test_state_diff_and_plan_without_the_lock(ex):
    from eeo_reconcile.model import StateRef, Team
    from eeo_reconcile.state.local import LocalStore
    from eeo_reconcile.state.ops import OpKind, StateOp
    from eeo_reconcile.state.records import GroupRecord

    s = LocalStore(StateRef.of("local", path=str(ex / "eeo.state.json")))
    with s.lock("test"):
        st = s.read()
        st.apply(StateOp(OpKind.ADD_STUDENTS, 442447, uids=(12234, 12235), names=("A", "B")))
        st.apply(StateOp(OpKind.SET_GROUP, 442447, group_name="G",
                         group=GroupRecord(9, (Team(12234, (12235,)),))))
        s.write(st)
        st = s.read()
        st.apply(StateOp(OpKind.REMOVE_STUDENTS, 442447, uids=(12235,)))
        st.apply(StateOp(OpKind.SET_GROUP, 442447, group_name="G",
                         group=GroupRecord(9, (Team(12234),))))
        s.write(st)
        # the lock is held: plan waits for it, --no-lock previews at once
        assert run("plan", ex).exit_code == 1
        r = run("plan", ex, "--no-lock")
        assert r.exit_code == 0 and "+ student 12235" in r.stdout
        r = run("state", "diff", "backup", "--config", ex)
    assert r.exit_code == 0, r.output
    assert "- course/442447/student/12235: remove (B)" in r.stdout
    assert "~ course/442447/group/G: edit" in r.stdout
    assert "root['team of uid'][12235]" in r.stdout  # deepdiff's account of the grouping
    r = run("state", "diff", str(ex / "eeo.state.json"), "--config", ex, "--format", "json")
    assert json.loads(r.stdout)["courses"] == []


def test_the_progress_bar_shows_calls_members_and_an_eta(monkeypatch):
    import io

    from eeo_reconcile.cli import view

    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = Tty()
    monkeypatch.setattr(view.sys, "stderr", err)
    bar = view.ProgressBar()
    for i in range(1, 41):
        bar(i, 40, i * 30, 1200)
    bar.finish()
    out = err.getvalue()
    assert "Applying" in out and "40/40" in out and "1,200/1,200 members" in out
    quiet = view.ProgressBar(enabled=False)
    quiet(1, 40, 30, 1200)
    assert quiet._bar is None


@pytest.mark.parametrize("kind", ["device", "fifo", "link"])
def test_an_output_goes_only_where_it_should(ex, tmp_path, kind):
    """plan --out and convert --out never replace what is not a regular file (a
    device node, as root, was replaced by the plan), nor write through a link."""
    import stat

    target = tmp_path / "p.plan"
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    if kind == "device":
        try:
            os.mknod(target, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # as /dev/null
        except PermissionError:
            pytest.skip("making a device node needs root")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to(outside)
    mode = os.lstat(target).st_mode
    r = run("plan", ex, "--out", target)
    assert r.exit_code == 1 and "refusing to write over it" in r.stderr, r.output
    assert os.lstat(target).st_mode == mode and outside.read_text() == "keep me"
    # convert: a generated file's name planted as the same kind of thing
    src = tmp_path / "r.csv"
    src.write_text("course_id,role,uid,name,lesson_id,custom\n5,student,1,,,\n")
    out = tmp_path / "o"
    out.mkdir()
    planted = out / "course-5.yaml"
    os.rename(target, planted)
    r = run("convert", "csv", src, "--out", out)
    assert r.exit_code == 1 and "course-5.yaml" in r.stderr, r.output
    assert os.lstat(planted).st_mode == mode and outside.read_text() == "keep me"


def test_state_show_escapes_planted_controls_as_plans_do(tmp_path):
    from eeo_reconcile.model import StateRef
    from eeo_reconcile.state.local import LocalStore
    from eeo_reconcile.state.model import State
    from eeo_reconcile.state.records import CourseRecord

    st = State(sid=1)
    st.courses[5] = CourseRecord()
    st.courses[5].auditors[9] = "Mum\u202egnp.exe\x85\u2028"
    path = str(tmp_path / "s.json")
    store = LocalStore(StateRef.of("local", path=path))
    with store.lock("test"):
        store.write(st)
    r = run("state", "show", "course/5", "--state", path)
    assert r.exit_code == 0, r.output
    assert "\u202e" not in r.stdout and "\x85" not in r.stdout and "\u2028" not in r.stdout
    assert json.loads(r.stdout)["auditors"] == {"9": "Mum\u202egnp.exe\x85\u2028"}


def test_one_child_has_one_pseudonym_with_or_without_the_secret(monkeypatch):
    """The plan job (no secret) and the apply job (the secret) hash a uid alike:
    the key is the state's salt, never the secret."""
    from eeo_reconcile.cli.view import redactor_for
    from eeo_reconcile.model import SchoolConfig
    from eeo_reconcile.plan.plan import Plan

    plan = Plan(sid=1, changes=(), calls=(), salt="s" * 32)
    school = SchoolConfig(sid=1)
    monkeypatch.delenv("EEO_SECRET", raising=False)
    without = redactor_for(plan, "all", school).uid(3000101)
    monkeypatch.setenv("EEO_SECRET", "the-school-secret")
    assert redactor_for(plan, "all", school).uid(3000101) == without


@pytest.mark.parametrize("secret_env", [["EEO_SECRET"], 7, "HOME"])
def test_show_takes_no_key_from_a_saved_plans_own_settings(ex, tmp_path, secret_env):
    """A checksum-valid plan whose school.secret_env is a list, a number or another
    variable: show never fails with a traceback, nor keys on what the file names."""
    import hashlib
    import re

    from eeo_reconcile.model import StateRef
    from eeo_reconcile.plan.encode import canonical
    from eeo_reconcile.state.local import LocalStore
    from eeo_reconcile.state.model import State

    store = LocalStore(StateRef.of("local", path=str(ex / "eeo.state.json")))
    with store.lock("test"):
        store.write(State(sid=2339736))  # a state, and with it the salt that keys hashes
    out = tmp_path / "p.plan"
    assert run("plan", ex, "--out", out).exit_code == 0
    before = set(re.findall(r"u-[a-z2-7]{8}", run("show", out, "--redact", "all").stdout))
    assert before
    doc = json.loads(out.read_text())
    doc.pop("checksum")
    doc.pop("signature", None)
    doc["plan"]["school"]["secret_env"] = secret_env
    doc["checksum"] = "sha256:" + hashlib.sha256(canonical(doc).encode()).hexdigest()
    out.write_text(json.dumps(doc))
    r = run("show", out, "--redact", "all")
    assert "Traceback" not in r.output
    if not isinstance(secret_env, str):  # the wrong shape: refused as malformed
        assert r.exit_code == 1 and "malformed" in r.stderr, r.output
        return
    assert r.exit_code == 0, r.output
    # the same pseudonyms: the key is the state's salt, whatever variable the file names
    assert set(re.findall(r"u-[a-z2-7]{8}", r.stdout)) == before


def test_a_configuration_path_that_is_a_pipe_says_so(tmp_path):
    """`apply FIFO` said the configuration does not exist."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for command in ("apply", "plan", "validate"):
        r = run(command, fifo)
        assert r.exit_code == 1 and "is a named pipe (FIFO)" in r.stderr, (command, r.output)
    r = run("validate", tmp_path / "nowhere")
    assert r.exit_code == 1 and "does not exist" in r.stderr
