"""apply for machines: the JSON report, JSON call logs, options from the
environment, colour rules."""

import json

from eeo_reconcile.schemas import validator
from tests.e2e import E2E
from tests.end_to_end.test_reviewer import courses, world


def test_apply_json_report_and_json_call_logs(tmp_path):
    e = E2E(tmp_path, world())
    try:
        e.write(courses(30001988))  # one student is not of the school: 228
        r = e.apply("--format", "json", "--log-format", "json")
        assert r.returncode == 1
        report = json.loads(r.stdout)  # the report alone on stdout
        assert list(validator("apply-report.schema.json").iter_errors(report)) == []
        assert report["ok"] is False and report["members"]["added"] == 10
        outcomes = {o["address"]: (o["outcome"], o["errno"]) for o in report["outcomes"]}
        assert outcomes["course/442447/student/30001988"] == ("failed", 228)
        assert outcomes["course/442447/student/3000101"] == ("done", 1)
        assert report["timings"]["calls"]["count"] == report["calls"]["sent"]
        logs = [json.loads(x) for x in r.stderr.splitlines() if x.startswith('{"event"')]
        assert len(logs) == report["calls"]["sent"] and all(x["ms"] >= 0 for x in logs)
        assert {x["action"] for x in logs} == {"addCourseStudentMultiple"}
        assert logs[0]["item_errnos"] == {"1": 10, "228": 1}
        assert "eeo-reconcile will make these changes" in r.stderr  # the plan, on stderr
        # redacted like the plan
        e.write(courses(30001988).replace("Algebra I", "Algebra II"))
        r = e.apply("--format", "json", "--redact", "all")
        assert "30001988" not in r.stdout
        # nothing to do: still a report
        e.write(courses(3000198))
        e.apply()
        r = e.apply("--format", "json")
        assert json.loads(r.stdout)["changes"] is False
        e.assert_no_secret_leaked()
    finally:
        e.close()


def test_options_from_the_environment_and_colour(tmp_path):
    e = E2E(tmp_path, world())
    try:
        e.write(courses(3000198))
        env = {**e.env, "EEO_PLAN_FORMAT": "json", "EEO_LOCK_TIMEOUT": "1"}
        r = e.cli("plan", e.dir, env=env)
        assert json.loads(r.stdout)["summary"]["add"] == 11
        r = e.cli("plan", "--help", env=env)
        assert "EEO_PLAN_FORMAT" in r.stdout and "EEO_LOCK_TIMEOUT" in r.stdout
        plain = {k: v for k, v in e.env.items() if k != "NO_COLOR"}
        assert "\x1b[" not in e.cli("plan", e.dir, env=plain).stdout  # not a terminal
        assert "\x1b[32m" in e.cli("plan", e.dir, env={**plain, "FORCE_COLOR": "1"}).stdout
        forced_off = {**plain, "FORCE_COLOR": "1", "NO_COLOR": "1"}
        assert "\x1b[" not in e.cli("plan", e.dir, env=forced_off).stdout
    finally:
        e.close()
