"""State, journal and lock files that are damaged or planted: each is a clear error
naming the file and what is wrong, exit 1, no traceback, no hang.

Content cases are data: tests/cases/state/*.yaml (the state text, an optional
journal, the expected message)."""

import glob
import json
import os
import stat
import subprocess
import sys

import pytest
import yaml

from eeo_reconcile.state import codec
from tests.conftest import CASES

CASE_FILES = sorted(glob.glob(os.path.join(CASES, "state", "*.yaml")))
CONFIG = "school: {sid: 1}\nstate: {path: eeo.state.json}\ncourses: [{id: 5, students: [1, 2]}]\n"


def _cfg(tmp_path, config=CONFIG):
    d = tmp_path / "cfg"
    d.mkdir()
    (d / "roster.yaml").write_text(config)
    return d


def _plan(d, *extra):
    r = subprocess.run([sys.executable, "-m", "eeo_reconcile", "plan", str(d), *extra],
                       capture_output=True, text=True, timeout=20)
    assert "Traceback" not in r.stderr, r.stderr
    return r


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: os.path.basename(p)[:-5])
def test_damaged_state_case(case_file, tmp_path):
    with open(case_file, encoding="utf-8") as fh:
        case = yaml.safe_load(fh)
    d = _cfg(tmp_path)
    (d / "eeo.state.json").write_text(case["state"])
    if "journal" in case:
        (d / "eeo.state.json.journal").write_text(case["journal"])
    r = _plan(d)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "eeo.state.json" in r.stderr and case["error"] in r.stderr, r.stderr


def test_the_codec_agrees_with_the_schema_on_every_case_and_on_good_states():
    from eeo_reconcile.errors import StateError
    from eeo_reconcile.schemas import validator

    v = validator("state.schema.json")
    for f in CASE_FILES:
        with open(f, encoding="utf-8") as fh:
            case = yaml.safe_load(fh)
        if "journal" in case:
            continue
        try:
            doc = json.loads(case["state"])
        except (ValueError, RecursionError):
            continue
        if isinstance(doc, dict) and doc.get("version") == 2:
            with pytest.raises(StateError):
                codec.loads(case["state"])
            # what JSON Schema cannot say: one name per uid, and keys given twice
            if "one per uid" not in case["description"] and "given twice" not in case["error"]:
                assert list(v.iter_errors(doc)), f  # the schema refuses it too
    good = CASE_FILES and json.loads(json.dumps({
        "format": "eeo-reconcile-state", "version": 2, "lineage": "L", "serial": 1, "sid": None,
        "courses": {"5": {"name": "Algebra", "students": [1, 2], "student_labels": ["A", None],
                          "auditors": [3], "auditor_names": ["B"],
                          "lessons": {"9": {"name": "L1", "students": [4], "names": ["C"],
                                            "customs": [None]}},
                          "groups": {"G": {"id": 7, "teams": [[1, 2]]}},
                          "unconfirmed_groups": {"H": {"teams": [[1]], "reason": "no-answer"}}}}}))
    assert list(v.iter_errors(good)) == []
    st = codec.loads(json.dumps(good))
    assert st.courses[5].labels == {1: "A"} and st.courses[5].unconfirmed["H"].id is None
    assert codec.loads(codec.dumps(st)).courses[5] == st.courses[5]


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "link-out", "directory"])
def test_a_state_that_is_not_a_regular_file(tmp_path, kind):
    d = _cfg(tmp_path)
    path = d / "eeo.state.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "link-out":
        (tmp_path / "elsewhere.json").write_text("{}")
        path.symlink_to(tmp_path / "elsewhere.json")
    else:
        path.mkdir()
    r = _plan(d)
    assert r.returncode == 1 and "eeo.state.json" in r.stderr
    assert {"fifo": "named pipe", "dev-zero": "symbolic link", "link-out": "symbolic link",
            "directory": "directory"}[kind] in r.stderr


def test_a_planted_lock_link_is_refused_and_its_target_untouched(tmp_path):
    d = _cfg(tmp_path)
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me\n")
    (d / "eeo.state.json.lock").symlink_to(victim)
    r = _plan(d)
    assert r.returncode == 1 and "lock file" in r.stderr and "symbolic link" in r.stderr
    assert victim.read_text() == "keep me\n"


def test_a_lock_path_that_is_a_directory(tmp_path):
    d = _cfg(tmp_path)
    (d / "eeo.state.json.lock").mkdir()
    r = _plan(d)
    assert r.returncode == 1 and "lock file" in r.stderr


def test_a_nul_in_the_state_path_is_a_located_config_error(tmp_path):
    d = _cfg(tmp_path, CONFIG.replace("path: eeo.state.json", 'path: "eeo\\0.json"'))
    r = _plan(d)
    assert r.returncode == 1 and "roster.yaml:2:" in r.stderr


def test_temp_files_of_a_killed_write_are_removed_and_a_wide_mode_is_warned(tmp_path):
    d = _cfg(tmp_path)
    st = codec.loads(json.dumps({"format": "eeo-reconcile-state", "version": 2,
                                 "lineage": "L", "serial": 2, "sid": 1, "courses": {"5": {
                                     "students": [1], "auditors": [], "auditor_names": [],
                                     "lessons": {}, "groups": {}}}}))
    path = d / "eeo.state.json"
    path.write_bytes(codec.dumps(st))
    os.chmod(path, 0o644)
    (d / ".eeo.state.json.tmp-0123456789abcdef").write_bytes(b"x" * 1000)
    (d / ".eeo.state.json.backup.tmp-0123456789abcdef").write_bytes(b"x")
    r = _plan(d)
    assert r.returncode == 0, r.stderr
    assert "can be read by others (mode 0644)" in r.stderr
    assert sorted(os.listdir(d)) == ["eeo.state.json", "eeo.state.json.lock", "roster.yaml"]
    r = subprocess.run([sys.executable, "-m", "eeo_reconcile", "state", "rm", "course/5",
                        "--config", str(d)], capture_output=True, text=True, timeout=20)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
