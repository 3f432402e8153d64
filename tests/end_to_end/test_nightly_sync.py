"""The nightly sync recipe (examples/nightly/nightly-sync.sh) run as written:
night 1 converts the fixture export and opens a pull request whose body is the
plan; it is merged and applied against the sandbox, which then holds exactly
the export's enrolments; night 2's export changes a few enrolments and the
second plan holds exactly those changes. git is real (a bare repository as
`origin`); `gh` is a stand-in that records what it was asked."""

import html
import json
import os
import subprocess
import sys

from tests.convert.test_oneroster import FIX, expected_enrolments
from tests.e2e import E2E
from tests.helpers import write_tree
from tests.sandbox_proc import world_doc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "nightly", "nightly-sync.sh")

FAKE_GH = """#!/bin/sh
# records each call; a pull request exists once created, until "merged"
echo "$*" >> "$GH_LOG"
case "$1 $2" in
  "pr view") [ -f "$GH_DIR/open" ] ;;
  "pr create"|"pr edit")
    while [ $# -gt 0 ]; do
      [ "$1" = "--body-file" ] && cp "$2" "$GH_DIR/body.md"
      shift
    done
    touch "$GH_DIR/open" ;;
esac
"""


def world():
    w = world_doc()
    w["students"] = {u: f"S{u}" for u in (3000101, 3000102, 3000103, 3000105, 3000107,
                                          5000001, 5000002, 5000003)}
    w["courses"] = [{"id": c, "capacity": 100} for c in (442447, 442448, 442450)]
    return w


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def test_two_nights_of_sis_sync_through_pull_requests(tmp_path):
    e = E2E(tmp_path, world())
    try:
        origin, repo, ghdir = tmp_path / "origin.git", tmp_path / "repo", tmp_path / "gh"
        os.makedirs(ghdir / "bin")
        (ghdir / "bin" / "gh").write_text(FAKE_GH)
        os.chmod(ghdir / "bin" / "gh", 0o755)
        env = {**e.env, "GH_LOG": str(ghdir / "log"), "GH_DIR": str(ghdir),
               "PATH": f"{ghdir / 'bin'}:{os.path.dirname(sys.executable)}:{os.environ['PATH']}",
               "GIT_AUTHOR_NAME": "sync", "GIT_AUTHOR_EMAIL": "sync@example.org",
               "GIT_COMMITTER_NAME": "sync", "GIT_COMMITTER_EMAIL": "sync@example.org",
               "CONVERT_FLAGS": f"--course-map {FIX}/course-map.csv --user-map "
                                f"{FIX}/user-map.csv --auditors guardians --as-of 2026-11-25"}
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
        subprocess.run(["git", "clone", "-q", str(origin), str(repo)], check=True,
                       capture_output=True)
        write_tree(str(repo), {
            ".gitignore": "eeo.state.json*\n",
            "rosters/school.yaml": e.school.replace("path: eeo.state.json",
                                                    f"path: {tmp_path}/eeo.state.json"),
            "rosters/hand/algebra.yaml": "courses:\n  - id: 442447\n    part: hand\n"
                                         "    groups:\n      - name: Pairs\n        teams: "
                                         "[{leader: 3000101, members: [3000103]}]\n",
        })
        git(repo, "checkout", "-q", "-b", "main")
        git(repo, "add", "-A")
        subprocess.run(["git", "commit", "-q", "-m", "rosters"], cwd=repo, env=env, check=True)
        git(repo, "push", "-q", "origin", "main")

        def night(n):
            r = subprocess.run(["sh", SCRIPT, os.path.join(FIX, f"night{n}"), "rosters"],
                               cwd=repo, env=env, capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, r.stdout + r.stderr
            return r

        def plan_json():
            r = subprocess.run([sys.executable, "-m", "eeo_reconcile", "plan", "rosters",
                                "--format", "json"], cwd=repo, env=env, capture_output=True,
                               text=True, check=True)
            return json.loads(r.stdout)

        def merge_and_apply():
            git(repo, "push", "-q", "origin", "sis-sync:main")
            os.unlink(ghdir / "open")  # merged: the next night opens a new one
            git(repo, "checkout", "-q", "main")
            git(repo, "pull", "-q", "origin", "main")
            r = subprocess.run([sys.executable, "-m", "eeo_reconcile", "apply", "rosters",
                                "--auto-approve"], cwd=repo, env=env, capture_output=True,
                               text=True)
            assert r.returncode == 0, r.stdout + r.stderr

        # night 1: a pull request whose body is the plan of the whole export
        night(1)
        log = (ghdir / "log").read_text()
        assert "pr create --base main --head sis-sync" in log
        body = (ghdir / "body.md").read_text()
        assert body.startswith("### eeo-reconcile plan") and "convert report" in body
        first = expected_enrolments(os.path.join(FIX, "night1"))
        adds = {(c["course"], c["uid"]) for c in plan_json()["changes"]
                if c["action"] == "add" and c["type"] in ("student", "auditor")}
        assert adds == {(cid, u) for cid, (s, a) in first.items() for u in s | a}
        merge_and_apply()
        for cid, (students, auditors) in first.items():
            roster = e.sb.roster(cid)
            assert set(roster["students"]) == students
            assert {int(u) for u in roster["auditors"]} == auditors
        assert [g["name"] for g in e.sb.roster(442447)["groups"].values()] == ["Pairs"]

        # the same export again: nothing to review, no pull request
        git(repo, "checkout", "-q", "main")
        r = night(1)
        assert "changes nothing" in r.stdout
        assert (ghdir / "log").read_text().count("pr create") == 1

        # night 2: exactly the changed enrolments
        night(2)
        second = expected_enrolments(os.path.join(FIX, "night2"))
        want = set()
        for cid in first.keys() | second.keys():
            before = set().union(*first.get(cid, (set(), set())))
            after = set().union(*second.get(cid, (set(), set())))
            want |= {("add", cid, u) for u in after - before}
            want |= {("remove", cid, u) for u in before - after}
        got = {(c["action"], c["course"], c["uid"]) for c in plan_json()["changes"]}
        assert got == want and len(want) == 4  # one left, one joined, one ended + guardian
        body = html.unescape((ghdir / "body.md").read_text())
        assert "<summary>course 442448 (Biology): +1 -0 ~0</summary>" in body
        merge_and_apply()
        for cid, (students, auditors) in second.items():
            assert set(e.sb.roster(cid)["students"]) == students
            assert {int(u) for u in e.sb.roster(cid)["auditors"]} == auditors
        assert e.sb.roster(442450)["students"] == []  # its only enrollment ended
        e.assert_no_secret_leaked()
    finally:
        e.close()
