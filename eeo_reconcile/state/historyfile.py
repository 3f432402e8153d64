"""The local backend's history: `eeo.state.history.jsonl`, append-only, 0600.

Entries are appended in batches, one batch per state version: the entries of
the change that makes serial S, then an end line `{"end": S, "lineage": L}`.
A batch is appended (and fsync'd) *before* the state file is replaced, and
appending a batch whose end line is already there does nothing; a batch cut
short by a crash (no end line) is cut off before the next one is appended and
is never read. So after any crash, once the next command has folded the
journal, the history holds each confirmed change exactly once, and no change
the state does not hold.

Reading filters on the raw line before parsing it, so finding one student's
entries in a history of millions of lines reads the file at disk speed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from ..errors import StateError
from ..fileio import O_CLOEXEC, O_NOFOLLOW, fsync_dir
from ..provenance import Provenance
from .history import Event, HistoryEntry, matches

_END = b'{"end":'
_CHUNK = 1 << 20


def history_path(state_path: str) -> str:
    base = state_path[:-5] if state_path.endswith(".json") else state_path
    return base + ".history.jsonl"


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # made once


def _dumps(d: object) -> bytes:
    return _encode(d).encode() + b"\n"


def _end_lines(fd: int, size: int) -> Iterator[tuple[int, dict[str, object]]]:
    """The end lines, last first: (offset just after the line, its content).
    Reads backwards, a chunk at a time; a line cut by a chunk boundary is
    carried into the next chunk."""
    start = size
    carry = b""  # the first, possibly cut, line of the region read so far
    carried_newline = False  # whether a newline follows `carry` in the file
    while start > 0:
        new_start = max(0, start - _CHUNK)
        os.lseek(fd, new_start, os.SEEK_SET)
        data = os.read(fd, start - new_start) + carry
        start = new_start
        lines = data.split(b"\n")
        offsets = []
        o = start
        for ln in lines:
            offsets.append(o)
            o += len(ln) + 1
        last = len(lines) - 1
        for k in range(last, -1 if start == 0 else 0, -1):  # the first line may be cut
            ln = lines[k]
            if (k < last or carried_newline) and ln.startswith(_END):
                try:
                    d = json.loads(ln)
                except ValueError:
                    continue
                if isinstance(d, dict):
                    yield offsets[k] + len(ln) + 1, d
        carried_newline = carried_newline or last > 0
        carry = lines[0]


_esc = json.encoder.encode_basestring  # a str as _encode writes it (non-ASCII kept)


def entry_lines(events: Iterable[tuple[str, Event]], prov: Provenance, serial: int
                ) -> Iterator[str]:
    """The lines of `entries(events, prov, serial)`, the same text as encoding
    each entry's `to_json()`, written directly: an apply writes one per member
    it added (216,000 on a district's first day), an import one per member it
    found (a million), where an entry object and a dict each took longer than
    everything else the command did. Made as they are written."""
    op = f',"operation":{_esc(prov.operation)},"action":'
    tail = (f',"serial":{serial},"who":{_encode(prov.who)},"commit":{_encode(prov.commit)},'
            f'"run":{_encode(prov.run)}}}')
    last_t, time_json = None, ""
    for t, (action, address, old, new) in events:
        if t is not last_t:  # an import's or a batch's events share one time
            last_t, time_json = t, _esc(t)
        yield (f'{{"time":{time_json}{op}{_esc(action)},"address":{_esc(address)},"old":'
               f'{"null" if old is None else _value(old)},"new":'
               f'{"null" if new is None else _value(new)}{tail}')


def _value(v: object) -> str:
    """An event's old or new value as _encode writes it; `{"name": ...}`, the
    usual one, without the encoder."""
    if type(v) is dict and len(v) == 1:
        name = v.get("name")
        if type(name) is str:
            return f'{{"name":{_esc(name)}}}'
    return _encode(v)


_LINES_A_WRITE = 8192


def _append(path: str, serial: int, lineage: str | None, lines: Iterable[str],
            note: bool) -> None:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
    except OSError as exc:
        raise StateError(f"cannot open the history {path}: {exc.strerror}") from None
    try:
        size = os.fstat(fd).st_size
        keep = 0
        for i, (offset, d) in enumerate(_end_lines(fd, size)):
            if i == 0:
                keep = offset  # what follows the last end line is a cut batch
            if d.get("note"):
                continue
            if (not note and d.get("lineage") == lineage and isinstance(d.get("end"), int)
                    and int(d["end"]) >= serial):  # type: ignore[call-overload]
                return  # appended before a crash, before the state was written
            break
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


def append_batch(path: str, serial: int, lineage: str | None,
                 batch: Sequence[HistoryEntry]) -> None:
    """Append the entries of the change that makes `serial`, durably, once."""
    _append(path, serial, lineage, [_encode(e.to_json()) for e in batch], note=False)


def append_events(path: str, serial: int, lineage: str | None,
                  events: Iterable[tuple[str, Event]], prov: Provenance) -> None:
    """`append_batch` of `entries(events, prov, serial)`, without making them."""
    _append(path, serial, lineage, entry_lines(events, prov, serial), note=False)


def append_note(path: str, serial: int, lineage: str | None,
                batch: Sequence[HistoryEntry]) -> None:
    """Append entries that change no state (a forced unlock), at `serial`."""
    _append(path, serial, lineage, [_encode(e.to_json()) for e in batch], note=True)


def read(path: str, prefix: str = "", since: str | None = None,
         until: str | None = None) -> Iterator[HistoryEntry]:
    """The entries under `prefix` (an address), between `since` and `until`
    (ISO times, inclusive), oldest first; only of complete batches."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StateError(f"cannot read the history {path}: {exc.strerror}") from None
    needle = b'"address":"' + prefix.rstrip("/").encode() if prefix else b""
    pending: list[bytes] = []
    with fh:
        for line in fh:
            if line.startswith(_END):
                for raw in pending:
                    e = _parse(raw, path)
                    if e is None or not matches(e.address, prefix):
                        continue
                    if (since is None or e.time >= since) and (until is None or e.time <= until):
                        yield e
                pending.clear()
            elif not needle or needle in line:
                pending.append(line)


def _parse(raw: bytes, path: str) -> HistoryEntry | None:
    try:
        d = json.loads(raw)
        return HistoryEntry.from_json(d) if isinstance(d, dict) else None
    except (ValueError, KeyError, TypeError, RecursionError):
        return None  # a damaged line is skipped, the others still read
