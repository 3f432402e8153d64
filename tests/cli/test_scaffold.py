"""schema NAME and init DIR: a roster repository gets the schemas and a starter
configuration from the installed tool."""

import json
import os

import pytest
from click.testing import CliRunner

from eeo_reconcile.cli import main
from eeo_reconcile.cli.scaffold import SCHEMAS
from eeo_reconcile.schemas import schema_path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_prints_each_schema_as_installed(name):
    r = run("schema", name)
    assert r.exit_code == 0
    with open(schema_path(SCHEMAS[name]), encoding="utf-8") as fh:
        assert json.loads(r.stdout) == json.load(fh)


def test_init_writes_a_configuration_that_validates_and_plans_and_never_overwrites(tmp_path):
    d = tmp_path / "rosters"
    r = run("init", d, "--sid", "5100001")
    assert r.exit_code == 0, r.output
    assert run("validate", d).exit_code == 0
    plan = run("plan", d)
    assert plan.exit_code == 0 and "+ student 12234" in plan.stdout
    text = (d / "school.yaml").read_text(encoding="utf-8")
    assert "sid: 5100001" in text and "$schema=.eeo/roster.schema.json" in text
    assert os.path.exists(d / ".eeo" / "roster.schema.json")
    assert "eeo.state.json" in (d / ".gitignore").read_text()
    before = (d / "school.yaml").read_bytes()
    again = run("init", d)
    assert again.exit_code == 1 and "nothing was written" in again.stderr
    assert (d / "school.yaml").read_bytes() == before
