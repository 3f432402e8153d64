"""Under `redact: all` no command shows a person's uid or whole name, nor the
salt, on stdout or stderr: the commands are walked from the command group (a
new one without a case here fails), each run on good and bad input."""

import json
import os
import shutil

import click
import pytest
from click.testing import CliRunner

from eeo_reconcile.cli import main
from tests.conftest import EXAMPLES
from tests.helpers import write_tree

UIDS = ("3000114", "3000221", "3000115", "3000999", "3000777")
NAMES = ("Zhang Weiming", "Parent Lihua", "Wang Fangfang", "Ghost Kid", "Nobody Known")

CONFIG = """
    school: {sid: 2339736, secret_env: EEO_TEST_NO_SECRET}
    state: {path: eeo.state.json}
    courses:
      - id: 442447
        name: Algebra I
        students:
          - {uid: 3000114, name: Zhang Weiming}
          - {uid: 3000115, name: Wang Fangfang}
        auditors:
          - {uid: 3000221, name: Parent Lihua}
        groups:
          - name: Team A
            teams: [{leader: 3000114, members: [3000115]}]
"""
BROKEN = """
    school: {sid: 2339736}
    courses:
      - id: 442447
        students: [3000999, 3000999, {uid: 3000777, name: 7}]
        auditors: [{uid: "Nobody Known"}]
"""
ROSTER = ("course_id,role,uid,name,lesson_id,custom\n"
          "442447,student,3000114,Zhang Weiming,,\n"
          "442447,student,3000999,Ghost Kid,,\n"
          "442447,auditor,3000221,Parent Lihua,,\n")
BAD_ROSTER = ("course_id,role,uid,name,lesson_id,custom\n"
              "442447,student,3000999,Ghost Kid,,\n"
              "442447,student,3000999,Nobody Known,,\n"
              "442447,auditor,3000777,,,\n")


# read no configuration: only --redact / EEO_REDACT can ask them to redact
NO_CONFIG = {("convert", "csv"), ("convert", "oneroster"), ("sandbox",)}


def commands(group=main, prefix=()):
    for name, c in group.commands.items():
        if isinstance(c, click.Group):
            yield from commands(c, (*prefix, name))
        else:
            yield (*prefix, name), c


@pytest.fixture
def world(tmp_path):
    d = tmp_path / "school"
    write_tree(str(d), {"school.yaml": CONFIG, "roster.csv": ROSTER,
                        "bad.csv": BAD_ROSTER})
    write_tree(str(tmp_path / "broken"), {"a.yaml": BROKEN})
    shutil.copytree(os.path.join(os.path.dirname(EXAMPLES), "..", "tests", "cases",
                                 "oneroster", "night1"), tmp_path / "or")
    r = _run(["import", str(d / "roster.csv"), "--config", str(d)], redact=None)
    assert r.exit_code == 0, r.output
    # a registered person, with its history event (person/KEY)
    from eeo_reconcile.model import StateRef
    from eeo_reconcile.state.history import events_from_ops
    from eeo_reconcile.state.local import LocalStore
    from eeo_reconcile.state.ops import person_op
    from eeo_reconcile.state.records import PersonRecord

    store = LocalStore(StateRef.of("local", path=str(d / "eeo.state.json")))
    with store.lock("test"):
        st = store.read()
        op = person_op("S777", PersonRecord(3000777, "Nobody Known", "h-" + "a" * 24))
        ev = events_from_ops(st, [op])
        st.apply(op)
        store.write(st, ev)
    salt = json.loads((d / "eeo.state.json").read_text())["salt"]
    return d, tmp_path, salt


def _run(args, redact="all", **env):
    e = {"EEO_REDACT": redact} if redact else {}
    return CliRunner().invoke(main, args, env={**e, **env}, catch_exceptions=False)


