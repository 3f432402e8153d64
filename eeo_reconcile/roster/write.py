"""Roster files written in the contract (`roster.columns`): what the sandbox's
export serves, and what a school's own export looks like."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .columns import COLUMNS, RowRole

Row = tuple[int, RowRole, int, "int | None", "str | None", "str | None"]


_FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


def cell(text: str | None) -> str:
    """A text cell a spreadsheet opens as text: one that starts like a formula
    (`=1+1`, `+`, `-`, `@`) gets a leading apostrophe (OWASP's advice against
    CSV injection), since people open exports in Excel."""
    if not text:
        return ""
    return "'" + text if text.startswith(_FORMULA) else text


def csv_text(rows: Iterable[Row]) -> str:
    """A roster CSV (UTF-8, header row) of (course, role, uid, lesson, name, custom)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    for cid, role, uid, lesson, name, custom in rows:
        w.writerow([cid, role.value, uid, cell(name), lesson or "", cell(custom)])
    return out.getvalue()
