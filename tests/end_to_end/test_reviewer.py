"""Plans a reviewer can trust, end to end against the sandbox: names in every
line, the uid-typo guard, adds before removals with held removals, the 130
retry, term-end operations in YAML, redaction."""

import json
import re

import pytest

from tests.e2e import E2E
from tests.sandbox_proc import world_doc

OTHERS = list(range(3000101, 3000111))  # ten classmates


def world(capacity=1000):
    w = world_doc()
    w["students"] = {u: f"S{u}" for u in [*OTHERS, 3000198, 3000199, 3000200]}
    w["courses"] = [{"id": 442447, "capacity": capacity},
                    {"id": 880002, "capacity": 1000, "lessons": [{"id": 77}]}]
    return w


def courses(uid, extra="", safety=""):
    return f"""
courses:
  - id: 442447
    name: Algebra I
{safety}    students:
      - {{uid: {uid}, name: 徐丽}}
{"".join(f"      - {{uid: {u}, name: Student {u}}}" + chr(10) for u in OTHERS)}
{extra}"""


@pytest.fixture
def env(tmp_path):
    e = E2E(tmp_path, world())
    yield e
    e.close()


def test_a_typo_in_a_uid_is_refused_and_with_the_hold_never_costs_the_student_the_class(env):
    env.write(courses(3000198))
    assert env.apply().returncode == 0
    env.write(courses(30001988))  # the typo: 30001988 is no student of the school

    r = env.plan()
    assert "- student 3000198 (徐丽)" in r.stdout  # the removal names who
    assert "+ student 30001988 (徐丽)" in r.stdout
    assert "uid 3000198 (徐丽) is removed and uid 30001988 (徐丽) is added: a typo?" in r.stdout
    assert "Guard: apply will refuse this plan" in r.stdout
    md = env.plan("--format", "markdown").stdout
    assert "[!CAUTION]" in md

    r = env.apply()
    assert r.returncode == 3, r.stdout + r.stderr
    assert "a typo?" in r.stderr and "Nothing was sent" in r.stderr
    assert 3000198 in env.sb.roster(442447)["students"]

    # allowed, the add goes first, fails (228), and the removal is held back
    r = env.apply("--allow-uid-change")
    assert r.returncode == 1
    assert "1 removal(s) in course 442447 held back because 1 add(s) failed" in r.stdout
    assert 3000198 in env.sb.roster(442447)["students"]
    assert 3000198 in env.state().courses[442447].students

    # what happened before: the removal runs, and the real student loses the class
    r = env.apply("--allow-uid-change", "--no-hold")
    assert r.returncode == 1
    assert 3000198 not in env.sb.roster(442447)["students"]


def test_an_acknowledged_uid_change_is_allowed_in_the_yaml(env):
    env.write(courses(3000198))
    assert env.apply().returncode == 0
    env.write(courses(3000199, safety="    safety:\n"
                                      "      uid_changes: [{from: 3000198, to: 3000199}]\n"))
    r = env.plan()
    assert "allowed by safety.uid_changes on the course" in r.stdout
    assert "apply will refuse" not in r.stdout
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    students = env.sb.roster(442447)["students"]
    assert 3000199 in students and 3000198 not in students
    env.assert_converged()


def test_a_full_course_gets_its_removals_first_then_the_adds_once_more(tmp_path):
    e = E2E(tmp_path, world(capacity=11))
    try:
        e.write(courses(3000198))
        assert e.apply().returncode == 0  # 11 students: the course is full
        e.write(courses(3000198).replace("      - {uid: 3000101, name: Student 3000101}\n",
                                         "      - {uid: 3000200, name: New}\n"))
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        assert "1 add(s) sent again after the course's removals (course full)" in r.stdout
        # the plan's calls and the one sent again, told apart ("3 of 2 call(s) sent")
        assert "2 of 2 call(s) sent and 1 sent again" in r.stdout, r.stdout
        e.assert_converged()
    finally:
        e.close()


