"""Planner cases as data: tests/cases/plan/*.yaml (desired + recorded -> changes and calls)."""

import glob
import json
import os

import pytest
import yaml

from eeo_reconcile.config.load import load_config
from eeo_reconcile.errors import EeoError
from eeo_reconcile.model import Redact
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.plan.encode import canonical, plan_json
from eeo_reconcile.plan.planfile import save_plan
from eeo_reconcile.plan.redact import redact_plan_json
from eeo_reconcile.plan.render import render_text
from eeo_reconcile.plan.safety import Allow
from eeo_reconcile.privacy import Redactor
from eeo_reconcile.state.model import State
from eeo_reconcile.state.records import CourseRecord
from tests.conftest import CASES
from tests.helpers import load_plan_file, minimum_calls, simulate, write_tree

CASE_FILES = sorted(glob.glob(os.path.join(CASES, "plan", "*.yaml")))


def compact_change(c):
    d = c.to_json()
    text = f"{c.action.symbol} {d['address']}"
    if "reason" in d:
        text += f" [{d['reason']}]"
    return text


def compact_call(call):
    d = call.to_json()
    parts = [d["action"]]
    for k in sorted(d["params"]):
        v = d["params"][k]
        if isinstance(v, (list, str)):
            v = json.dumps(v, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        parts.append(f"{k}={v}")
    return " ".join(parts)


def compact_label(u):
    where = f"course/{u.course}"
    if u.lesson is not None:
        where += f"/lesson/{u.lesson}"
    if u.uid is not None:
        where += f"/student/{u.uid}"
    return f"{where} = {u.name}"


def call_shape(call):
    n = len(call.uids) if call.uids else 1
    return f"{call.action.name}:{n}"


def build(case, tmp_path):
    write_tree(str(tmp_path), {"roster.yaml": case["config"]})
    config = load_config(str(tmp_path))
    courses = {int(k): CourseRecord.from_json(v) for k, v in (case.get("state") or {}).items()}
    state = State(lineage="L", serial=3, sid=case.get("state_sid", config.school.sid),
                  courses=courses)
    return config, state


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: os.path.basename(p)[:-5])
def test_plan_case(case_file, tmp_path):
    with open(case_file, encoding="utf-8") as fh:
        case = yaml.safe_load(fh)
    config, state = build(case, tmp_path)
    exp = case["expect"]
    if "error" in exp:
        with pytest.raises(EeoError) as info:
            make_plan(config, state)
        assert exp["error"] in str(info.value)
        return
    allow = Allow(**case.get("allow", {}))
    plan = make_plan(config, state, targets=case.get("targets", ()),
                     replace=case.get("replace", ()), allow=allow)
    if "changes" in exp:
        assert [compact_change(c) for c in plan.changes] == exp["changes"]
    if "calls" in exp:
        assert [compact_call(c) for c in plan.calls] == exp["calls"]
    if "call_shapes" in exp:
        assert [call_shape(c) for c in plan.calls] == exp["call_shapes"]
    if "notes" in exp:
        assert [n.address for n in plan.notes] == exp["notes"]
    if "summary" in exp:
        assert plan.summary().to_json() == {"forget": 0, "labels": 0, "register": 0,
                                            "rename": 0, "pending": 0, **exp["summary"]}
    if "guard" in exp:
        messages = [f.message() for f in plan.safety.findings]
        assert len(messages) == len(exp["guard"]), messages
        for want, got in zip(exp["guard"], messages, strict=True):
            assert want in got
    if "guard_allowed" in exp:
        assert [f.allowed_by for f in plan.safety.findings] == exp["guard_allowed"]
    if "labels" in exp:
        assert [compact_label(u) for u in plan.labels] == exp["labels"]
    if "text" in exp:
        text = render_text(plan)
        for line in exp["text"]:
            assert line in text, text
    # every case: the calls are the fewest, and ClassIn (simulated) accepts them in order
    assert len(plan.calls) == minimum_calls(plan.changes, config.school.batch)
    simulate(state, plan.calls)
    # and the plan survives a JSON round trip exactly
    from eeo_reconcile.plan.plan import Plan

    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan
    # and so does a saved plan file: changes in runs, calls made again on load
    saved = str(tmp_path / "saved.plan")
    save_plan(plan, saved)
    loaded, _ = load_plan_file(saved)
    assert loaded == plan and loaded.calls == plan.calls
    assert [c.hold for c in loaded.calls] == [c.hold for c in plan.calls]
    # the fast canonical writer gives the bytes of the documented document, redacted or not
    assert plan_json(plan) == canonical(plan.to_json())
    for level in (Redact.NAMES, Redact.ALL):
        r = Redactor(level, b"k" * 32)
        assert plan_json(plan, r) == canonical(redact_plan_json(plan.to_json(), r))


def test_there_are_enough_cases():
    assert len(CASE_FILES) >= 15
