import json

import pytest

from eeo_reconcile.config.load import load_config
from eeo_reconcile.errors import PlanFileError
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.plan.planfile import (
    check_fresh,
    load_plan_file,
    plan_file_bytes,
    save_plan,
)
from eeo_reconcile.state.model import State
from tests.conftest import EXAMPLES


def _plan():
    return make_plan(load_config(EXAMPLES), State(lineage="abc", serial=4, sid=2339736),
                     targets=["course/442447"])


def test_round_trip_is_exact(tmp_path):
    plan = _plan()
    path = str(tmp_path / "p.plan")
    save_plan(plan, path, created="2026-11-24T00:00:00+00:00")
    loaded, created = load_plan_file(path)
    assert loaded == plan
    assert created == "2026-11-24T00:00:00+00:00"
    with open(path, "rb") as fh:
        assert fh.read() == plan_file_bytes(loaded, created)


def test_altered_plan_is_refused(tmp_path):
    path = str(tmp_path / "p.plan")
    save_plan(_plan(), path)
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    doc = json.loads(raw)
    doc["plan"]["calls"][0]["params"]["courseId"] = 999
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    with pytest.raises(PlanFileError, match="altered"):
        load_plan_file(path)


def test_stale_plan_is_refused():
    plan = _plan()
    check_fresh(plan, State(lineage="abc", serial=4))
    with pytest.raises(PlanFileError, match="saved plan is stale: run plan again"):
        check_fresh(plan, State(lineage="abc", serial=5))
    with pytest.raises(PlanFileError, match="stale"):
        check_fresh(plan, State(lineage="other", serial=4))


def test_not_a_plan(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(PlanFileError, match="not an eeo-reconcile saved plan"):
        load_plan_file(str(p))