def test_names_everywhere_and_a_vanished_course_points_to_retired_courses(env):
    big = "\n".join(f"      - {{uid: {u}, name: Bio {u}}}" for u in OTHERS)
    env.write(courses(3000198, f"  - id: 880002\n    name: Biology\n    students:\n{big}\n"
                               "    lessons:\n      - id: 77\n        name: Week 7\n"
                               "        students: [{uid: 3000199, name: Lesson Kid}]\n"))
    assert env.apply().returncode == 0
    st = env.state()
    assert st.courses[880002].name == "Biology"
    assert st.courses[880002].labels[3000101] == "Bio 3000101"
    assert st.courses[880002].lesson_names[77] == "Week 7"
    env.write(courses(3000198))
    r = env.plan()
    assert "course 880002 (Biology)" in r.stdout
    assert "- student 3000101 (Bio 3000101)" in r.stdout
    assert "- lesson 77 (Week 7) student 3000199 (Lesson Kid)" in r.stdout
    assert "list it under `retired_courses:`" in r.stdout
    assert env.apply().returncode == 3


def test_retired_courses_forget_and_remove_members_are_reviewed_in_yaml(env):
    big = "\n".join(f"      - {{uid: {u}}}" for u in OTHERS)
    env.write(courses(3000198, f"  - id: 880002\n    name: Biology\n    students:\n{big}\n"))
    assert env.apply().returncode == 0
    calls_before = env.sb.stats()["calls"]

    env.write(courses(3000198, "retired_courses:\n  - {id: 880002, action: forget}\n"))
    r = env.plan()
    assert "course 880002 (Biology): stop managing it" in r.stdout
    assert "1 course to stop managing" in r.stdout and "apply will refuse" not in r.stdout
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    assert 880002 not in env.state().courses
    assert env.sb.stats()["calls"] == calls_before  # nothing sent to ClassIn
    assert set(env.sb.roster(880002)["students"]) == set(OTHERS)
    assert "No changes." in env.plan().stdout

    # bring it back under management, then retire it by removing everyone
    env.write(courses(3000198, f"  - id: 880002\n    name: Biology\n    students:\n{big}\n"))
    assert env.apply().returncode == 0
    env.write(courses(3000198, "retired_courses:\n  - {id: 880002, action: remove_members}\n"))
    r = env.plan()
    assert "allowed by retired_courses (remove_members)" in r.stdout
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    assert env.sb.roster(880002)["students"] == []
    assert "No changes." in env.plan().stdout


def test_redaction_hides_names_and_uids_in_every_output(env):
    env.write(courses(3000198))
    for args in (("--redact", "all"), ("--redact", "all", "--format", "json"),
                 ("--redact", "all", "--format", "markdown")):
        out = env.plan(*args).stdout
        assert "徐丽" not in out and "3000198" not in out and "Student 3000101" not in out
        assert "徐**" in out
    hashes = set(re.findall(r"u-[a-z2-7]{8}", env.plan("--redact", "all").stdout))
    assert len(hashes) == 11  # one per student, stable within and across runs
    assert hashes == set(re.findall(r"u-[a-z2-7]{8}", env.plan("--redact", "all").stdout))
    doc = json.loads(env.plan("--redact", "names", "--format", "json").stdout)
    assert doc["redacted"] == "names" and doc["changes"][0]["uid"] == 3000101

    # the school's setting cannot be forgotten by CI; the flag can only tighten it
    env.school = env.school.replace("  retry:", "  privacy: {redact: names}\n  retry:", 1)
    env.write(courses(3000198))
    out = env.plan().stdout
    assert "徐丽" not in out and "3000198" in out
    r = env.apply()
    assert r.returncode == 0 and "徐丽" not in r.stdout
    saved = env.cli("plan", env.dir, "--out", f"{env.dir}/p.json")
    assert saved.returncode == 0
    with open(f"{env.dir}/p.json", encoding="utf-8") as fh:
        assert "unredacted" in fh.read()  # the saved plan keeps full data, and says so
