"""Read roster files (CSV or XLSX) into a `Roster`, every problem located.

CSV: UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030 (a superset
of GBK, the default of Chinese Excel), detected in that order unless
`encoding` is given. XLSX: read with openpyxl in read-only mode, every sheet
or the one named. Errors name the file (and sheet), the row and the column,
and all of them are reported together (`ConfigError`); the checks are in
`roster.rows`.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from collections.abc import Iterator, Sequence

from ..errors import ConfigError, Location
from ..fileio import FileProblem, read_regular
from ..text import printable, token
from .columns import COLUMNS, RowRole
from .model import Roster, RosterCourse
from .rows import Collector

MAX_FILE_BYTES = 1 << 30
MAX_XLSX_UNPACKED = 2 << 30  # a workbook's files, unzipped (a zip bomb is refused)
# a member larger than BOMB_FLOOR that unpacks more than MAX_XLSX_RATIO times its
# packed size is a bomb: openpyxl would spend minutes on it (6 MB -> 1.8 GB, 120 s)
BOMB_FLOOR = 16 << 20
MAX_XLSX_RATIO = 200


# -- files ----------------------------------------------------------------------------


def _first_error(raw: bytes, codec: str) -> int | None:
    """Where `raw` stops being `codec` (about: the byte offset), or None when it
    is that all through. Decoded a chunk at a time, nothing kept: the text of
    a large file is never held whole (read as UCS-4 through a StringIO, a
    300 MB CSV took 2 GB)."""
    dec = codecs.getincrementaldecoder(codec)()
    view = memoryview(raw)
    n = len(raw)
    for at in range(0, max(n, 1), _CHUNK):
        try:
            dec.decode(view[at:at + _CHUNK], final=at + _CHUNK >= n)
        except UnicodeDecodeError as exc:
            return at + exc.start
    return None


_CHUNK = 1 << 20


def _decode(raw: bytes, encoding: str | None) -> tuple[str | None, str | None, str]:
    """(the codec to read it with, None, the encoding read, as shown), or (None,
    why it could not be decoded, "")."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            return None, f"unknown encoding {encoding!r}", ""
        bad = _first_error(raw, encoding)
        if bad is not None:
            return None, f"not {encoding} (at byte {bad})", ""
        return encoding, None, encoding
    if raw.startswith(b"\xef\xbb\xbf"):
        bad = _first_error(raw, "utf-8-sig")
        if bad is not None:
            return None, f"not UTF-8 although it starts with a UTF-8 BOM (at byte {bad})", ""
        return "utf-8-sig", None, "UTF-8 (with a BOM)"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        bad = _first_error(raw, "utf-16")
        if bad is not None:
            return None, f"not UTF-16 although it starts with a BOM (at byte {bad})", ""
        return "utf-16", None, "UTF-16"
    if _first_error(raw, "utf-8") is None:
        return "utf-8", None, "UTF-8"
    bad = _first_error(raw, "gb18030")
    if bad is not None:
        return None, (f"neither UTF-8 nor GB18030/GBK (at byte {bad}); give the file's "
                      "encoding with --encoding"), ""
    return "gb18030", None, "GB18030"


MIXED_SHOWN = 20  # lines of another encoding named one by one, then a count


def _mixed_lines(raw: bytes) -> list[int]:
    """The lines (1-based) that are not UTF-8 in a file whose other non-ASCII
    lines are, at least as many: a UTF-8 file with a few lines of another
    encoding (GBK pasted in), which decoded whole as GB18030 would garble every
    other name. Empty when the file reads as one encoding."""
    bad: list[int] = []
    utf8 = 0
    for i, line in enumerate(io.BytesIO(raw), start=1):  # a line at a time, not all
        line = line.rstrip(b"\n")
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(i)
        else:
            utf8 += 1
    return bad if bad and utf8 >= len(bad) else []


def _csv(c: Collector, path: str, display: str, encoding: str | None) -> None:
    raw = read_regular(path, MAX_FILE_BYTES)
    codec, why, read_as = _decode(raw, encoding)
    if not encoding and read_as in ("GB18030", ""):  # not UTF-8 as a whole
        bad = _mixed_lines(raw)
        for line in bad[:MIXED_SHOWN]:
            c.err(Location(display, line, 1),
                  "this line is not UTF-8, while the file's other lines are: read as one "
                  "encoding, every other name would be garbled",
                  "save the whole file as UTF-8 (this line was pasted in another encoding, "
                  "GBK perhaps), or give the file's one encoding with --encoding")
        if len(bad) > MIXED_SHOWN:
            c.err(Location(display, bad[MIXED_SHOWN], 1),
                  f"... and {len(bad) - MIXED_SHOWN} more lines that are not UTF-8")
        if bad:
            return
    if codec is None:
        c.err(Location(display, 1, 1), f"the file is {why}", "save it as UTF-8 CSV")
        return
    c.roster.encodings[display] = read_as
    # decoded as it is read: memory for the bytes and the rows, not the text too
    rows = csv.reader(io.TextIOWrapper(io.BytesIO(raw), encoding=codec, newline=""))
    del raw
    try:
        for line, header in enumerate(rows, start=1):
            if any(cell.strip() for cell in header):
                cols = c.header(display, header, line)
                if cols is None:
                    return
                c.rows(display, rows, line + 1, cols, text_only=True)
                return
        _no_header(c, display)
    except csv.Error as exc:
        c.err(Location(display, rows.line_num, 1), f"the CSV cannot be read here: {exc}",
              "check the quoting of this row")


