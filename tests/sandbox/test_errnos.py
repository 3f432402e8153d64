"""Every modelled errno of every endpoint, over real HTTP against a sandbox process.

Cases are data: tests/cases/sandbox/*.yaml, one scenario a file (optional
`setup` calls, the action, parameters, the expected errno / per-item errnos /
data, and the roster after). The sandbox is reset before each case.
"""

import glob
import json
import os

import pytest
import yaml

from tests.conftest import CASES
from tests.sandbox_proc import SandboxProc, sign, world_doc

CASE_FILES = sorted(glob.glob(os.path.join(CASES, "sandbox", "*.yaml")))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    sb = SandboxProc(str(tmp_path_factory.mktemp("sb")), world_doc())
    yield sb
    sb.stop()


def _form(params):
    form = dict(sign())
    for k, v in params.items():
        if isinstance(v, str) and v.startswith("RAW:"):
            form[k] = v[4:]
        elif isinstance(v, (list, dict)):
            form[k] = json.dumps(v, ensure_ascii=False)
        else:
            form[k] = str(v)
    return form


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: os.path.basename(p)[:-5])
def test_errno_case(sandbox, case_file):
    with open(case_file, encoding="utf-8") as fh:
        case = yaml.safe_load(fh)
    sandbox.reset()
    for step in case.get("setup", []):
        done = sandbox.post_raw(step["action"], _form(step["params"])).json()
        assert done["error_info"]["errno"] == 1, (step, done)
    form = _form(case["params"])
    if "body_suffix" in case:  # parameters in a shape a dict cannot hold (repeated keys)
        from urllib.parse import urlencode

        form = urlencode(form) + case["body_suffix"]
    body = sandbox.post_raw(case["action"], form).json()
    exp = case["expect"]
    assert body["error_info"]["errno"] == exp["errno"], body
    if exp["errno"] == 1:
        assert body["error_info"]["error"] == "程序正常执行"
    if "items" in exp:
        assert [it["errno"] for it in body["data"]] == exp["items"], body
        for it in body["data"]:
            assert isinstance(it["error"], str) and it["error"]
    if "customColumns" in exp:
        assert [it.get("customColumn") for it in body["data"]] == exp["customColumns"]
    if exp.get("data") == "int":
        assert isinstance(body["data"], int) and body["data"] > 0
    roster_exp = case.get("roster")
    if roster_exp:
        roster = sandbox.roster(roster_exp["course"])
        for key in ("students", "auditors", "lessons", "excluded"):
            if key in roster_exp:
                got = roster[key]
                if key == "lessons":
                    got = {k: v for k, v in got.items() if k in roster_exp[key]}
                assert got == roster_exp[key], roster
        if "group_names" in roster_exp:
            assert sorted(g["name"] for g in roster["groups"].values()) == \
                roster_exp["group_names"]
        if "group_teams" in roster_exp:
            by_name = {g["name"]: g["teams"] for g in roster["groups"].values()}
            for name, teams in roster_exp["group_teams"].items():
                assert by_name[name] == teams


def test_there_is_a_case_for_every_action():
    actions = set()
    for f in CASE_FILES:
        with open(f, encoding="utf-8") as fh:
            actions.add(yaml.safe_load(fh)["action"])
    from eeo_reconcile.sandbox.engine import ACTIONS

    assert set(ACTIONS) <= actions


def test_every_modelled_errno_has_a_case():
    from eeo_reconcile.sandbox.modelled import MODELLED

    seen = set()
    for f in CASE_FILES:
        with open(f, encoding="utf-8") as fh:
            case = yaml.safe_load(fh)
        seen.add((case["action"], case["expect"]["errno"]))
        seen.update((case["action"], code) for code in case["expect"].get("items", []))
    missing = [(a, code) for a, entries in MODELLED.items() for code, _ in entries
               if (a, code) not in seen]
    assert not missing
