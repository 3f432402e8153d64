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
