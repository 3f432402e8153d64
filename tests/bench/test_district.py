"""The benchmark's fixtures are right: the churn generator's own count of changes
and of the fewest calls (made without the planner) matches what the planner
plans, and the generated files are a valid configuration."""

import os
import sys

from eeo_reconcile.config.load import load_config
from eeo_reconcile.plan.diff import make_plan
from tests.conftest import ROOT
from tests.helpers import minimum_calls

sys.path.insert(0, os.path.join(ROOT, "bench"))

from district import Shape, build, churn, write  # noqa: E402
from run import state_for  # noqa: E402


def test_churn_counts_match_the_plan(tmp_path):
    shape = Shape(courses=60, students=40)
    courses = build(shape)
    changed, stats = churn(courses, fraction=0.05)
    assert stats.courses > 0
    write(str(tmp_path), changed, shape)
    config = load_config(str(tmp_path))
    plan = make_plan(config, state_for(courses))
    assert len(plan.changes) == stats.changes
    assert len(plan.calls) == stats.min_calls
    assert minimum_calls(plan.changes, config.school.batch) == stats.min_calls


def test_district_files_validate_and_count(tmp_path):
    shape = Shape(courses=30, students=25)
    files = write(str(tmp_path), build(shape), shape)
    assert len(files) >= 2
    config = load_config(str(tmp_path))
    assert config.membership_count() == shape.memberships
