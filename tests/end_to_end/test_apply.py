"""apply, end to end: the CLI as a process, against a sandbox process, over HTTP."""

import json
import os
import signal
import time

import pytest

from tests.e2e import E2E
from tests.helpers import wait_for
from tests.sandbox_proc import world_doc


def lifecycle_world():
    w = world_doc()
    w["students"] = {u: f"S{u}" for u in range(1, 301)}
    w["cancelled"] = [1999]
    w["courses"] = [
        {"id": 100, "teachers": [9001], "head_teacher": 9002, "capacity": 1000,
         "lessons": [{"id": 1001}, {"id": 1002}],
         "groups": [{"id": 777, "name": "made by hand", "teams": [[4]]}]},
        {"id": 200, "capacity": 1000},
        {"id": 300, "capacity": 1000},
    ]
    return w


@pytest.fixture
def env(tmp_path):
    e = E2E(tmp_path, lifecycle_world())
    yield e
    e.close()


STEP1 = """
courses:
  - id: 100
    name: Algebra
    students: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    auditors: [{uid: 21, name: Aud 21}, {uid: 22, name: Aud 22}]
    lessons:
      - id: 1001
        students: [{uid: 50, name: Fifty, custom: A-1}, {uid: 51, name: Fiftyone}]
    groups:
      - name: A
        teams: [{leader: 1, members: [2, 3]}]
      - name: Adopted
        id: 777
        teams: [{leader: 4, members: [5]}]
  - id: 200
    students: [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45]
  - id: 300
    students: [60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75]
"""

STEP2 = """
courses:
  - id: 100
    name: Algebra
    students: [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 48]
    auditors: [{uid: 5, name: Was student}, {uid: 22, name: Aud 22}]
    lessons:
      - id: 1001
        students: [{uid: 50, name: Fifty, custom: A-1}, {uid: 148, name: Fiftytwo}]
      - id: 1002
        students: [{uid: 53, name: Fiftythree, custom: "9"}]
    groups:
      - name: A
        teams: [{leader: 1, members: [3, 6]}]
      - name: Adopted
        id: 777
        teams: [{leader: 4}]
      - name: B
        teams: [{leader: 7}, {leader: 8, members: [9]}]
  - id: 200
    students: [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45]
  - id: 300
    students: [60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75]
"""


def test_lifecycle(env):
    # 1. first apply from an empty state; a grouping made by hand is adopted by id
    env.write(STEP1)
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Apply complete" in r.stdout
    env.assert_converged()
    assert os.stat(env.state_path).st_mode & 0o777 == 0o600

    # 2. adds, removals, student <-> auditor both ways, lesson adds and removals,
    #    a group edited, a new group, the adopted group edited
    env.write(STEP2)
    plan = env.plan_json()
    reasons = {c["address"]: c.get("reason") for c in plan["changes"]}
    assert reasons["course/100/student/5"] == "switch"
    assert reasons["course/100/auditor/5"] == "switch"
    assert reasons["course/100/auditor/21"] == "switch"
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    env.assert_converged()

    # 3. rename a grouping by giving its id; delete another
    gid = env.state().courses[100].groups["A"].id
    env.write(STEP2.replace("      - name: A\n", f"      - name: A renamed\n        id: {gid}\n")
              .replace("      - name: B\n        teams: [{leader: 7}, {leader: 8, members: [9]}]\n",
                       ""))
    plan = env.plan_json()
    assert [c["action"] for c in plan["calls"]] == ["delCourseGroup", "editCourseGroup"]
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    env.assert_converged()
    assert env.state().courses[100].groups["A renamed"].id == gid

    # 4. a course removed from the configuration: refused by the guard, then allowed
    env.write(STEP2.split("  - id: 300")[0])
    before = env.sb.stats()["total"]
    r = env.apply()
    assert r.returncode == 3
    assert "course 300: 16 of 16 recorded members would be removed" in r.stderr
    assert "--allow-mass-removal" in r.stderr and "retired_courses" in r.stderr
    assert env.sb.stats()["total"] == before  # nothing was sent
    r = env.apply("--allow-mass-removal")
    assert r.returncode == 0, r.stdout + r.stderr
    assert env.sb.roster(300)["students"] == []
    assert 300 not in env.state().courses
    env.assert_converged()
    env.assert_no_secret_leaked()


