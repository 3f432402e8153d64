"""roster/write.py: the export a spreadsheet opens never runs a name as a formula."""

import csv
import io

from eeo_reconcile.roster.columns import RowRole
from eeo_reconcile.roster.write import csv_text


def test_a_name_that_starts_like_a_formula_is_written_as_text():
    rows = [(5, RowRole.AUDITOR, 9, None, "=1+1", None),
            (5, RowRole.AUDITOR, 10, None, "@SUM(A1)", None),
            (5, RowRole.LESSON_STUDENT, 11, 70, "+cmd", "-2"),
            (5, RowRole.AUDITOR, 12, None, "Li Lei", None)]
    got = list(csv.reader(io.StringIO(csv_text(rows))))[1:]
    assert [r[3] for r in got] == ["'=1+1", "'@SUM(A1)", "'+cmd", "Li Lei"]
    assert got[2][5] == "'-2"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in got for cell in r[3:])
