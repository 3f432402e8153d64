"""Table-driven validation cases: tests/cases/validate/*.yaml, one scenario a file.

Each case lists its input files and every error expected (file, line, column
and a part of the message); the run must report exactly those, all at once.
"""

import glob
import os

import pytest
import yaml

from eeo_reconcile.config.load import load_config
from eeo_reconcile.errors import ConfigError
from tests.conftest import CASES, EXAMPLES
from tests.helpers import write_tree

CASE_FILES = sorted(glob.glob(os.path.join(CASES, "validate", "*.yaml")))


def _load_case(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: os.path.basename(p)[:-5])
def test_validation_case(case_file, tmp_path):
    case = _load_case(case_file)
    write_tree(str(tmp_path), case.get("files", {}))
    for rel, data in (case.get("binary") or {}).items():
        (tmp_path / rel).write_bytes(bytes(data))
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path))
    got = info.value.diagnostics
    expected = case["errors"]
    rendered = "\n".join(str(d) for d in got)
    assert len(got) == len(expected), f"expected {len(expected)} errors, got:\n{rendered}"
    for exp in expected:
        matches = [
            d for d in got
            if d.location is not None
            and os.path.basename(d.location.file) == exp["file"]
            and d.location.line == exp["line"]
            and d.location.column == exp["column"]
            and exp["message"] in d.message
        ]
        assert matches, f"missing {exp} in:\n{rendered}"
    for d in got:
        assert d.location is not None, f"error without a location: {d}"


def test_every_case_has_a_description_and_errors():
    assert len(CASE_FILES) >= 25
    for f in CASE_FILES:
        case = _load_case(f)
        assert case.get("description") and case.get("errors"), f


def test_examples_validate():
    config = load_config(EXAMPLES)
    assert set(config.courses) == {442447, 442448}
    assert config.school.sid == 2339736
    assert config.state.backend == "local"
    assert config.state.get("path") == os.path.join(EXAMPLES, "eeo.state.json")


def test_each_example_file_passes_the_schema_alone():
    from eeo_reconcile.config.schema import schema_diagnostics
    from eeo_reconcile.config.yamlload import load_bytes

    for f in glob.glob(os.path.join(EXAMPLES, "*.yaml")):
        with open(f, "rb") as fh:
            doc = load_bytes(fh.read(), f)
        assert not doc.diagnostics and not schema_diagnostics(doc), f
