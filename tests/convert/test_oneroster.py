"""convert oneroster: the fixture's enrolments, computed independently here,
deterministic output, located errors, and the output directory's rules."""

import csv
import datetime as dt
import json
import os
import random
import shutil

import pytest
from click.testing import CliRunner

from eeo_reconcile.cli import main
from eeo_reconcile.config.load import load_config
from eeo_reconcile.convert import OneRosterOptions, convert_csv, convert_oneroster
from eeo_reconcile.errors import ConfigError
from tests.conftest import CASES
from tests.helpers import write_tree

FIX = os.path.join(CASES, "oneroster")
NIGHT1 = os.path.join(FIX, "night1")
OPTS = OneRosterOptions(course_map=os.path.join(FIX, "course-map.csv"),
                        user_map=os.path.join(FIX, "user-map.csv"), auditors="guardians",
                        as_of=dt.date(2026, 11, 25))


def _rows(directory, name):
    with open(os.path.join(directory, name), encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def expected_enrolments(directory, as_of="2026-11-25"):
    """What the fixture says, worked out plainly: course -> (students, auditors)."""
    course_map = {r["classSourcedId"]: int(r["courseId"])
                  for r in _rows(FIX, "course-map.csv")}
    user_map = {r["userSourcedId"]: int(r["uid"]) for r in _rows(FIX, "user-map.csv")}
    classes = {}
    for r in _rows(directory, "classes.csv"):
        cid = r["metadata.classin.courseId"] or course_map.get(r["sourcedId"])
        if r["status"] != "tobedeleted" and cid:
            classes[r["sourcedId"]] = int(cid)
    users = {}
    for r in _rows(directory, "users.csv"):
        uid = None
        for part in r["userIds"].split(","):
            if part.strip().startswith("{ClassIn:"):
                uid = int(part.strip()[9:-1])
        uid = uid or (int(r["metadata.classin.uid"]) if r["metadata.classin.uid"] else None)
        uid = uid or user_map.get(r["sourcedId"])
        users[r["sourcedId"]] = r | {"uid": uid}
    out = {}
    for e in _rows(directory, "enrollments.csv"):
        u = users.get(e["userSourcedId"])
        if (e["status"] == "tobedeleted" or e["role"] != "student"
                or e["classSourcedId"] not in classes or u is None or u["uid"] is None
                or u["status"] == "tobedeleted" or u["role"] != "student"
                or (e["beginDate"] and e["beginDate"] > as_of)
                or (e["endDate"] and e["endDate"] < as_of)):
            continue
        students, auditors = out.setdefault(classes[e["classSourcedId"]], (set(), set()))
        students.add(u["uid"])
        for g in users.values():
            linked = (g["sourcedId"] in u["agentSourcedIds"].split(",")
                      or u["sourcedId"] in g["agentSourcedIds"].split(","))
            name = g["givenName"] + " " + g["familyName"]
            if linked and g["role"] in ("guardian", "parent") and g["uid"] and len(name) <= 24:
                auditors.add(g["uid"])
    return out


def test_the_fixture_converts_to_the_enrolments_it_holds(tmp_path):
    out = str(tmp_path / "gen")
    report = convert_oneroster(NIGHT1, out, OPTS)
    (tmp_path / "gen" / "school.yaml").write_text("school: {sid: 1}\n")
    config = load_config(out)
    got = {cid: (set(c.students), set(c.auditors)) for cid, c in config.courses.items()}
    assert got == expected_enrolments(NIGHT1)
    assert config.courses[442447].students[3000101] == "李小明"  # CJK: family name first
    assert config.courses[442448].auditors == {5000001: "李大伟", 5000003: "Li Zhang"}
    assert config.courses[442450].name == "History, Spring"
    j = report.to_json(verbose=True)
    assert j["converted"] == {"courses": 3, "students": 6, "auditors": 4, "lesson_students": 0,
                              "people": 0}
    assert j["skipped"] == {"auditor name over 24 characters": 1,
                            "class without a ClassIn course id": 1,
                            "user without a ClassIn uid": 1}
    assert j["details"]["class without a ClassIn course id"] == ["class cls-art"]
    assert j["ignored"]["status tobedeleted"] == 3


def _shuffled_copy(src, dst, seed):
    os.makedirs(dst)
    rnd = random.Random(seed)
    for name in os.listdir(src):
        with open(os.path.join(src, name), encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        head, body = rows[0], rows[1:]
        if name != "manifest.csv":
            rnd.shuffle(body)
        with open(os.path.join(dst, name), "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh, lineterminator="\r\n").writerows([head, *body])


def _bytes(d):
    return {n: open(os.path.join(d, n), "rb").read() for n in sorted(os.listdir(d))}


def test_conversion_is_deterministic_whatever_the_row_order(tmp_path):
    convert_oneroster(NIGHT1, str(tmp_path / "a"), OPTS)
    r = convert_oneroster(NIGHT1, str(tmp_path / "a"), OPTS)
    assert r.written == [] and r.unchanged == 3  # nothing rewritten
    for seed in (1, 2, 3):
        _shuffled_copy(NIGHT1, str(tmp_path / f"s{seed}"), seed)
        convert_oneroster(str(tmp_path / f"s{seed}"), str(tmp_path / f"b{seed}"), OPTS)
        assert _bytes(tmp_path / f"b{seed}") == _bytes(tmp_path / "a")


def test_term_and_grouping_by_org(tmp_path):
    opts = OneRosterOptions(**{**OPTS.__dict__, "term": "t1", "group_by": "org"})
    r = convert_oneroster(NIGHT1, str(tmp_path / "o"), opts)
    assert r.written == ["org-org-1.yaml"] and r.skipped["class of another term"] == 1
    text = (tmp_path / "o" / "org-org-1.yaml").read_text()
    assert "442447" in text and "442448" in text and "442450" not in text
    # a term given by its school year takes the terms below it
    opts = OneRosterOptions(**{**OPTS.__dict__, "term": "y2026"})
    assert convert_oneroster(NIGHT1, str(tmp_path / "y"), opts).courses == 3


def test_every_problem_of_an_export_is_located_and_reported_at_once(tmp_path):
    d = tmp_path / "bad"
    shutil.copytree(NIGHT1, d)
    (d / "manifest.csv").write_text((d / "manifest.csv").read_text().replace(
        "file.users,bulk", "file.users,delta"))
    (d / "classes.csv").write_text((d / "classes.csv").read_text(encoding="utf-8-sig")
                                   .replace(",442447\n", ",44x\n"))
    (d / "enrollments.csv").write_text((d / "enrollments.csv").read_text().replace(
        "e06,active,,cls-bio,org-1,stu-1,student,false,,", "e06,active,,cls-bio,org-1,stu-1,"
        "student,false,,15/01/2027"))
    (d / "users.csv").write_bytes(b"\xff\xfe bad")
    with pytest.raises(ConfigError) as info:
        convert_oneroster(str(d), str(tmp_path / "o"), OPTS)
    got = {(os.path.basename(x.location.file), x.location.line, x.location.column): x.message
           for x in info.value.diagnostics}
    assert "file.users is 'delta'" in got[("manifest.csv", 16, 2)]
    assert "is not a positive number" in got[("classes.csv", 2, 15)]
    assert "is not a date" in got[("enrollments.csv", 7, 10)]
    assert "not UTF-8" in got[("users.csv", 1, 1)]
    assert not os.path.exists(tmp_path / "o")  # nothing written


def test_a_missing_column_and_a_missing_file(tmp_path):
    d = tmp_path / "bad"
    shutil.copytree(NIGHT1, d)
    (d / "enrollments.csv").write_text("sourcedId,classSourcedId,role\n")
    os.unlink(d / "manifest.csv")
    with pytest.raises(ConfigError) as info:
        convert_oneroster(str(d), str(tmp_path / "o"), OPTS)
    text = info.value.render()
    assert "enrollments.csv:1:1: error: the header lacks the column(s) userSourcedId" in text
    assert "manifest.csv:1:1: error: this file" in text


def test_the_output_never_touches_hand_kept_files_and_prunes_only_when_asked(tmp_path):
    out = tmp_path / "o"
    convert_oneroster(NIGHT1, str(out), OPTS)
    (out / "hand.yaml").write_text("courses: []\n")
    (out / "course-999.yaml").write_text((out / "course-442447.yaml").read_text())
    r = convert_oneroster(NIGHT1, str(out), OPTS)
    assert r.stale == ["course-999.yaml"] and (out / "course-999.yaml").exists()
    r = convert_oneroster(NIGHT1, str(out), OPTS, prune=True)
    assert r.removed == ["course-999.yaml"] and not (out / "course-999.yaml").exists()
    assert (out / "hand.yaml").exists()
    (out / "course-442447.yaml").write_text("# mine\ncourses: []\n")
    with pytest.raises(ConfigError) as info:
        convert_oneroster(NIGHT1, str(out), OPTS)
    assert "was not generated by convert: refusing to overwrite it" in info.value.render()


def test_cli_report_formats_and_strict(tmp_path):
    args = ["convert", "oneroster", NIGHT1, "--out", str(tmp_path / "o"), "--as-of",
            "2026-11-25", "--course-map", os.path.join(FIX, "course-map.csv")]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0 and "Converted 3 course(s)" in r.output
    assert "user without a ClassIn uid" in r.output
    r = CliRunner().invoke(main, [*args, "--format", "json"])
    assert json.loads(r.output)["converted"]["courses"] == 3
    assert CliRunner().invoke(main, [*args, "--strict"]).exit_code == 1


def test_convert_csv_writes_the_same_kind_of_files(tmp_path):
    src = tmp_path / "r.csv"
    src.write_text("course_id,role,uid,name,lesson_id,custom\n5,student,2,Bo,,\n"
                   "5,student,1,Ann,,\n5,auditor,9,Parent,,\n5,lesson_student,7,Kid,70,A-1\n")
    r = convert_csv([str(src)], str(tmp_path / "o"))
    assert r.written == ["course-5.yaml"] and r.lesson_students == 1
    (tmp_path / "o" / "school.yaml").write_text("school: {sid: 1}\n")
    c = load_config(str(tmp_path / "o")).courses[5]
    assert c.students == {1: "Ann", 2: "Bo"} and c.auditors == {9: "Parent"}
    assert c.lessons[70][7].custom == "A-1"


def test_a_generated_file_and_a_hand_kept_file_make_one_course(tmp_path):
    out = tmp_path / "cfg" / "generated"
    convert_oneroster(NIGHT1, str(out), OPTS)
    write_tree(str(tmp_path / "cfg"), {
        "school.yaml": "school: {sid: 1}\n",
        "hand/algebra.yaml": "courses:\n  - id: 442447\n    part: hand\n    groups:\n"
                             "      - name: Pairs\n"
                             "        teams: [{leader: 3000101, members: [3000102]}]\n",
    })
    c = load_config(str(tmp_path / "cfg")).courses[442447]
    assert c.groups[0].name == "Pairs" and 3000103 in c.students


def test_prune_retires_the_courses_the_source_no_longer_has(tmp_path):
    """A course gone from the source is listed under retired_courses in a generated
    file (reviewed in the pull request; the guard allows its removals), not dropped
    from the configuration unreviewed; back in the source, it leaves that list."""
    def export(*courses):
        src = tmp_path / "r.csv"
        src.write_text("course_id,role,uid,name,lesson_id,custom\n"
                       + "".join(f"{c},student,{c * 10 + 1},,,\n" for c in courses))
        return [str(src)]

    out = tmp_path / "o"
    convert_csv(export(5, 6, 7), str(out), prune=True)
    assert not (out / "retired.yaml").exists()
    r = convert_csv(export(5), str(out), prune=True)
    assert "retired.yaml" in r.written and {"course-6.yaml", "course-7.yaml"} <= set(r.removed)
    text = (out / "retired.yaml").read_text()
    assert "- {id: 6, action: remove_members}" in text and "id: 7," in text
    (out / "school.yaml").write_text("school: {sid: 1}\n")
    config = load_config(str(out))
    assert set(config.courses) == {5} and set(config.retired) == {6, 7}
    convert_csv(export(5, 7), str(out), prune=True)  # 7 is back, 6 stays retired
    assert set(load_config(str(out)).retired) == {6}
    r = convert_csv(export(5, 6, 7), str(out), prune=True)
    assert "retired.yaml" in r.removed and not (out / "retired.yaml").exists()


@pytest.mark.parametrize("planted", [
    "courses: &a [*a]\n",  # a recursive alias
    "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
    "courses: [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n",  # an alias bomb
    "courses: [{id: [1]}, {id: -3}, 5, {id: 99999999999999999999999}]\n",  # wrong types
    "courses: [\n",  # truncated
    "\xff\xfe c\x00o\x00",  # another encoding
])
def test_a_planted_generated_file_never_hangs_prune_nor_retires_what_it_names(tmp_path,
                                                                              planted):
    """Files marked generated come from the repository, so from a pull request:
    --prune reads them with the configuration's own bounded loader, and one that
    is not what convert writes counts for nothing."""
    src = tmp_path / "r.csv"
    src.write_text("course_id,role,uid,name,lesson_id,custom\n5,student,51,,,\n")
    out = tmp_path / "o"
    out.mkdir()
    (out / "course-9.yaml").write_bytes(
        ("# eeo-reconcile-generated: csv\n" + planted).encode("utf-8", "surrogateescape"))
    r = convert_csv([str(src)], str(out), prune=True)
    assert "course-9.yaml" in r.removed and not (out / "retired.yaml").exists()