def test_drift_is_adopted_and_removals_behind_our_back_converge(tmp_path):
    w = lifecycle_world()
    w["courses"][0].update({"students": [1, 2], "auditors": {21: "Aud 21"}, "groups": [],
                            "lessons": [{"id": 1001, "students": {50: {"name": "Fifty"}}}]})
    e = E2E(tmp_path, w)
    try:
        e.write("""
            courses:
              - id: 100
                students: [1, 2, 3]
                auditors: [{uid: 21, name: Aud 21}]
                lessons:
                  - id: 1001
                    students: [{uid: 50, name: Fifty}, {uid: 51, name: Fiftyone}]
        """)
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        assert "2 added" in r.stdout and "4 already as wanted" in r.stdout
        e.assert_converged()
        # someone removes a student and a lesson student by hand in ClassIn
        e.sb.call("delCourseStudent", courseId=100, identity=1, studentUid=3)
        e.sb.call("delClassStudentMultiple", courseId=100, classId=1001, identity=1,
                  studentUidJson=["51"])
        e.write("""
            courses:
              - id: 100
                students: [1, 2]
                auditors: [{uid: 21, name: Aud 21}]
                lessons:
                  - id: 1001
                    students: [{uid: 50, name: Fifty}]
        """)
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        assert "0 removed, 2 already as wanted" in r.stdout
        e.assert_converged()
    finally:
        e.close()


def _big_config(courses=6, students=40, first_course=100):
    lines = ["courses:"]
    for c in range(courses):
        lines.append(f"  - id: {first_course + c}")
        lines.append("    students: [" + ", ".join(
            str(1 + (c * 7 + i) % 280) for i in range(students)) + "]")
        lines.append(f"    auditors: [{{uid: {281 + c}, name: A{c}}}]")
    return "\n".join(lines) + "\n"


def _big_world(**course_extra):
    w = lifecycle_world()
    w["courses"] = [{"id": 100 + c, "capacity": 1000, **course_extra} for c in range(10)]
    return w


def _requests(stdout):
    import re

    m = re.search(r"\((\d+) request\(s\) with retries\)", stdout)
    return int(m.group(1)) if m else 0


def test_faults_converge_and_send_no_more_than_the_minimum_plus_retries(tmp_path):
    e = E2E(tmp_path, _big_world(), "--fault-rate", "0.1", "--drop-rate", "0.02",
            "--seed", "11", "--quiet")
    try:
        e.school = e.school.replace("retry:", "batch: {students: 4}\n  retry:")
        e.write(_big_config())
        requests_total = 0
        plans = []
        for _ in range(3):
            plan = e.plan_json()
            if not plan["changes"]:
                break
            plans.append(plan)
            # parallelism 1: the seeded faults then fall on the same calls every run
            r = e.apply("--parallelism", "1")
            requests_total += _requests(r.stdout)
            sent = int(r.stdout.split(" of ")[0].split()[-1])
            assert sent <= plan["summary"]["calls"]
        assert len(plans) <= 2, "did not converge in two runs"
        e.assert_converged()
        stats = e.sb.stats()
        assert stats["faults"] > 0 and stats["drops"] > 0
        assert stats["total"] == requests_total
        # every request beyond the planned calls was a retry of a transient answer
        assert stats["total"] - sum(p["summary"]["calls"] for p in plans) <= \
            stats["faults"] + stats["drops"]
        # a second run only did what the first left: it is a subset of the first plan
        if len(plans) == 2:
            first = {c["address"] for c in plans[0]["changes"]}
            assert {c["address"] for c in plans[1]["changes"]} <= first
        e.assert_no_secret_leaked()
    finally:
        e.close()


