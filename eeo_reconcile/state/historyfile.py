"""The local backend's history: `eeo.state.history.jsonl`, append-only, 0600.

Entries are appended in batches, one batch per state version: the entries of
the change that makes serial S, then an end line `{"end": S, "lineage": L}`.
A batch is appended (and fsync'd) *before* the state file is replaced. A
batch cut short by a crash (no end line) is never read; a complete batch whose
state was never written (killed between the two) is not shown, as readers
are given the state's serial, and both are cut before the next batch of that
serial or a later one is appended (whatever that batch holds: a folded
journal's same changes, or another command's). So after any crash, the
history holds each confirmed change exactly once, and no change the state
does not hold (tests/state/test_crash_steps.py kills every step).

An entry is a line `{"time", "operation", "action", "address", "old", "new",
"serial", "who", "commit", "run"}`. The students a change adds to or removes
from one course (or relabels) share one line, at most 8,192 of them:
`{"under": "course/ID/student", "time", "operation", "action", "keys": [uid,
...], "old_names": [...], "new_names": [...], "serial", "who", "commit",
"run"}` (`under` first: a reader tells the two kinds apart by how the line
starts, before parsing it), which stands for the entry at `under/uid` for each uid, its old and
new value `{"name": n}` for a non-empty name in the column at its place, else
null (a column left out is all null). An import of a million members writes
a line per course instead of a line per member, at C speed.

Reading filters on the raw line before parsing it, so finding one student's
entries in a history of millions of lines reads the file at disk speed.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby, islice
from typing import Any

from ..errors import StateError
from ..fileio import (
    O_CLOEXEC,
    O_NOFOLLOW,
    O_NONBLOCK,
    bounded_lines,
    fsync_dir,
    kind_of,
    lines_backwards,
)
from ..provenance import Provenance
from .history import Bulk, HistoryChange, HistoryEntry, matches

_END = b'{"end":'
_CHUNK = 1 << 20
# no line written here comes near this (a bulk line of 8,192 members with long
# names is a few MB); a longer one is damage or planted, skipped without being read whole
_MAX_LINE = 64 << 20


def history_path(state_path: str) -> str:
    base = state_path[:-5] if state_path.endswith(".json") else state_path
    return base + ".history.jsonl"


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # made once


def _dumps(d: object) -> bytes:
    return _encode(d).encode() + b"\n"


def _end_lines(fd: int, size: int) -> Iterator[tuple[int, dict[str, object]]]:
    """The end lines, last first: (offset just after the line, its content).
    Read backwards a chunk at a time; an over-long line is skipped unheld; at
    most MAX_TAIL_SCAN bytes are read before the first end line is found."""
    for offset, ln in lines_backwards(fd, size, _MAX_LINE, _CHUNK,
                                      floor=max(0, size - MAX_TAIL_SCAN)):
        if ln.startswith(_END):
            try:
                d = json.loads(ln)
            except ValueError:
                continue
            if isinstance(d, dict):
                yield offset, d


_esc = json.encoder.encode_basestring  # a str as _encode writes it (non-ASCII kept)


_BULK_LINE = 8192  # keys a line at most: a reader holds one line at a time
_COLUMNS = ("old_names", "new_names", "old_customs", "new_customs")  # Bulk's, in order


def entry_lines(events: Iterable[tuple[str, HistoryChange]], prov: Provenance, serial: int
                ) -> Iterator[str]:
    """The lines of `entries(events, prov, serial)`: an `Event` as its entry's
    `to_json()` encodes, a `Bulk` as bulk lines (see the module), written
    directly; made as they are written."""
    op = f',"operation":{_esc(prov.operation)},"action":'
    tail = (f',"serial":{serial},"who":{_encode(prov.who)},"commit":{_encode(prov.commit)},'
            f'"run":{_encode(prov.run)}}}')
    last_t, time_json = None, ""
    for t, change in events:
        if t is not last_t:  # an import's or a batch's events share one time
            last_t, time_json = t, _esc(t)
        if type(change) is Bulk:
            head = f'{{"under":{_esc(change.under)},"time":{time_json}{op}{_esc(change.action)}'
            keys = change.keys
            for i in range(0, len(keys), _BULK_LINE):  # the C encoder does the columns
                part = change if len(keys) <= _BULK_LINE else Bulk(
                    change.action, change.under, keys[i:i + _BULK_LINE],
                    *(None if col is None else col[i:i + _BULK_LINE] for col in change[3:]))
                yield f"{head},{_encode_columns(part)[1:-1]}{tail}"
            continue
        action, address, old, new = change  # type: ignore[misc]
        yield (f'{{"time":{time_json}{op}{_esc(action)},"address":{_esc(address)},"old":'
               f'{"null" if old is None else _value(old)},"new":'
               f'{"null" if new is None else _value(new)}{tail}')


def _encode_columns(b: Bulk) -> str:
    """`{"keys": [...], "old_names": [...], ...}` of a bulk line (the columns
    given), by the C encoder: lists of numbers and texts are its fast path."""
    cols: dict[str, Any] = {"keys": b.keys if type(b.keys) in (list, tuple) else list(b.keys)}
    for f, col in zip(_COLUMNS, b[3:], strict=True):
        if col is not None:
            cols[f] = col if type(col) in (list, tuple) else list(col)
    return _encode(cols)


def _value(v: object) -> str:
    """An event's old or new value as _encode writes it; `{"name": ...}`, the
    usual one, without the encoder."""
    if type(v) is dict and len(v) == 1:
        name = v.get("name")
        if type(name) is str:
            return f'{{"name":{_esc(name)}}}'
    return _encode(v)


_LINES_A_WRITE = 8192


MAX_HISTORY_BYTES = 8 << 30  # a million per-member entries are 240 MB
MAX_TAIL_SCAN = 1 << 30  # bytes read back from the end looking for the last batch's end


def _checked(fd: int, path: str) -> int:
    """The history's size, after refusing what is not a regular file (a FIFO would
    block every reader) or is over MAX_HISTORY_BYTES (a planted sparse file)."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise StateError(f"the history {path} is {kind_of(st.st_mode)}, not a regular file: "
                         "move it away to continue")
    if st.st_size > MAX_HISTORY_BYTES:
        os.close(fd)
        raise StateError(
            f"the history {path} is {st.st_size:,} bytes, more than the "
            f"{MAX_HISTORY_BYTES:,} allowed (a damaged or planted file, or years of "
            "history): move it away (archive it) to continue; a new one is started")
    return int(st.st_size)


