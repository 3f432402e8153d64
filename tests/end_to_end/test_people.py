"""New pupils: accounts registered, made school students with their names, and
enrolled in their courses in the same run, against the sandbox."""

import json
import os

import pytest

from tests.e2e import E2E
from tests.end_to_end.test_apply import lifecycle_world

SCHOOL = """\
school:
  sid: 2339736
  retry: {attempts: 8, backoff_seconds: 0.02, deadline_seconds: 30, read_timeout: 10}
  accounts: {register: true}
state:
  path: eeo.state.json
"""

PEOPLE = """
people:
  - {key: S1001, account: '13900000101', name: 王小明}
  - {key: S1002, account: 'kid2@example.cn', name: Li Na}
  - {key: S1003, account: '13800000070', name: Seventy}     # registered before: uid 70
  - {key: S1005, account: '13900000105', name: Transfer}
courses:
  - id: 100
    students: [1, 2, {person: S1001}, {person: S1003}]
    auditors: [{person: S1002, name: Parent Li}]
    lessons:
      - id: 1001
        students: [{person: S1005, custom: A-1}]
"""
ACCOUNTS = ("13900000101", "kid2@example.cn", "13800000070", "13900000105")


@pytest.fixture
def env(tmp_path):
    w = lifecycle_world()
    w["accounts"] = {"13800000070": 70}
    w["students"] = {u: n for u, n in w["students"].items() if u != 70}  # 70: not yet a student
    e = E2E(tmp_path, w, school=SCHOOL)
    yield e
    e.close()


def _no_account_anywhere(env):
    texts = list(env.outputs)
    for root, _, files in os.walk(env.dir):
        for f in files:
            if f.endswith(".yaml"):
                continue  # the configuration is where accounts live
            with open(os.path.join(root, f), "rb") as fh:
                texts.append(fh.read().decode("utf-8", "replace"))
    for t in texts:
        for a in ACCOUNTS:
            assert a not in t


def test_new_pupils_are_registered_made_students_named_and_enrolled_in_one_run(env):
    env.write(PEOPLE)
    r = env.plan("--detailed-exitcode")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "+ account S1001 (王小明) 139****0101" in r.stdout
    assert "course 100: student S1001 (王小明)" in r.stdout  # known after apply
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "accounts: 3 registered, 1 registered before (made school students), 1 console " \
           "name(s) set" in r.stdout, r.stdout
    school = env.sb.school()
    uid = {k: school["accounts"][a]
           for k, a in zip(("S1001", "S1002", "S1003", "S1005"), ACCOUNTS, strict=True)}
    assert uid["S1003"] == 70
    for key, name in (("S1001", "王小明"), ("S1002", "Li Na"), ("S1003", "Seventy")):
        assert school["students"][str(uid[key])] == name  # a school student, named
    roster = env.sb.roster(100)
    assert {1, 2, uid["S1001"], uid["S1003"]} <= set(roster["students"])
    assert roster["auditors"][str(uid["S1002"])] == "Parent Li"
    assert roster["lessons"]["1001"][str(uid["S1005"])] == {"name": "Transfer", "custom": "A-1"}
    st = env.state()
    assert {k: p.uid for k, p in st.people.items()} == uid
    assert all(p.account.startswith("h-") for p in st.people.values())
    r = env.plan("--detailed-exitcode")
    assert r.returncode == 0 and "No changes." in r.stdout, r.stdout + r.stderr
    shown = json.loads(env.cli("state", "show", "person/S1001", "--config", env.dir).stdout)
    assert shown == {"uid": uid["S1001"], "name": "王小明"}  # never the account
    assert "person/S1005" in env.cli("state", "list", "person/", "--config", env.dir).stdout
    _no_account_anywhere(env)


def test_registration_needs_the_consent_switch(env):
    env.school = SCHOOL.replace("  accounts: {register: true}\n", "")
    env.write(PEOPLE)
    r = env.plan("--detailed-exitcode")
    assert r.returncode == 3 and "school.accounts.register" in r.stdout
    r = env.apply()
    assert r.returncode == 3
    assert env.sb.stats()["total"] == 0  # nothing sent


def test_a_renamed_person_gets_one_edit_and_a_failed_one_fails_alone(env):
    env.write(PEOPLE.replace("courses:", "  - {key: S1004, account: '17000000001', name: "
                                          "Virtual}\ncourses:")
              + "  - id: 200\n    students: [3, {person: S1004}]\n")
    r = env.apply()
    assert r.returncode == 1, r.stdout + r.stderr  # S1004's number range is refused (288)
    assert "person/S1004: register -> The mobile phone number is illegal." in r.stdout
    assert set(env.sb.roster(200)["students"]) == {3}  # the others went on
    assert len(env.state().people) == 4
    env.write(PEOPLE.replace("name: Seventy", "name: Seventy Two")
              + "  - id: 200\n    students: [3]\n")
    r = env.plan()
    assert "~ console name of S1003" in r.stdout and "Seventy -> Seventy Two" in r.stdout
    before = env.sb.stats()["calls"].get("editSchoolStudent", 0)
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    assert env.sb.stats()["calls"]["editSchoolStudent"] == before + 1
    assert env.sb.school()["students"]["70"] == "Seventy Two"
    assert env.plan().stdout.strip().endswith("No changes.")


