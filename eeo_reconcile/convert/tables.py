"""CSV tables with named columns and located problems (file, row, column).

OneRoster files are UTF-8, with or without a BOM. Header names are matched
without case and surrounding spaces; a column the reader needs and the file
lacks is an error at the header, and every problem of a run is collected
(`Problems`) so that all are reported together.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence

from ..errors import ConfigError, Diagnostic, Location
from ..fileio import FileProblem, read_regular
from ..text import printable, token

MAX_FILE_BYTES = 1 << 31
MAX_ERRORS = 100  # a broken export is reported in full only up to here


class Problems:
    """Every located problem of one run."""

    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.more = 0

    def err(self, where: Location, message: str, hint: str | None = None) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(Diagnostic(where, message, hint))
        else:
            self.more += 1

    def raise_if_any(self) -> None:
        if self.errors:
            errors = list(self.errors)
            if self.more:
                errors.append(Diagnostic(None, f"... and {self.more} more problems", None))
            raise ConfigError(errors)


def display_name(path: str) -> str:
    rel = os.path.relpath(path)
    return printable(path if rel.startswith("..") else rel)


class Table:
    """One CSV file: its header, and its rows with their line numbers."""

    def __init__(self, p: Problems, path: str, required: Sequence[str]):
        self.p = p
        self.display = display_name(path)
        self.columns: dict[str, int] = {}
        self.ok = False
        self._rows: Iterator[list[str]] = iter(())
        self._reader: csv._reader | None = None  # type: ignore[name-defined]
        try:
            raw = read_regular(path, MAX_FILE_BYTES)
        except FileProblem as exc:
            p.err(self.at(1, 1), f"this file {exc.why}")
            return
        except OSError as exc:
            p.err(self.at(1, 1), f"this file cannot be read ({exc.strerror})")
            return
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            p.err(self.at(1, 1), f"the file is not UTF-8 (at byte {exc.start})",
                  "OneRoster files are UTF-8: export them again as UTF-8")
            return
        del raw
        self._reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            p.err(self.at(1, 1), f"the CSV cannot be read: {exc}")
            return
        if not header:
            p.err(self.at(1, 1), "the file is empty: a OneRoster file starts with its header")
            return
        for i, name in enumerate(header):
            key = name.strip().lower()
            if key in self.columns:
                p.err(self.at(1, i + 1), f"the column {token(name)!r} is there twice")
                return
            self.columns[key] = i
        missing = [r for r in required if r.lower() not in self.columns]
        if missing:
            p.err(self.at(1, 1), "the header lacks the column(s) " + ", ".join(missing),
                  "a OneRoster 1.1 file names its columns in its first row")
            return
        self.width = len(header)
        self.ok = True

    def at(self, line: int, column: int) -> Location:
        return Location(self.display, line, column)

    def col(self, name: str) -> int | None:
        return self.columns.get(name.lower())

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line, cells) of every data row; a row of the wrong width is an error."""
        reader = self._reader
        if not self.ok or reader is None:
            return
        width = self.width
        try:
            for row in reader:
                if len(row) != width:
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue  # a blank line
                    self.p.err(self.at(reader.line_num, min(len(row), width) + 1),
                               f"this row has {len(row)} fields, the header {width}")
                    continue
                yield reader.line_num, row
        except csv.Error as exc:
            self.p.err(self.at(reader.line_num, 1), f"the CSV cannot be read here: {exc}")