def _kept(fd: int, size: int, path: str, serial: int, lineage: str | None,
          note: bool) -> int:
    """Where the history's good part ends, before a batch for `serial` is
    appended: after the last end line, less what a crash left. What follows the
    last end line is a batch cut short; a batch of this lineage at `serial` or
    later is one whose state was never written (killed between the history and
    the state, or replaced by the next command's own batch for that serial): it
    is cut, with any note after it, so the history never holds a change the
    state does not (a note, which changes no state, is appended at the state's
    own serial and cuts nothing)."""
    last: int | None = None
    orphan = False
    for offset, d in _end_lines(fd, size):
        if last is None:
            last = offset
        if d.get("note"):
            continue
        end = d.get("end")
        if not note and d.get("lineage") == lineage and type(end) is int and end >= serial:
            orphan = True
            continue
        return offset if orphan else last
    if last is None and size > MAX_TAIL_SCAN or orphan and size > MAX_TAIL_SCAN:
        raise StateError(
            f"the history {path} has no complete batch in its last {MAX_TAIL_SCAN:,} "
            "bytes (a damaged or planted file): move it away (archive it) to continue")
    return 0 if orphan or last is None else last


def _append(path: str, serial: int, lineage: str | None, lines: Iterable[str],
            note: bool) -> None:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                     0o600)
    except OSError as exc:
        raise StateError(f"cannot open the history {path}: {exc.strerror}") from None
    size = _checked(fd, path)
    try:
        keep = _kept(fd, size, path, serial, lineage, note)
        if keep != size:
            os.ftruncate(fd, keep)
        os.lseek(fd, keep, os.SEEK_SET)
        end: dict[str, object] = {"end": serial, "lineage": lineage}
        if note:
            end["note"] = True
        it = iter(lines)
        while chunk := list(islice(it, _LINES_A_WRITE)):  # bounded memory, few writes
            _write_all(fd, ("\n".join(chunk) + "\n").encode())
        _write_all(fd, (_encode(end) + "\n").encode())
        os.fsync(fd)
    except OSError as exc:
        raise StateError(f"cannot write the history {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if size == 0:
        fsync_dir(path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def append_events(path: str, serial: int, lineage: str | None,
                  events: Iterable[tuple[str, HistoryChange]], prov: Provenance) -> None:
    """Append the entries (`entries(events, prov, serial)`, written without
    making them) of the change that makes `serial`, durably, once."""
    _append(path, serial, lineage, entry_lines(events, prov, serial), note=False)


def append_entries(path: str, lineage: str | None, entries: Iterable[HistoryEntry]) -> int:
    """Append entries read from another store (state migrate), a batch per serial
    as they come; returns how many."""
    n = 0
    for serial, batch in groupby(entries, key=lambda e: e.serial):
        lines = [_encode(e.to_json()) for e in batch]
        n += len(lines)
        _append(path, serial, lineage, lines, note=False)
    return n


def cut_unwritten(path: str, serial: int, lineage: str | None) -> None:
    """Cut what a crash left past the state about to be written at `serial`
    (see `_kept`) when that state comes with no batch of its own."""
    try:
        fd = os.open(path, os.O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StateError(f"cannot open the history {path}: {exc.strerror}") from None
    size = _checked(fd, path)
    try:
        keep = _kept(fd, size, path, serial, lineage, note=False)
        if keep != size:
            os.ftruncate(fd, keep)
            os.fsync(fd)
    except OSError as exc:
        raise StateError(f"cannot write the history {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def append_note(path: str, serial: int, lineage: str | None,
                batch: Sequence[HistoryEntry]) -> None:
    """Append entries that change no state (a forced unlock), at `serial`."""
    _append(path, serial, lineage, [_encode(e.to_json()) for e in batch], note=True)


def read(path: str, prefix: str = "", since: str | None = None,
         until: str | None = None, state: tuple[str | None, int] | None = None
         ) -> Iterator[HistoryEntry]:
    """The entries under `prefix` (an address), between `since` and `until`
    (ISO times, inclusive), oldest first; only of complete batches, and (given
    the state's lineage and serial) only of batches the state holds: a batch a
    crash left ahead of the state is not shown (the next write cuts it)."""
    try:
        fd = os.open(path, os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StateError(f"cannot read the history {path}: {exc.strerror}") from None
    _checked(fd, path)
    fh = os.fdopen(fd, "rb")
    p = prefix.rstrip("/")
    needle = b'"address":"' + p.encode() if p else b""
    pending: list[bytes] = []
    with fh:
        for line in bounded_lines(fh, _MAX_LINE):
            if line.startswith(_END):
                if state is not None and _ahead(line, *state):
                    pending.clear()
                    continue
                for raw in pending:
                    for e in _parse(raw, p):
                        if ((since is None or e.time >= since)
                                and (until is None or e.time <= until)):
                            yield e
                pending.clear()
            elif (not needle or needle in line
                  or (line.startswith(_UNDER) and _bulk_may_match(line, p))):
                pending.append(line)


def _ahead(end_line: bytes, lineage: str | None, serial: int) -> bool:
    """Whether an end line closes a batch of `lineage` past `serial`."""
    try:
        d = json.loads(end_line)
    except ValueError:
        return False
    return (isinstance(d, dict) and not d.get("note") and d.get("lineage") == lineage
            and type(d.get("end")) is int and d["end"] > serial)


_UNDER = b'{"under":"'  # how a bulk line starts (one test tells it from an entry)


def _bulk_may_match(line: bytes, prefix: str) -> bool:
    """Whether a bulk line may hold entries under `prefix`: its `under` lies
    below the prefix, or the prefix below its `under` (told from the raw line;
    the parsed line decides)."""
    j = line.find(b'"', len(_UNDER))
    raw = line[len(_UNDER):j]
    if j < 0 or b"\\" in raw:
        return True  # escaped: let the parser tell
    under = raw.decode("utf-8", "replace")
    return matches(under, prefix) or prefix.startswith(under + "/")


def _parse(raw: bytes, prefix: str) -> list[HistoryEntry]:
    """The entries of a line under `prefix` (a damaged line has none: it is
    skipped, the others still read)."""
    try:
        d = json.loads(raw)
        if not isinstance(d, dict):
            return []
        if "under" not in d:
            e = HistoryEntry.from_json(d)
            return [e] if matches(e.address, prefix) else []
        return _bulk_entries(d, prefix)
    except (ValueError, KeyError, TypeError, RecursionError):
        return []


def _bulk_entries(d: dict[str, Any], prefix: str) -> list[HistoryEntry]:
    under, keys = d["under"], d["keys"]
    columns = [d.get(f) for f in _COLUMNS]
    if (type(under) is not str or type(keys) is not list
            or any(c is not None and (type(c) is not list or len(c) != len(keys))
                   for c in columns)):
        return []
    if not matches(under, prefix):  # the prefix names one key below `under`
        want = prefix[len(under) + 1:]
        picked = [i for i, k in enumerate(keys) if str(k) == want]
    else:
        picked = list(range(len(keys)))
    if not picked:
        return []
    head = HistoryEntry.from_json({**d, "address": under})  # checks the shared fields
    on = [None if c is None else [c[i] for i in picked] for c in columns]
    bulk = Bulk(head.action, under, [keys[i] for i in picked], *on)
    return [HistoryEntry(head.time, head.operation, head.action, e.address, e.old, e.new,
                         head.serial, head.who, head.commit, head.run) for e in bulk.events()]
