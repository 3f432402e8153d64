"""Adopting a school that already runs on ClassIn: export, import, plan, apply.

The sandbox's world already holds members: some in the YAML, some not, one uid
with the other identity, an auditor with another name, lesson students. After
import, the plan's removals, adds, switches and notes are exactly those computed
here from the world and the YAML (not by the planner), its calls are the
minimum, and after apply the sandbox equals the YAML and a new plan is empty."""

import os

from tests.e2e import E2E
from tests.sandbox_proc import world_doc

YAML = """
courses:
  - id: 100
    name: Algebra
    students: [1, 2, 3, {uid: 18, name: Eighteen}]
    auditors: [{uid: 4, name: Four}, {uid: 5, name: New Name}]
    lessons:
      - id: 1001
        students: [{uid: 50, name: Fifty, custom: c50}, {uid: 48, name: Fortyeight}]
  - id: 200
    students: [1, 2]
"""


def _world():
    w = world_doc()
    w["students"] = {u: f"S{u}" for u in range(1, 60)}
    w["courses"] = [
        {"id": 100, "capacity": 100, "students": [1, 2, 3, 4, 7],
         "auditors": {5: "Old Name", 6: "Six"},
         "lessons": [{"id": 1001, "students": {50: {"name": "Fifty", "custom": "c50"},
                                               51: {"name": "Fiftyone"}}}]},
        {"id": 200, "students": [1, 2]},
        {"id": 300, "students": [9]},  # not managed here: never touched
    ]
    return w


def test_adopt_export_import_plan_apply(tmp_path):
    e = E2E(tmp_path, _world())
    try:
        e.write(YAML)
        # before: the tool knows nothing, so it would only add and never remove
        before = e.plan_json()
        assert all(c["action"] == "add" for c in before["changes"])
        # export what ClassIn holds (the admin console's export), then import it
        export = os.path.join(e.tmp, "export.csv")
        with open(export, "w", encoding="utf-8") as fh:
            fh.write(e.sb.session.get(f"{e.sb.url}/_sandbox/export?course=100&course=200",
                                      timeout=10).text)
        r = e.cli("import", export, "--config", e.dir, "--dry-run")
        assert r.returncode == 0 and "Dry run" in r.stdout
        assert not os.path.exists(e.state_path)
        r = e.cli("import", export, "--config", e.dir)
        assert r.returncode == 0, r.stderr
        assert "course 100: +5 students, +2 auditors, +2 lesson students" in r.stdout
        r = e.cli("import", export, "--config", e.dir)
        assert "already matches the files" in r.stdout

        plan = e.plan_json()
        got = {(c["address"], c["action"], c.get("reason")) for c in plan["changes"]}
        expected = {
            ("course/100/student/7", "remove", None),
            ("course/100/auditor/6", "remove", None),
            ("course/100/lesson/1001/student/51", "remove", None),
            ("course/100/student/4", "remove", "switch"),
            ("course/100/auditor/4", "add", "switch"),
            ("course/100/student/18", "add", None),
            ("course/100/lesson/1001/student/48", "add", None),
        }
        assert got == expected
        notes = [n["address"] for n in plan["notes"]]
        assert notes == ["course/100/auditor/5"]  # New Name here, Old Name in ClassIn
        # the fewest calls: per course and identity, one call per kind of change
        assert plan["summary"]["calls"] == 6
        r = e.apply("--replace", "course/100/auditor/5")
        assert r.returncode == 0, r.stdout + r.stderr
        e.assert_converged()
        assert e.sb.roster(300)["students"] == [9]
        e.assert_no_secret_leaked()
    finally:
        e.close()
