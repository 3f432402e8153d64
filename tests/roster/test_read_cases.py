"""The roster file contract as data: tests/cases/roster/*.yaml, one scenario a file
(CSV in several encodings, XLSX), with the memberships expected or every error,
located by file (and sheet), row and column."""

import glob
import os

import pytest
import yaml

from eeo_reconcile.errors import ConfigError
from eeo_reconcile.roster.read import read_rosters
from tests.conftest import CASES

CASE_FILES = sorted(glob.glob(os.path.join(CASES, "roster", "*.yaml")))


def _write(tmp_path, name, spec):
    path = tmp_path / name
    if "sheets" in spec:
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        for title, rows in spec["sheets"].items():
            ws = wb.create_sheet(title)
            for row in rows:
                ws.append(row)
        wb.save(path)
        if "dimension" in spec:  # as a careless exporter writes it: stale, absent, too large
            _set_dimension(path, spec["dimension"])
    elif "bytes" in spec:
        path.write_bytes(bytes(spec["bytes"]))
    elif "parts" in spec:  # lines in several encodings (GBK pasted into a UTF-8 file)
        path.write_bytes(b"".join(p["text"].encode(p.get("encoding", "utf-8"))
                                  for p in spec["parts"]))
    else:
        path.write_bytes(spec["text"].encode(spec.get("encoding", "utf-8")))
    return str(path)


def _set_dimension(path, ref):
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w") as z:
        for info, data in items:
            if info.filename.startswith("xl/worksheets/sheet"):
                new = "" if ref is None else f'<dimension ref="{ref}" />'
                data = re.sub(rb'<dimension ref="[^"]*"\s*/>', new.encode(), data)
                assert (b"<dimension" in data) == (ref is not None)
            z.writestr(info, data)


def _as_data(roster):
    return {str(cid): {
        "students": {str(u): n for u, n in c.students.items()},
        "auditors": {str(u): n for u, n in c.auditors.items()},
        "lessons": {str(lid): {str(u): [m.name, m.custom] for u, m in ms.items()}
                    for lid, ms in c.lessons.items()},
    } for cid, c in roster.courses.items()}


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: os.path.basename(p)[:-5])
def test_roster_case(case_file, tmp_path, monkeypatch):
    with open(case_file, encoding="utf-8") as fh:
        case = yaml.safe_load(fh)
    monkeypatch.chdir(tmp_path)
    paths = [_write(tmp_path, name, spec) for name, spec in case["files"].items()]
    if "errors" in case:
        with pytest.raises(ConfigError) as info:
            read_rosters(paths, case.get("encoding"), case.get("sheet"))
        got = info.value.diagnostics
        rendered = "\n".join(map(str, got))
        assert len(got) == len(case["errors"]), rendered
        for exp in case["errors"]:
            assert any(d.location.file == exp["file"] and d.location.line == exp["row"]
                       and d.location.column == exp["column"] and exp["message"] in d.message
                       for d in got), f"missing {exp} in:\n{rendered}"
        return
    roster = read_rosters(paths, case.get("encoding"), case.get("sheet"))
    assert _as_data(roster) == case["expect"]
    if "encodings" in case:  # the encoding read, reported for each CSV file
        assert roster.encodings == case["encodings"]
    if "ignored" in case:
        assert list(roster.ignored_columns.values()) == [case["ignored"]]


def _outcome(paths, case):
    try:
        roster = read_rosters(paths, case.get("encoding"), case.get("sheet"))
    except ConfigError as exc:
        return [str(d) for d in exc.diagnostics]
    return _as_data(roster), roster.rows, dict(roster.ignored_columns)


@pytest.mark.parametrize("case_file", CASE_FILES, ids=lambda p: os.path.basename(p)[:-5])
def test_the_column_checker_and_the_row_checker_agree_on_every_case(case_file, tmp_path,
                                                                     monkeypatch):
    """The fast path (a chunk checked column by column) gives exactly what the
    plain path (row by row) gives: the same roster, or the same located errors."""
    from eeo_reconcile.roster.rows import Collector

    with open(case_file, encoding="utf-8") as fh:
        case = yaml.safe_load(fh)
    monkeypatch.chdir(tmp_path)
    paths = [_write(tmp_path, name, spec) for name, spec in case["files"].items()]
    taken = []
    real = Collector._fast

    def counted(self, *args):
        ok = real(self, *args)
        taken.append(ok)
        return ok

    monkeypatch.setattr(Collector, "_fast", counted)
    fast = _outcome(paths, case)
    monkeypatch.setattr(Collector, "_fast", lambda self, *args: False)
    assert _outcome(paths, case) == fast
    if os.path.basename(case_file) in ("ok-english.yaml", "ok-chinese-gbk.yaml"):
        assert any(taken), "a plain valid CSV is checked column by column"


def test_the_example_export_follows_the_contract_and_its_schema():
    import csv

    from eeo_reconcile.schemas import validator
    from tests.conftest import EXAMPLES

    path = os.path.join(EXAMPLES, "..", "roster-export.csv")
    roster = read_rosters([path])
    assert roster.rows == 6 and set(roster.courses) == {442447, 442448}
    v = validator("roster-file.schema.json")
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            assert list(v.iter_errors(row)) == [], row
    bad = {"course_id": "5", "role": "auditor", "uid": "1", "name": "", "lesson_id": "",
           "custom": ""}
    assert list(v.iter_errors(bad))  # an auditor needs a name, in the schema too
