"""A large CSV roster read on two cores: the rows after a row boundary near
the middle are checked and collected by a forked child (`_fork`) while this
process does the rows before it; the child sends its courses back pickled.

Only where the halves cannot read differently from the whole: a text with
no quote character (so every newline ends a row, and a row is a line) and
no bare carriage return. Only a clean outcome is kept: when either half
finds a problem, or a member is in both halves (or in an earlier file), or
the child fails, both halves are dropped and the rows are read again in
this process, which finds and locates every problem exactly as a serial
read does. A clean read collects the same roster either way (tested).
"""

from __future__ import annotations

import csv
import io
import pickle
from collections.abc import Iterator
from itertools import chain

from .._fork import ChildFailed, Forked, can_fork
from .model import RosterCourse
from .rows import Collector

PARALLEL_MIN = 4 << 20  # characters: below this a fork costs more than it saves
_MINE = 0.55  # of the rows, for this process: the child also packs what it collected


def body_start(text: str, header_line: int) -> int | None:
    """The offset of the rows after the header (row `header_line`), when the
    text can be split by lines (no quote, no bare carriage return)."""
    if len(text) < PARALLEL_MIN or '"' in text or text.count("\r") != text.count("\r\n"):
        return None
    at = 0
    for _ in range(header_line):
        nl = text.find("\n", at)
        if nl < 0:
            return None
        at = nl + 1
    return at


def read_in_halves(c: Collector, display: str, text: str, start: int, first_line: int,
                   cols: dict[str, int], more_files: bool = True) -> bool:
    """Collect the rows of `text[start:]` (row `first_line` on) into `c` on two
    cores; False, with `c` untouched, when that was not possible or not clean
    (the caller then reads them in this process). Where each member's row is
    (to locate a later file's conflict with it) only comes back from the
    child when `more_files` follow."""
    split = text.find("\n", start + int((len(text) - start) * _MINE))
    if split < 0 or not can_fork():
        return False
    split += 1

    def child() -> bytes:
        part = Collector()
        part.rows(display, _rows(text, split), 0, cols, text_only=True)
        if part.errors:
            return b""
        if not more_files:
            part.fast_chunks, part.seen = [], {}
        return _pack(part)

    worker = Forked(child)
    try:
        mine = Collector()
        after = mine.rows(display, _rows(text, start, split), first_line, cols, text_only=True)
    except csv.Error:  # read again in order, which says where
        worker.cancel()
        return False
    except BaseException:
        worker.cancel()
        raise
    if mine.errors:
        worker.cancel()
        return False
    try:
        answer = worker.result()
    except ChildFailed:
        return False
    if not answer:
        return False
    courses, rows, chunks, seen = _unpack(answer)
    if not (_disjoint(mine.roster.courses, courses)
            and _disjoint(c.roster.courses, mine.roster.courses)
            and _disjoint(c.roster.courses, courses)):
        return False  # a member twice: read again in order, which says where
    _merge(c, mine.roster.courses, mine.roster.rows, mine.fast_chunks, mine.seen, 0)
    _merge(c, courses, rows, chunks, seen, after)
    return True


_SEP = "\x00"  # between labels: never in one (a label is printable text)


def _pack(part: Collector) -> bytes:
    """What the child collected, for the parent: the students (almost all of it)
    as flat columns, their labels joined into one text, since pickling a
    string per label took as long as collecting them."""
    courses = part.roster.courses
    order = list(courses)
    counts = [len(courses[cid].students) for cid in order]
    uids = list(chain.from_iterable(courses[cid].students for cid in order))
    labels = list(chain.from_iterable(courses[cid].students.values() for cid in order))
    if None in labels:
        labels = [x or "" for x in labels]
    joined = _SEP.join(labels)  # type: ignore[arg-type]  # no None left
    if joined.count(_SEP) != max(len(labels) - 1, 0):
        return b""  # a label holds the separator (it is not clean anyway)
    rest = {cid: (c.auditors, c.lessons) for cid, c in courses.items()
            if c.auditors or c.lessons}
    return pickle.dumps((order, counts, uids, joined, rest, part.roster.rows,
                         part.fast_chunks, part.seen), pickle.HIGHEST_PROTOCOL)


def _unpack(answer: bytes) -> tuple[dict[int, RosterCourse], int,
                                    list[tuple[str, int, list[int], list[int]]],
                                    dict[int, dict[int, int]]]:
    order, counts, uids, joined, rest, rows, chunks, seen = pickle.loads(answer)  # noqa: S301
    labels: list[str | None] = joined.split(_SEP) if uids else []
    if "" in labels:
        labels = [x or None for x in labels]
    courses: dict[int, RosterCourse] = {}
    pos = 0
    for cid, k in zip(order, counts, strict=True):
        course = courses[cid] = RosterCourse(dict(zip(uids[pos:pos + k], labels[pos:pos + k],
                                                      strict=True)))
        pos += k
        if cid in rest:
            course.auditors, course.lessons = rest[cid]
    return courses, rows, chunks, seen


def _rows(text: str, start: int, end: int | None = None) -> Iterator[list[str]]:
    """The CSV rows of `text[start:end]` (a text `body_start` accepted), read from
    its lines: a StringIO of it would copy it once more. `splitlines` also
    breaks at separators other than newlines (form feed, U+2028, ...): where
    it found any, the rows are read as the csv module splits them."""
    part = text[start:end]
    lines = part.splitlines()
    if len(lines) != part.count("\n") + (not part.endswith("\n")):
        return csv.reader(io.StringIO(part, newline=""))
    return csv.reader(lines)


def _disjoint(a: dict[int, RosterCourse], b: dict[int, RosterCourse]) -> bool:
    """Whether no course of both holds one uid in each."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return all(small[cid].uids().isdisjoint(large[cid].uids())
               for cid in small.keys() & large.keys())


def _merge(c: Collector, courses: dict[int, RosterCourse], rows: int,
           chunks: list[tuple[str, int, list[int], list[int]]],
           seen: dict[int, dict[int, int]], shift: int) -> None:
    have = c.roster.courses
    for cid, new in courses.items():
        old = have.get(cid)
        if old is None:
            have[cid] = new
            continue
        old.students.update(new.students)
        old.auditors.update(new.auditors)
        for lid, m in new.lessons.items():
            old.lessons.setdefault(lid, {}).update(m)
    c.roster.rows += rows
    c.fast_chunks.extend((d, first + shift, cids, uids) for d, first, cids, uids in chunks)
    for cid, lines in seen.items():
        c.seen.setdefault(cid, {}).update(
            lines.items() if not shift else ((u, n + shift) for u, n in lines.items()))