def test_kill_9_at_several_points_then_plan_and_apply_finish_the_job(tmp_path):
    e = E2E(tmp_path, _big_world(), "--latency-ms", "40", "--quiet")
    try:
        e.school = e.school.replace("retry:", "batch: {students: 3}\n  retry:")
        e.write(_big_config(courses=6, students=45))
        total_calls = e.plan_json()["summary"]["calls"]
        assert total_calls > 80
        parallelism = 2
        journal = e.state_path + ".journal"
        # killed on observed events, never on a timer: the first confirmed result
        # in the journal, then after 15 and 40 more calls reached the sandbox
        for point in ("journal", 15, 40):
            sent = e.sb.stats()["total"]
            p = e.popen("apply", e.dir, "--auto-approve", "--parallelism", str(parallelism))
            if point == "journal":
                wait_for(lambda: os.path.exists(journal) and os.path.getsize(journal) > 0,
                         what="a journal line")
            else:
                wait_for(lambda n=point, s=sent, proc=p: e.sb.stats()["total"] - s >= n or
                         proc.poll() is not None, what=f"{point} calls at the sandbox")
            assert p.poll() is None, "apply finished before the kill point"
            os.kill(p.pid, signal.SIGKILL)
            p.communicate()
            # the next command takes the lock at once (the kernel released it) and folds
            # the journal: everything confirmed is recorded, nothing recorded is false
            plan = e.plan_json()
            st = e.state()
            unrecorded = 0
            for cid, rec in st.courses.items():
                roster = e.sb.roster(cid)
                assert rec.students <= set(roster["students"])
                assert set(rec.auditors) <= {int(u) for u in roster["auditors"]}
                unrecorded += len(set(roster["students"]) - rec.students)
            # only calls in flight at the kill can be applied but unrecorded
            assert unrecorded <= parallelism * 3
            # and the plan is exactly config minus state
            left = {c["address"] for c in plan["changes"]}
            from eeo_reconcile.config.load import load_config

            config = load_config(e.dir)
            expected = set()
            for cid, spec in config.courses.items():
                rec = st.courses.get(cid)
                have = rec.students if rec else set()
                expected |= {f"course/{cid}/student/{u}" for u in set(spec.students) - have}
                have_a = rec.auditors if rec else {}
                expected |= {f"course/{cid}/auditor/{u}" for u in set(spec.auditors) - set(have_a)}
            assert left == expected
            assert not os.path.exists(e.state_path + ".journal")
        r = e.apply("--parallelism", "4")
        assert r.returncode == 0, r.stdout + r.stderr
        e.assert_converged()
    finally:
        e.close()


def test_two_applies_at_once(tmp_path):
    e = E2E(tmp_path, _big_world(), "--latency-ms", "100", "--quiet")
    try:
        e.school = e.school.replace("retry:", "batch: {students: 5}\n  retry:")
        e.write(_big_config(courses=4, students=30))
        first = e.popen("apply", e.dir, "--auto-approve", "--parallelism", "1")
        lock = e.state_path + ".lock"
        wait_for(lambda: os.path.exists(lock) and os.path.getsize(lock) > 0,
                 what="the first apply's lock")
        r = e.apply()
        assert r.returncode == 1
        assert "held by another process" in r.stderr
        assert f"PID:       {first.pid}" in r.stderr and "Operation: apply" in r.stderr
        r = e.apply("--lock-timeout", "120")
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, out + err
        assert r.returncode == 0, r.stdout + r.stderr
        assert "No changes." in r.stdout  # it waited, then found the work done
        e.assert_converged()
    finally:
        e.close()


