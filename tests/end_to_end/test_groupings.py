"""A grouping whose create answer was lost: recorded as probably created, never sent
again in a loop, and recovered with its id or after removing it in ClassIn."""

import os
import signal

from tests.e2e import E2E
from tests.helpers import wait_for
from tests.sandbox_proc import world_doc

COURSES = """
courses:
  - id: 176465
    students: [1000152, 1000109, 1000101, 1000100]
    groups:
      - name: Teams
        teams: [{leader: 1000152, members: [1000109]}, {leader: 1000101}]
"""


def _world(**extra):
    w = world_doc()
    w["courses"] = [{"id": 176465, "students": [1000152, 1000109, 1000101, 1000100],
                     "groups": [], **extra}]
    return w


def _read(path):
    with open(path, "rb") as fh:
        return fh.read()


def _groups_named(e, name):
    return {int(gid): g for gid, g in e.sb.roster(176465)["groups"].items() if g["name"] == name}


def _finding(e):
    plan = e.plan_json()
    return plan, [n for n in plan["notes"] if "probably created in ClassIn" in n["message"]]


def test_a_dropped_answer_becomes_a_finding_and_the_id_converges_it(tmp_path):
    e = E2E(tmp_path, _world(), "--drop-rate", "1", "--drop-actions", "addCourseGroup")
    try:
        e.write(COURSES)
        r = e.apply()
        assert r.returncode == 1 and "addCourseGroup" in r.stdout
        assert len(_groups_named(e, "Teams")) == 1  # ClassIn created it; we never heard
        before = e.sb.stats()["calls"].get("addCourseGroup", 0)
        for _ in range(3):  # no loop: the doomed create is not sent again
            plan, findings = _finding(e)
            assert not plan["changes"] and len(findings) == 1
            assert "set-group-id course/176465/group/Teams" in findings[0]["message"]
            assert findings[0]["pending"] is True
            # work waiting for a person is not "No changes.", in any format
            p = e.plan("--detailed-exitcode")
            assert p.returncode == 2, p.stdout + p.stderr
            assert "No changes to send. 1 grouping probably created in ClassIn waits for a " \
                   "person" in p.stdout
            md = e.cli("plan", e.dir, "--format", "markdown", "--summary").stdout
            assert "[!WARNING]" in md and "No changes.**" not in md
            r = e.apply()
            assert r.returncode == 0, r.stdout + r.stderr
        assert e.sb.stats()["calls"].get("addCourseGroup", 0) == before
        assert len(_groups_named(e, "Teams")) == 1
        # the operator finds its id (here: the sandbox's inspection stands in for the console)
        gid = next(iter(_groups_named(e, "Teams")))
        r = e.cli("state", "set-group-id", "course/176465/group/Teams", str(gid),
                  "--config", e.dir)
        assert r.returncode == 0, r.stderr
        plan = e.plan_json()
        assert [c["action"] for c in plan["calls"]] == ["editCourseGroup"]
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        assert list(_groups_named(e, "Teams")) == [gid]
        e.assert_converged()
        e.assert_no_secret_leaked()
    finally:
        e.close()


def test_a_kill_while_the_create_is_in_flight_then_the_id_in_yaml(tmp_path):
    e = E2E(tmp_path, _world(), "--latency-ms", "1500")
    try:
        e.write(COURSES)
        p = e.popen("apply", e.dir, "--auto-approve")
        journal = e.state_path + ".journal"
        # the intent is journaled before the request, then the request is at the sandbox
        wait_for(lambda: os.path.exists(journal) and b'"g?"' in _read(journal),
                 what="the create's intent in the journal")
        wait_for(lambda: e.sb.stats()["in_flight"] >= 1, what="the create at the sandbox")
        os.kill(p.pid, signal.SIGKILL)
        p.communicate()
        # the sandbox finishes the create; the answer has nowhere to go
        wait_for(lambda: e.sb.stats()["in_flight"] == 0, what="the create done")
        assert len(_groups_named(e, "Teams")) == 1
        plan, findings = _finding(e)
        assert len(findings) == 1 and "never came back" in findings[0]["message"]
        gid = next(iter(_groups_named(e, "Teams")))
        e.write(COURSES.replace("      - name: Teams\n",
                                f"      - name: Teams\n        id: {gid}\n"))
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        assert list(_groups_named(e, "Teams")) == [gid]
        e.assert_converged()
    finally:
        e.close()


def test_892_is_recorded_and_removing_it_in_classin_lets_apply_create_it_again(tmp_path):
    made_by_hand = {"id": 555, "name": "Teams", "teams": [[1000100]]}
    e = E2E(tmp_path, _world(groups=[made_by_hand]))
    try:
        e.write(COURSES)
        r = e.apply()
        assert r.returncode == 1 and "892" in r.stdout
        plan, findings = _finding(e)
        assert len(findings) == 1 and "892" in findings[0]["message"]
        assert e.apply().returncode == 0  # nothing sent again
        assert e.sb.stats()["calls"]["addCourseGroup"] == 1
        # the operator deletes the stray grouping in ClassIn, then tells the tool
        e.sb.call("delCourseGroup", courseId=176465, groupId=555)
        r = e.cli("state", "rm", "course/176465/group/Teams", "--config", e.dir)
        assert r.returncode == 0, r.stderr
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        assert len(_groups_named(e, "Teams")) == 1
        e.assert_converged()
    finally:
        e.close()
