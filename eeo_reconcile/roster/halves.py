"""A large CSV roster read on two cores: the rows are cut into pieces at line
ends; a forked child (`_fork`) checks and collects pieces from the back while
this process does pieces from the front, until they meet; the child sends its
courses back pickled.

Only where the pieces cannot read differently from the whole: a text with no
quote character (so every newline ends a row, and a row is a line) and no
bare carriage return. Only a clean outcome is kept: when either side finds a
problem or reads a row one by one (where order matters), a member is in both
sides (or in an earlier file), or the child fails, everything is dropped and
the rows are read again in this process, which finds and locates every
problem exactly as a serial read does. A clean read collects the same roster
either way (tested).
"""

from __future__ import annotations

import csv
import io
import mmap
import pickle
import struct
from collections.abc import Callable, Iterator
from itertools import chain

from .._fork import ChildFailed, Forked, can_fork
from .model import RosterCourse
from .rows import Collector

PARALLEL_MIN = 4 << 20  # characters: below this a fork costs more than it saves


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
    child when `more_files` follow.

    The rows are cut into pieces at line ends; this process takes pieces
    from the front, the child from the back, until they meet (`_Meeting`),
    so a process slowed by the machine does less of the work."""
    bounds = _pieces(text, start)
    if len(bounds) < 3 or not can_fork():
        return False
    n = len(bounds) - 1
    before = [0]  # rows before each piece
    for k in range(n):
        before.append(before[-1] + text.count("\n", bounds[k], bounds[k + 1]))
    meeting = _Meeting(n)

    def piece(part: Collector, k: int) -> None:
        part.rows(display, _rows(text, bounds[k], bounds[k + 1]), first_line + before[k], cols,
                  text_only=True)

    def child() -> bytes:
        part = Collector()
        low = meeting.from_back(lambda k: piece(part, k), _PACKING)
        if part.errors or part.seen:  # a row read one by one: the order matters, re-read
            return b""
        if not more_files:
            part.fast_chunks = []
        return str(low).encode() + b"\n" + _pack(part)

    worker = Forked(child)
    try:
        mine = Collector()
        high = meeting.from_front(lambda k: piece(mine, k))
        answer = worker.result() if not (mine.errors or mine.seen) else b""
    except csv.Error:  # read again in order, which says where
        worker.cancel()
        return False
    except ChildFailed:
        return False
    except BaseException:
        worker.cancel()
        raise
    finally:
        meeting.close()
    if not answer:
        worker.cancel()
        return False
    head, _, body = answer.partition(b"\n")
    low = int(head)
    if high > low:
        return False  # both read a piece (the meeting raced): read again in one process
    try:
        for k in range(high, low):  # both stopped short of a piece: read it here
            piece(mine, k)
    except csv.Error:
        return False
    if mine.errors or mine.seen:
        return False
    courses, rows, chunks, _ = _unpack(body)
    if not (_disjoint(mine.roster.courses, courses)
            and _disjoint(c.roster.courses, mine.roster.courses)
            and _disjoint(c.roster.courses, courses)):
        return False  # a member twice: read again in order, which says where
    _merge(c, mine.roster.courses, mine.roster.rows, mine.fast_chunks, {}, 0)
    _merge(c, courses, rows, chunks, {}, 0)
    return True


_PIECES = 64  # pieces a text is cut into (at least 256 KiB each)
_PACKING = 4  # pieces the child leaves to this process while it packs (measured: 0.11 s)


def _pieces(text: str, start: int) -> list[int]:
    """Offsets that cut `text[start:]` into pieces at line ends: start, ..., len."""
    step = max(1 << 18, (len(text) - start) // _PIECES)
    out = [start]
    at = start + step
    while at < len(text):
        nl = text.find("\n", at)
        if nl < 0:
            break
        out.append(nl + 1)
        at = nl + 1 + step
    if out[-1] != len(text):
        out.append(len(text))
    return out


class _Meeting:
    """Pieces 0..n-1 taken by two processes from both ends until they meet.
    Each process writes only its own end (memory shared across the fork) and
    announces a piece before reading the other's end, so a piece is taken
    twice only if both announcements cross unseen; the caller checks the two
    ends afterwards (an overlap is refused, a gap read by the parent). No
    lock: a killed child cannot leave anything held."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.mem = mmap.mmap(-1, 16)  # anonymous and shared: [front, back]
        struct.pack_into("qq", self.mem, 0, 0, n)

    def from_front(self, work: Callable[[int], None]) -> int:
        """Do pieces 0, 1, ...; the first piece not done."""
        k = 0
        while k < self.n:
            struct.pack_into("q", self.mem, 0, k + 1)
            if k >= struct.unpack_from("q", self.mem, 8)[0]:
                struct.pack_into("q", self.mem, 0, k)
                break
            work(k)
            k += 1
        return k

    def from_back(self, work: Callable[[int], None], leave: int = 0) -> int:
        """Do pieces n-1, n-2, ..., stopping `leave` pieces short of the front
        (what the front does meanwhile); the last piece done (n if none)."""
        k = self.n - 1
        while k >= 0:
            struct.pack_into("q", self.mem, 8, k)
            if k < struct.unpack_from("q", self.mem, 0)[0] + leave:
                struct.pack_into("q", self.mem, 8, k + 1)
                break
            work(k)
            k -= 1
        return k + 1

    def close(self) -> None:
        self.mem.close()


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