def test_the_saved_plan_round_trips_the_people_and_applies(env):
    env.write(PEOPLE)
    path = os.path.join(env.dir, "p.plan")
    r = env.plan("--out", path)
    assert r.returncode == 0, r.stderr
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    assert [a["account"] for a in doc["plan"]["accounts"]] == [
        "139****0101", "k***@example.cn", "138****0070", "139****0105"]
    r = env.cli("show", path)
    assert "+ account S1002 (Li Na) k***@example.cn" in r.stdout
    r = env.cli("apply", path, "--config", env.dir, "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    from eeo_reconcile.schemas import validator

    report = json.loads(r.stdout)
    assert list(validator("apply-report.schema.json").iter_errors(report)) == []
    assert report["accounts"] == {"registered": 3, "existed": 1, "renamed": 1, "calls": 2}
    st, roster = env.state(), env.sb.roster(100)
    assert set(roster["students"]) == st.courses[100].students
    assert {int(k): v for k, v in roster["auditors"].items()} == st.courses[100].auditors
    assert env.plan().stdout.strip().endswith("No changes.")
    _no_account_anywhere(env)


def test_lost_registration_answers_converge_with_one_account_one_uid(tmp_path):
    """registerMultiple answers dropped (applied, no answer), and the client's quick
    resend refused 101003002: the people fail this run, are registered again by
    the next, and every account has one uid, the one recorded."""
    w = lifecycle_world()
    w["accounts"] = {"13800000070": 70}
    e = E2E(tmp_path, w, "--drop-rate", "0.5", "--drop-actions", "registerMultiple",
            "--seed", "3", school=SCHOOL)
    try:
        e.write(PEOPLE)
        codes = [e.apply().returncode for _ in range(6)]
        assert codes[-1] == 0, codes
        assert 1 in codes  # some run met a lost answer (the seed makes sure)
        school = e.sb.school()
        st = e.state()
        for key, account in zip(("S1001", "S1002", "S1003", "S1005"), ACCOUNTS, strict=True):
            assert st.people[key].uid == school["accounts"][account]
        assert len(set(school["accounts"].values())) == len(school["accounts"])
        r = e.plan("--detailed-exitcode")
        assert r.returncode == 0, r.stdout
    finally:
        e.close()


def test_a_kill_between_registration_and_the_course_adds_loses_nothing(env):
    from tests.helpers import wait_for

    env.sb.stop()
    w = lifecycle_world()
    w["accounts"] = {"13800000070": 70}
    from tests.sandbox_proc import SandboxProc
    os.makedirs(os.path.join(env.tmp, "sb2"))
    env.sb = SandboxProc(os.path.join(env.tmp, "sb2"), w, "--latency-ms", "400")
    env.env["EEO_API_URL"] = env.sb.url
    env.write(PEOPLE)
    p = env.popen("apply", env.dir, "--auto-approve")
    wait_for(lambda: env.sb.stats()["calls"].get("editSchoolStudent", 0) >= 1, 30,
             "the registrations answered (an existing account's name being set)")
    p.kill()
    p.communicate()
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    school = env.sb.school()
    st = env.state()
    for key, account in zip(("S1001", "S1002", "S1003", "S1005"), ACCOUNTS, strict=True):
        assert st.people[key].uid == school["accounts"][account]
    assert st.people["S1001"].uid in env.sb.roster(100)["students"]
    assert env.plan("--detailed-exitcode").returncode == 0



def test_a_changed_account_is_a_finding_then_moves_the_pupil_to_the_new_account(env):
    env.write(PEOPLE)
    assert env.apply().returncode == 0
    old = env.state().people["S1001"].uid
    changed = PEOPLE.replace("'13900000101'", "'13900000111'")
    env.write(changed)
    r = env.plan("--detailed-exitcode")
    assert r.returncode == 3, r.stdout
    assert "person S1001: the account changed" in r.stdout
    assert env.apply().returncode == 3  # refused: nothing sent
    r = env.apply("--allow-uid-change")
    assert r.returncode == 0, r.stdout + r.stderr
    new = env.state().people["S1001"].uid
    assert new != old and new == env.sb.school()["accounts"]["13900000111"]
    students = env.sb.roster(100)["students"]
    assert new in students and old not in students
    assert env.plan("--detailed-exitcode").returncode == 0


def test_a_changed_account_that_cannot_be_registered_keeps_the_old_one(env):
    env.write(PEOPLE)
    assert env.apply().returncode == 0
    old = env.state().people["S1001"].uid
    env.write(PEOPLE.replace("'13900000101'", "'17000000111'"))  # a range ClassIn refuses
    r = env.apply("--allow-uid-change")
    assert r.returncode == 1 and "person/S1001" in r.stdout, r.stdout + r.stderr
    assert old in env.sb.roster(100)["students"]  # not removed: nothing replaces it
    assert env.state().people["S1001"].uid == old


def test_registrations_answered_a_transient_errno_to_the_end_fail_alone(tmp_path):
    """registerMultiple answered 114 on every attempt: each person fails with the
    errno, nothing is recorded for them, no course add is sent for them."""
    w = lifecycle_world()
    e = E2E(tmp_path, w, "--fault-rate", "1", "--fault-errnos", "114", school=SCHOOL.replace(
        "attempts: 8", "attempts: 2"))
    try:
        e.write(PEOPLE)
        r = e.apply()
        assert r.returncode == 1, r.stdout + r.stderr
        assert "person/S1001: register -> Server exception." in r.stdout
        assert e.state().people == {}
        registered = e.sb.school()["accounts"]
        assert not {"13900000101", "kid2@example.cn", "13900000105"} & registered.keys()
    finally:
        e.close()