def cases(d, tmp):
    """Each command's runs: good input (people in the output) and bad (in errors)."""
    c = ["--config", str(d)]
    plan = str(tmp / "p.plan")
    return {
        ("validate",): [[str(d)], [str(tmp / "broken")]],
        ("plan",): [[str(d)], [str(d), "--format", "json"], [str(d), "--format", "markdown"],
                    [str(d), "--out", plan], [str(d), "--target", "course/442447/student/3000999"],
                    [str(d), "--target", "course/442447/student/3000999", "--format", "json"],
                    [str(tmp / "broken")]],
        ("show",): [[plan], [plan, "--format", "json"]],
        ("apply",): [[str(d)], [plan], [str(tmp / "broken")]],
        ("import",): [[str(d / "roster.csv"), *c, "--dry-run"],
                      [str(d / "roster.csv"), *c, "--dry-run", "--format", "json"],
                      [str(d / "bad.csv"), *c]],
        ("convert", "csv"): [[str(d / "roster.csv"), "--out", str(tmp / "out"), "-v"],
                             [str(d / "roster.csv"), "--out", str(tmp / "out"), "--format",
                              "json", "-v"],
                             [str(d / "bad.csv"), "--out", str(tmp / "out2")]],
        ("convert", "oneroster"): [[str(tmp / "or"), "--out", str(tmp / "or-out"), "-v"]],
        ("history",): [[*c], ["course/442447/student/3000114", *c], [*c, "--format", "json"],
                       ["person", *c],
                       [*c, "--format", "csv"], ["course/442447/student/3000555", *c]],
        ("state", "list"): [[*c]],
        ("state", "show"): [["course/442447", *c], ["course/442447/student/3000114", *c],
                            ["course/442447/auditor/3000221", *c], ["person/S777", *c],
                            ["course/442447/student/3000555", *c]],
        ("state", "pull"): [[*c]],
        ("state", "diff"): [["backup", *c], ["backup", *c, "--format", "json"]],
        ("state", "rm"): [["course/442447/student/3000999", *c],
                          ["course/442447/student/3000999", *c]],
        ("state", "set-group-id"): [["course/442447/group/Team A", "5", *c]],
        ("state", "push"): [[str(d / "eeo.state.json.backup"), *c],
                            [str(d / "roster.csv"), *c]],
        ("state", "migrate"): [["--to", "local", *c]],
        ("force-unlock",): [["0123", *c]],
        ("reveal",): [["u-aaaaaaaa", *c]],  # without the secret: refused
        ("schema",): [["roster"]],
        ("init",): [[str(tmp / "new-config")], [str(d)]],  # and over an existing one
        ("sandbox",): [["--world", str(d / "bad.csv"), "--port", "1"]],
    }


def test_every_command_has_a_case_and_the_redact_option():
    names = {path for path, _ in commands()}
    assert names == set(cases(__import__("pathlib").Path("d"), __import__("pathlib").Path("t")))
    for path, c in commands():
        assert any(p.name == "redact" for p in c.params), path


@pytest.mark.parametrize("level_from", ["env", "config"])
def test_no_command_shows_a_uid_a_name_or_the_salt_under_redact_all(world, level_from):
    d, tmp, salt = world
    redact = "all"
    if level_from == "config":
        redact = None
        text = (d / "school.yaml").read_text().replace(
            "school: {sid: 2339736,", "school: {sid: 2339736, privacy: {redact: all},")
        (d / "school.yaml").write_text(text)
        text = (tmp / "broken" / "a.yaml").read_text().replace(
            "school: {sid: 2339736}", "school: {sid: 2339736, privacy: {redact: all}}")
        (tmp / "broken" / "a.yaml").write_text(text)
    shown = 0
    for path, runs in cases(d, tmp).items():
        if level_from == "config" and path in NO_CONFIG:
            continue
        for args in runs:
            r = _run([*path, *args], redact=redact)
            out = r.stdout + r.stderr
            assert "Traceback" not in out, (path, args, out)
            for secret in (*UIDS, *NAMES, salt):
                assert secret not in out, (path, args, secret, out)
            shown += len(out)
    assert shown > 2000  # the commands did say things