def _no_header(c: Collector, display: str) -> None:
    c.err(Location(display, 1, 1), "the file has no header row (it is empty)",
          "the first row names the columns: course_id, role, uid, ...")


def _xlsx(c: Collector, path: str, display: str, sheet: str | None) -> None:
    from openpyxl import load_workbook  # imported here: only workbooks need it

    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
        unpacked = sum(i.file_size for i in members)
        bomb = next((i for i in members if i.file_size > BOMB_FLOOR
                     and i.file_size > MAX_XLSX_RATIO * max(i.compress_size, 1)), None)
    except (zipfile.BadZipFile, OSError):
        c.err(Location(display, 1, 1), "the file is not an XLSX workbook (not a zip file)",
              "save it from Excel as .xlsx, or export CSV")
        return
    if bomb is not None:
        c.err(Location(display, 1, 1),
              f"the workbook's {token(bomb.filename)} unpacks to {bomb.file_size:,} bytes, "
              f"{bomb.file_size // max(bomb.compress_size, 1):,} times its packed size (a zip "
              f"bomb: a sheet of rosters packs about 10 to 30 times)",
              "open it in Excel and save it again, or export CSV")
        return
    if unpacked > MAX_XLSX_UNPACKED:
        c.err(Location(display, 1, 1), f"the workbook unpacks to {unpacked:,} bytes, more "
                                       f"than the {MAX_XLSX_UNPACKED:,} allowed")
        return
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on bad files
        c.err(Location(display, 1, 1), f"the workbook cannot be read ({type(exc).__name__})",
              "save it from Excel as .xlsx, or export CSV")
        return
    try:
        names = wb.sheetnames
        if sheet is not None and sheet not in names:
            c.err(Location(display, 1, 1), f"the workbook has no sheet {token(sheet)!r}; it has "
                                           + ", ".join(repr(token(n)) for n in names))
            return
        for name in ([sheet] if sheet is not None else names):
            where = f"{display}[{printable(name)}]"
            ws = wb[name]
            # some exporters write a stale <dimension>: read-only openpyxl trusts it and
            # would stop early (or pad), so every row is read whatever it says
            ws.reset_dimensions()
            rows = ws.iter_rows(values_only=True)
            for line, header in enumerate(rows, start=1):
                if any(v not in (None, "") for v in header):
                    cols = c.header(where, header, line)
                    if cols is not None:
                        c.rows(where, rows, line + 1, cols)
                    break
    except Exception as exc:  # noqa: BLE001 - a damaged sheet
        c.err(Location(display, 1, 1), f"the workbook cannot be read ({type(exc).__name__})")
    finally:
        wb.close()


def read_rosters(paths: Sequence[str], encoding: str | None = None,
                 sheet: str | None = None) -> Roster:
    """Every file's memberships; ConfigError with every problem found."""
    return _read_rosters(paths, encoding, sheet)


def _read_rosters(paths: Sequence[str], encoding: str | None, sheet: str | None) -> Roster:
    c = Collector()
    for path in paths:
        display = printable(os.path.relpath(path) if not os.path.relpath(path).startswith("..")
                            else path)
        try:
            if path.lower().endswith((".xlsx", ".xlsm")):
                if os.path.islink(path) or not os.path.isfile(path):
                    raise FileProblem("is not a regular file")
                _xlsx(c, path, display, sheet)
            else:
                _csv(c, path, display, encoding)
        except FileProblem as exc:
            c.err(Location(display, 1, 1), f"this file {exc.why}")
            continue
        except OSError as exc:
            c.err(Location(display, 1, 1), f"this file cannot be read ({exc.strerror})")
            continue
        c.roster.files.append(path)
    if c.errors:
        raise ConfigError(c.errors)
    return c.roster


def iter_memberships(roster: Roster) -> Iterator[tuple[int, RowRole, int, int | None, str | None,
                                                        str | None]]:
    """(course, role, uid, lesson, name, custom) of every membership, in order."""
    for cid in sorted(roster.courses):
        c = roster.courses[cid]
        for u in sorted(c.students):
            yield cid, RowRole.STUDENT, u, None, c.students[u], None
        for u in sorted(c.auditors):
            yield cid, RowRole.AUDITOR, u, None, c.auditors[u], None
        for lid in sorted(c.lessons):
            for u in sorted(c.lessons[lid]):
                m = c.lessons[lid][u]
                yield cid, RowRole.LESSON_STUDENT, u, lid, m.name, m.custom


__all__ = ["COLUMNS", "Roster", "RosterCourse", "iter_memberships", "read_rosters"]
