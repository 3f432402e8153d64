"""Roster files written in the contract (`roster.columns`): what the sandbox's
export serves, and what a school's own export looks like."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .columns import COLUMNS, RowRole

Row = tuple[int, RowRole, int, "int | None", "str | None", "str | None"]


def csv_text(rows: Iterable[Row]) -> str:
    """A roster CSV (UTF-8, header row) of (course, role, uid, lesson, name, custom)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for cid, role, uid, lesson, name, custom in rows:
        w.writerow([cid, role.value, uid, name or "", lesson or "", custom or ""])
    return out.getvalue()