def test_saved_plan_stale_or_edited_is_refused(env):
    env.write(STEP1)
    p1 = os.path.join(env.dir, "one.plan")
    assert env.plan("--out", p1).returncode == 0
    edited = os.path.join(env.dir, "edited.plan")
    with open(p1, encoding="utf-8") as fh:
        doc = json.load(fh)
    doc["changes"][0]["course"] = 300
    with open(edited, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    r = env.cli("apply", edited, "--config", env.dir)
    assert r.returncode == 1 and "altered" in r.stderr
    # applying the saved plan works without a prompt, exactly once
    r = env.cli("apply", p1, "--config", env.dir)
    assert r.returncode == 0, r.stdout + r.stderr
    env.assert_converged()
    r = env.cli("apply", p1, "--config", env.dir)
    assert r.returncode == 1 and "saved plan is stale: run plan again" in r.stderr
    env.assert_no_secret_leaked()


def test_wrong_secret_stops_at_the_first_call(env):
    env.write(STEP1)
    bad = {**env.env, "EEO_SECRET": "not-the-secret"}
    r = env.apply("--parallelism", "1", env=bad)
    assert r.returncode == 1
    assert "SID" in r.stdout and "secret" in r.stdout and "clock" in r.stdout
    assert env.sb.stats()["total"] == 1
    assert "not-the-secret" not in r.stdout + r.stderr
    assert env.state().courses == {}
    env.assert_no_secret_leaked()


def test_missing_secret_and_no_terminal(env):
    env.write(STEP1)
    no_secret = {k: v for k, v in env.env.items() if k != "EEO_SECRET"}
    r = env.cli("apply", env.dir, "--auto-approve", env=no_secret)
    assert r.returncode == 1 and "EEO_SECRET" in r.stderr
    r = env.cli("apply", env.dir)  # no terminal, no --auto-approve
    assert r.returncode == 1 and "no terminal" in r.stderr
    assert env.sb.stats()["total"] == 0


def test_per_member_failures_are_reported_and_do_not_stop_the_others(tmp_path):
    w = lifecycle_world()
    w["courses"] = [{"id": 100, "teachers": [9001], "capacity": 4}, {"id": 200}]
    e = E2E(tmp_path, w)
    try:
        e.write("""
            courses:
              - id: 100
                students: [1, 2, 3, 9001, 777777, 1999, 4, 5]
              - id: 200
                students: [10]
        """)
        r = e.apply()
        assert r.returncode == 1
        out = r.stdout
        assert "course/100/student/9001: addCourseStudentMultiple -> 129 (" in out
        assert "Course teachers cannot be set as students" in out
        assert "course/100/student/777777" in out and "228" in out
        assert "course/100/student/1999" in out and "886" in out
        assert "130" in out and "Exceeds the number of accounts" in out
        assert set(e.sb.roster(100)["students"]) == {1, 2, 3, 4}
        assert e.sb.roster(200)["students"] == [10]
        e.assert_state_matches_roster()
        left = {c["address"] for c in e.plan_json()["changes"]}
        assert left == {"course/100/student/9001", "course/100/student/777777",
                        "course/100/student/1999", "course/100/student/5"}
    finally:
        e.close()


def test_scope_failures_skip_the_rest_of_the_course_or_lesson(tmp_path):
    w = lifecycle_world()
    w["courses"] = [{"id": 100, "status": "expired"},
                    {"id": 200, "lessons": [{"id": 2001, "status": "finished"},
                                            {"id": 2002}]}]
    e = E2E(tmp_path, w)
    try:
        e.write("""
            courses:
              - id: 100
                students: [1, 2]
                auditors: [{uid: 3, name: x}]
              - id: 200
                students: [4]
                lessons:
                  - id: 2001
                    students: [{uid: 5, name: a}]
                  - id: 2002
                    students: [{uid: 6, name: b}]
        """)
        r = e.apply()
        assert r.returncode == 1
        assert "course/100: the rest was skipped after 153 (The course is expired" in r.stdout
        assert "(1 further call(s) not sent)" in r.stdout
        assert "course/200/lesson/2001/student/5: addClassStudentMultiple -> 145" in r.stdout
        assert e.sb.roster(200)["students"] == [4]
        # a lesson student's name is not sent: ClassIn shows the user's own (S6)
        assert e.sb.roster(200)["lessons"]["2002"] == {"6": {"name": "S6", "custom": None}}
    finally:
        e.close()


def _run_on_terminal(e, answer, timeout=60):
    """Run apply on a pseudo-terminal and type `answer` at the prompt."""
    import pty
    import select
    import subprocess
    import sys

    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "eeo_reconcile", "apply", e.dir],
                         stdin=slave, stdout=slave, stderr=slave, env=e.env, close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    answered = False
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if not answered and b"Only 'yes' will be accepted" in out:
                os.write(master, answer.encode() + b"\n")
                answered = True
        elif p.poll() is not None:
            break
    p.wait(timeout=10)
    os.close(master)
    text = out.decode("utf-8", "replace")
    e.outputs.append(text)
    return p.returncode, text


