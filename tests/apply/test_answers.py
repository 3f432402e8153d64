"""apply/answers.read_answer, without threads or a journal: tests/cases/answers."""

import os

import pytest
import yaml

from eeo_reconcile.apply.answers import read_answer
from eeo_reconcile.classin.answers import ApiResult
from eeo_reconcile.classin.api import Call, endpoint
from eeo_reconcile.model import Team
from eeo_reconcile.state.records import CourseRecord
from tests.conftest import CASES

with open(os.path.join(CASES, "answers", "cases.yaml"), encoding="utf-8") as fh:
    CASE_LIST = yaml.safe_load(fh)


def _call(d):
    teams = tuple(Team(t[0], tuple(t[1:])) for t in d.get("teams", []))
    return Call(endpoint(d["action"]), 7, d.get("identity"), d.get("lesson"),
                tuple(d.get("uids", [])), tuple(d.get("names", [])),
                tuple(d.get("customs", [])), d.get("group_id"), d.get("group"), teams,
                labels=tuple(d.get("labels", [])))


@pytest.mark.parametrize("case", CASE_LIST, ids=[c["name"] for c in CASE_LIST])
def test_read_answer(case):
    course = None
    if "course" in case:
        course = CourseRecord()
        course.students.update(case["course"]["students"])
    a = case["answer"]
    r = read_answer(_call(case["call"]), ApiResult(a["errno"], "", a.get("data"), 1), course,
                    frozenset(case.get("defer", [])), notes=True)
    exp = case["expect"]
    assert [op.to_json() for op in r.ops] == exp.get("ops", [])
    assert [f.address for f in r.failures] == exp.get("failures", [])
    for k in ("added", "removed", "already", "groups_created", "member_failures"):
        assert getattr(r, k) == exp.get(k, 0), k
    assert r.deferred == exp.get("deferred", [])
    assert len(r.warnings) == exp.get("warnings", 0)
    assert (list(r.skip) if r.skip else None) == exp.get("skip")
    if "halt" in exp:
        assert r.halt is not None and exp["halt"] in r.halt
    else:
        assert r.halt is None
    if "codes" in exp:
        assert r.codes == exp["codes"]
    uids = case["call"].get("uids", [])
    if uids and not r.halt:  # one outcome per member that was looked at
        assert len(r.notes) == len(uids)
