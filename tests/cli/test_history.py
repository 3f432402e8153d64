"""The history command's text output: every field of a (planted) history file
is escaped."""

import json

from click.testing import CliRunner

from eeo_reconcile.cli import main


def test_history_text_escapes_every_field(tmp_path):
    state = tmp_path / "s.json"
    state.write_text(json.dumps({"format": "eeo-reconcile-state", "version": 1, "lineage": "L",
                                 "serial": 1, "sid": 1, "courses": {}}), encoding="utf-8")
    entry = {"time": "2026-11-25T00:00:00Z\x1b[2J", "operation": "apply\n+ fake line",
             "action": "add", "address": "course/5/student/1", "old": None,
             "new": {"name": "Li\x1b[31m"}, "serial": 1, "who": "me\u202e",
             "commit": "abc\x1b[0m", "run": "r\x07"}
    (tmp_path / "s.history.jsonl").write_text(
        json.dumps(entry) + "\n" + json.dumps({"end": 1, "lineage": "L"}) + "\n",
        encoding="utf-8")
    r = CliRunner().invoke(main, ["history", "--state", str(state)])
    assert r.exit_code == 0, r.output
    assert "course/5/student/1" in r.output
    for bad in ("\x1b", "\x07", "\u202e", "\n+ fake line"):
        assert bad not in r.output


ROSTER = ("course_id,role,uid,name,lesson_id,custom\n"
          "5,student,12345,Li Lei,,\n5,student,12346,Han Meimei,,\n"
          "5,auditor,777,Lin Tao,,\n5,lesson_student,888,Jim Green,9001,Room 3\n")
PEOPLE = ("Li Lei", "Han Meimei", "Lin Tao", "Jim Green", "Room 3")
UIDS = ("12345", "12346", "777", "888")


def _imported(tmp_path, name="s.json"):
    (tmp_path / "r.csv").write_text(ROSTER, encoding="utf-8")
    state = str(tmp_path / name)
    r = CliRunner().invoke(main, ["import", str(tmp_path / "r.csv"), "--state", state])
    assert r.exit_code == 0, r.output
    return state


def test_history_redacts_names_and_uids_in_every_format(tmp_path):
    state = _imported(tmp_path)
    for fmt in ("text", "json", "csv"):
        plain = CliRunner().invoke(main, ["history", "--state", state, "--format", fmt])
        assert all(p in plain.output for p in PEOPLE) and all(u in plain.output for u in UIDS)
        names = CliRunner().invoke(main, ["history", "--state", state, "--format", fmt,
                                          "--redact", "names"])
        assert names.exit_code == 0, names.output
        assert not any(p in names.output for p in PEOPLE), names.output
        assert "L**" in names.output and all(u in names.output for u in UIDS)
        every = CliRunner().invoke(main, ["history", "--state", state, "--format", fmt],
                                   env={"EEO_REDACT": "all"})
        assert every.exit_code == 0, every.output
        assert not any(p in every.output for p in PEOPLE)
        assert not any(f"/{u}" in every.output for u in UIDS), every.output
        assert "course/5/student/u-" in every.output and "course/5/lesson/9001/" in every.output
    again = CliRunner().invoke(main, ["history", "--state", state, "--redact", "all"])
    assert again.output == CliRunner().invoke(
        main, ["history", "--state", state, "--redact", "all"]).output  # keyed by the state


def test_state_diff_redacts_names_and_uids(tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"format": "eeo-reconcile-state", "version": 1,
                                 "lineage": "L", "serial": 1, "sid": 1, "courses": {}}),
                     encoding="utf-8")
    state = _imported(tmp_path)
    for fmt in ("text", "json"):
        plain = CliRunner().invoke(main, ["state", "diff", str(empty), state, "--state", state,
                                          "--format", fmt])
        assert plain.exit_code == 0, plain.output
        assert "Li Lei" in plain.output and "12345" in plain.output
        r = CliRunner().invoke(main, ["state", "diff", str(empty), state, "--state", state,
                                      "--format", fmt, "--redact", "all"])
        assert r.exit_code == 0, r.output
        assert not any(p in r.output for p in PEOPLE), r.output
        assert not any(f"/{u}" in r.output for u in UIDS), r.output
        assert "course/5/student/u-" in r.output


def test_a_groupings_teams_are_hashed_its_name_kept(tmp_path):
    state = _imported(tmp_path)
    entry = {"time": "2026-11-25T00:00:00Z", "operation": "apply", "action": "edit",
             "address": "course/5/group/Reading circle",
             "old": {"name": "Reading circle", "id": 9, "teams": [[12345, 12346]]},
             "new": {"id": 9, "teams": [[12346]]}, "serial": 3, "who": "me",
             "commit": None, "run": None}
    with open(tmp_path / "s.history.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, separators=(",", ":")) + "\n"  # as the tool writes it
                 + json.dumps({"end": 3, "lineage": "x"}) + "\n")
    r = CliRunner().invoke(main, ["history", "course/5/group/Reading circle", "--state", state,
                                  "--redact", "all", "--format", "json"])
    assert r.exit_code == 0, r.output
    (line,) = r.output.splitlines()
    d = json.loads(line)
    assert d["address"] == "course/5/group/Reading circle" and d["old"]["name"] == "Reading circle"
    assert "12345" not in line and "12346" not in line
    assert d["old"]["teams"][0][1] == d["new"]["teams"][0][0]  # the same pupil, the same hash