def test_apply_asks_on_a_terminal(env):
    env.write(STEP1)
    code, text = _run_on_terminal(env, "no")
    assert code == 1 and "apply cancelled" in text
    assert env.sb.stats()["total"] == 0
    code, text = _run_on_terminal(env, "yes")
    assert code == 0, text
    assert "Apply complete" in text
    env.assert_converged()
    env.assert_no_secret_leaked()


def test_group_saved_with_898_records_only_what_classin_kept(tmp_path):
    w = lifecycle_world()
    w["courses"] = [{"id": 100}]
    e = E2E(tmp_path, w)
    try:
        # 777777 is not a student of the school: its add fails (228), and ClassIn then
        # saves the grouping without it (898)
        e.write("""
            courses:
              - id: 100
                students: [1, 2, 777777]
                groups:
                  - name: G
                    teams: [{leader: 1, members: [2, 777777]}]
        """)
        r = e.apply()
        assert r.returncode == 1
        assert "228" in r.stdout and "898" in r.stdout
        rec = e.state().courses[100].groups["G"]
        assert [list(t.uids()) for t in rec.teams] == [[1, 2]]
        e.assert_state_matches_roster()
        left = {c["address"]: c["action"] for c in e.plan_json()["changes"]}
        assert left == {"course/100/student/777777": "add", "course/100/group/G": "change"}
    finally:
        e.close()


