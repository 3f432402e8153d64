"""The audit history end to end: apply, kill -9 mid-apply, apply again; every
member in the sandbox appears exactly once as added, with the commit and the
operator; a removal follows; the history command filters by address."""

import json
import os
import signal
import subprocess
import uuid

import pytest

from tests.e2e import E2E
from tests.end_to_end.test_apply import _big_config, _big_world
from tests.helpers import wait_for


def _git_repo(path, env):
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "rosters"]):
        subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=path, capture_output=True,
                          text=True, check=True).stdout.strip()


def _history(e, *args):
    r = e.cli("history", *args, "--config", e.dir, "--format", "json")
    assert r.returncode == 0, r.stderr
    return [json.loads(x) for x in r.stdout.splitlines()]


def _run(e, dsn=None):
    e.school = e.school.replace("retry:", "batch: {students: 3}\n  retry:")
    e.write(_big_config(courses=4, students=30))
    env = {**e.env, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    with open(os.path.join(e.dir, ".gitignore"), "w") as fh:
        fh.write("eeo.state.json*\n")
    head = _git_repo(e.dir, env)
    e.env = {**e.env, "GITHUB_ACTOR": "registrar", "GITHUB_REPOSITORY": "school/rosters",
             "GITHUB_RUN_ID": "77"}
    p = e.popen("apply", e.dir, "--auto-approve", "--parallelism", "2")
    wait_for(lambda: e.sb.stats()["total"] >= 8 or p.poll() is not None,
             what="8 calls at the sandbox")
    assert p.poll() is None, "the apply finished before the kill"
    os.kill(p.pid, signal.SIGKILL)
    p.communicate()
    e.plan_json()  # folds the journal (local); nothing to fold in postgres
    r = e.apply("--parallelism", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    e.assert_converged()

    entries = _history(e)
    adds = [x["address"] for x in entries if x["action"] == "add"]
    assert len(adds) == len(set(adds))  # exactly once, killed or not
    in_sandbox = set()
    for cid in range(100, 104):
        roster = e.sb.roster(cid)
        in_sandbox |= {f"course/{cid}/student/{u}" for u in roster["students"]}
        in_sandbox |= {f"course/{cid}/auditor/{u}" for u in roster["auditors"]}
    assert set(adds) == in_sandbox
    for x in entries:
        assert x["commit"] == head and x["who"] == "registrar (GitHub Actions)"
        assert x["run"] == "https://github.com/school/rosters/actions/runs/77"
        assert x["operation"] == "apply"
    serials = [x["serial"] for x in entries]
    assert serials == sorted(serials) and serials[-1] <= e.state().serial

    # a removal, then the student's own history, oldest first
    first = sorted(e.state().courses[100].students)[0]
    e.write(_big_config(courses=4, students=30).replace(f"[{first}, ", "[", 1))
    assert e.apply().returncode == 0
    mine = _history(e, f"course/100/student/{first}")
    assert [x["action"] for x in mine] == ["add", "remove"]
    text = e.cli("history", f"course/100/student/{first}", "--config", e.dir).stdout
    assert text.count(f"course/100/student/{first}") == 2 and "by registrar" in text
    assert _history(e, "course/10") == []  # a prefix is whole path segments
    assert len(_history(e, "course/100", "--since", "2000-01-01")) == len(
        [x for x in _history(e) if x["address"].startswith("course/100/")])
    assert _history(e, "--until", "2000-01-01") == []
    e.assert_no_secret_leaked()


def test_history_is_exact_across_a_kill_local(tmp_path):
    e = E2E(tmp_path, _big_world(), "--latency-ms", "40", "--quiet")
    try:
        _run(e)
        mode = os.stat(os.path.join(e.dir, "eeo.state.history.jsonl")).st_mode & 0o777
        assert mode == 0o600
    finally:
        e.close()


@pytest.mark.usefixtures("pg")
def test_history_is_exact_across_a_kill_postgres(tmp_path, pg):
    e = E2E(tmp_path, _big_world(), "--latency-ms", "40", "--quiet", dsn=pg.dsn(),
            workspace="ws-" + uuid.uuid4().hex[:8])
    try:
        _run(e)
        assert not os.path.exists(os.path.join(e.dir, "eeo.state.history.jsonl"))
    finally:
        e.close()