def test_a_rewritten_saved_plan_cannot_pass_the_guard(env):
    """Someone who can write the plan file but has no secret inserts the removal of
    a whole course and recomputes the (unkeyed) checksum: apply refuses the
    unsigned file, and with --allow-unsigned the guard, worked out again from the
    changes against the state, stops the removals the file said were fine."""
    import hashlib

    from eeo_reconcile.plan.encode import canonical

    env.write(STEP1)
    assert env.apply().returncode == 0
    plan_path = os.path.join(env.dir, "p.plan")
    assert env.plan("--out", plan_path).returncode == 0  # no changes: an empty plan
    with open(plan_path, encoding="utf-8") as fh:
        doc = json.load(fh)
    doc.pop("checksum")
    doc.pop("signature")
    uids = sorted(env.state().courses[200].students)
    doc["changes"] = [{"action": "remove", "course": 200, "type": "student", "uids": uids}]
    doc["plan"]["summary"].update(remove=len(uids), calls=-(-len(uids) // 30))
    doc["checksum"] = "sha256:" + hashlib.sha256(canonical(doc).encode()).hexdigest()
    with open(plan_path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    before = env.sb.stats()["total"]
    r = env.cli("apply", plan_path, "--config", env.dir)
    assert r.returncode == 1 and "not signed" in r.stderr, r.stdout + r.stderr
    r = env.cli("apply", plan_path, "--config", env.dir, "--allow-unsigned")
    assert r.returncode == 3 and "trips the guard" in r.stderr, r.stdout + r.stderr
    assert env.sb.stats()["total"] == before  # nothing was sent
    assert set(env.sb.roster(200)["students"]) == set(uids)


def test_a_saved_plan_cannot_choose_where_state_is_written_nor_be_changed_unsigned(env):
    import hashlib

    from eeo_reconcile.plan.encode import canonical

    env.write(STEP1)
    signed = os.path.join(env.dir, "signed.plan")
    r = env.plan("--out", signed)
    assert r.returncode == 0 and "signed with the school's secret" in r.stderr
    evil = os.path.join(env.tmp, "evil.state.json")
    with open(signed, encoding="utf-8") as fh:
        doc = json.load(fh)
    doc.pop("checksum")
    doc.pop("signature")
    doc["plan"]["state"]["ref"] = {"backend": "local", "path": evil}
    doc["checksum"] = "sha256:" + hashlib.sha256(canonical(doc).encode()).hexdigest()
    unsigned = os.path.join(env.dir, "unsigned.plan")
    with open(unsigned, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)  # indented: still a plan
    # from another directory, without --config: a clear error, nothing sent
    r = env.cli("apply", unsigned)
    assert r.returncode == 1 and "pass --config PATH" in r.stderr
    r = env.cli("apply", unsigned, "--config", env.dir)  # unsigned: refused
    assert r.returncode == 1 and "--allow-unsigned" in r.stderr, r.stdout + r.stderr
    r = env.cli("apply", unsigned, "--config", env.dir, "--allow-unsigned")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Warning: the saved plan is not signed" in r.stderr
    assert not os.path.exists(evil) and os.path.exists(env.state_path)
    env.assert_converged()
    # a signed plan applied with another school's secret is refused
    env.write(STEP2)
    assert env.plan("--out", signed).returncode == 0
    other = {**env.env, "EEO_SECRET": "another-schools-secret"}
    r = env.cli("apply", signed, "--config", env.dir, env=other)
    assert r.returncode == 1 and "not with this school's secret" in r.stderr
    r = env.cli("apply", signed, "--config", env.dir)
    assert r.returncode == 0, r.stdout + r.stderr
    env.assert_converged()
    env.assert_no_secret_leaked()


def test_the_plan_job_signs_with_a_plan_key_and_no_classin_secret(env):
    """The job that plans holds EEO_PLAN_KEY, not the ClassIn secret; the job that
    applies holds both; a plan key too short, or a secret too short for apply,
    never signs."""
    env.write(STEP1)
    plan_path = os.path.join(env.dir, "p.plan")
    key = "a-long-random-plan-key-0123456789"
    plan_job = {k: v for k, v in env.env.items() if k != "EEO_SECRET"}
    r = env.cli("plan", env.dir, "--out", plan_path, env={**plan_job, "EEO_PLAN_KEY": key})
    assert r.returncode == 0 and "signed with $EEO_PLAN_KEY" in r.stderr, r.stderr
    r = env.cli("apply", plan_path, "--config", env.dir)  # no plan key here
    assert r.returncode == 1 and "set $EEO_PLAN_KEY here" in r.stderr, r.stderr
    r = env.cli("apply", plan_path, "--config", env.dir,
                env={**env.env, "EEO_PLAN_KEY": "another-long-random-plan-key"})
    assert r.returncode == 1 and "not with $EEO_PLAN_KEY" in r.stderr, r.stderr
    r = env.cli("apply", plan_path, "--config", env.dir, env={**env.env, "EEO_PLAN_KEY": key})
    assert r.returncode == 0, r.stdout + r.stderr
    env.assert_converged()
    short = env.cli("plan", env.dir, "--out", plan_path, env={**plan_job, "EEO_PLAN_KEY": "x"})
    assert short.returncode == 1 and "shorter than 16" in short.stderr
    weak = env.cli("plan", env.dir, "--out", plan_path, env={**plan_job, "EEO_SECRET": "abc"})
    assert weak.returncode == 1 and "shorter than" in weak.stderr
    env.assert_no_secret_leaked()
    for out in env.outputs:
        assert key not in out


def test_a_lesson_student_without_a_name_and_a_changed_label_send_nothing_for_the_name(env):
    """ClassIn has not used a lesson student's name since 2020: none is sent; a
    changed one is a label, recorded without a call."""
    env.write("""
courses:
  - id: 100
    lessons:
      - id: 1001
        students: [{uid: 41, custom: A-1}, {uid: 42, name: Forty Two}]
""")
    assert env.apply().returncode == 0
    assert env.sb.roster(100)["lessons"]["1001"]["41"]["custom"] == "A-1"
    before = env.sb.stats()["total"]
    env.write("""
courses:
  - id: 100
    lessons:
      - id: 1001
        students: [{uid: 41, custom: A-1}, {uid: 42, name: Forty-Two}]
""")
    r = env.apply()
    assert r.returncode == 0 and "1 name(s) recorded" in r.stdout, r.stdout
    assert env.sb.stats()["total"] == before  # no call for a label
    assert env.state().courses[100].lessons[1001][42].name == "Forty-Two"
    assert env.plan().stdout.strip().endswith("No changes.")


def test_a_lesson_student_who_joins_the_course_is_not_taken_out_of_the_lesson(env):
    """delClassStudentMultiple takes a course student out of one lesson (调出生):
    a transfer student who joins the course ends a course student who sees
    every lesson (the order of the calls, the lesson removal first, is checked
    by tests/cases/plan/lesson-to-course-move.yaml)."""
    env.write("""
courses:
  - id: 100
    lessons:
      - id: 1001
        students: [{uid: 50, custom: T}]
""")
    assert env.apply().returncode == 0
    env.write("""
courses:
  - id: 100
    students: [50]
""")
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    roster = env.sb.roster(100)
    assert 50 in roster["students"] and roster["excluded"] == {}
    assert roster["lessons"]["1001"] == {}
    assert env.plan().stdout.strip().endswith("No changes.")


def test_outside_teaching_hours_apply_adds_and_holds_the_removals(tmp_path):
    import datetime as dt

    today = dt.datetime.now(dt.timezone.utc).weekday()
    # windows two and three days on: closed now, and still closed if midnight passes
    closed_today = sorted({(today + 2) % 7, (today + 3) % 7})
    days = ", ".join(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[d] for d in closed_today)
    school = SCHOOL_WITH_WINDOWS.replace("DAYS", days)
    e = E2E(tmp_path, lifecycle_world(), school=school)
    try:
        e.write("courses:\n  - id: 100\n    students: [1, 2, 3]\n")
        assert e.apply().returncode == 0  # adds: always
        e.write("courses:\n  - id: 100\n    students: [1, 40]\n")
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        assert "2 removal(s) held: outside school.apply_windows" in r.stdout, r.stdout
        assert set(e.sb.roster(100)["students"]) == {1, 2, 3, 40}  # added, nobody removed
        assert "- student 2" in e.plan().stdout  # still to do
        r = e.apply("--ignore-windows")
        assert r.returncode == 0 and "--ignore-windows" in r.stdout
        assert set(e.sb.roster(100)["students"]) == {1, 40}
        history = e.cli("history", "course/100/student/2", "--config", e.dir).stdout
        assert "apply --ignore-windows" in history
    finally:
        e.close()


SCHOOL_WITH_WINDOWS = """\
school:
  sid: 2339736
  retry: {attempts: 8, backoff_seconds: 0.02, deadline_seconds: 30, read_timeout: 10}
  timezone: UTC
  apply_windows:
    - {days: [DAYS], from: '00:00', to: '23:59'}
state:
  path: eeo.state.json
"""
