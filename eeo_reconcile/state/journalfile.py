"""The journal of an apply in progress, as lines, for every backend.

JSON lines: a header (format, lineage, serial of the state it records into,
the provenance of the apply), then one line per recorded call -- its time and
its ops -- durable before `record` returns (group-committed across threads;
`driver.DriverJournal` writes them through the backend's driver). The next
command that reads the state folds a journal a killed apply left;
`fold_lines` checks every line, because a journal can be damaged or planted
like any file, and gives the history events of what it folds (the same
events the apply would have recorded had it finished).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import StateError
from ..fileio import FileProblem, fsync_dir, read_regular
from ..provenance import Provenance
from .history import events_from_ops
from .model import State
from .ops import ops_from_json
from .store import TimedEvent

JOURNAL_FORMAT = "eeo-reconcile-journal"
MAX_JOURNAL_BYTES = 1 << 30


def remove(path: str) -> None:
    os.unlink(path)
    fsync_dir(path)


@dataclass
class Folded:
    state: State
    needed: bool  # False: nothing to fold (no op), or folded before a crash
    events: list[TimedEvent]
    provenance: Provenance


def read_lines(path: str) -> list[bytes] | None:
    """The lines of the journal file at `path` (None: there is none): a regular
    file of at most MAX_JOURNAL_BYTES, never read through a link."""
    try:
        raw = read_regular(path, MAX_JOURNAL_BYTES)
    except FileNotFoundError:
        return None
    except FileProblem as exc:
        raise StateError(f"the journal {path} {exc.why}: move it away to continue") from None
    return raw.split(b"\n")


def fold(path: str, state: State) -> Folded:
    """`state` with the journal file at `path` folded in (see `fold_lines`)."""
    lines = read_lines(path)
    return fold_lines(lines if lines is not None else [], state, f"the journal {path}")


def fold_lines(lines: Sequence[bytes], state: State, where: str) -> Folded:
    """`state` with a journal's lines folded in, whether it must be written into
    the state, and the history events of what was folded. `where` names the
    journal in messages. The same for every backend."""
    unknown = Provenance("apply", "unknown (a journal without provenance)")
    if not lines or not lines[0].strip():
        return Folded(state, False, [], unknown)  # crashed before the header reached disk
    try:
        header = json.loads(lines[0])
    except (ValueError, RecursionError):
        header = None
    if type(header) is not dict:
        raise StateError(
            f"{where} has an unreadable header; inspect it and move it away to continue"
        )
    if header.get("format") != JOURNAL_FORMAT:
        raise StateError(f"{where} is not an eeo-reconcile journal")
    if header.get("lineage") != state.lineage:
        raise StateError(
            f"{where} belongs to state lineage {str(header.get('lineage'))[:64]}, "
            f"but the state has lineage {state.lineage}; inspect both and move the journal "
            "away to continue"
        )
    serial = header.get("serial")
    if serial != state.serial or type(serial) is not int:
        if type(serial) is int and serial < state.serial:
            return Folded(state, False, [], unknown)  # already folded before a crash
        raise StateError(
            f"{where} was made against serial {str(serial)[:20]}, not the "
            f"state's {state.serial}; inspect both and move the journal away to continue"
        )
    prov = Provenance.from_json(header.get("provenance")) or unknown
    events: list[TimedEvent] = []
    folded = False  # a journal with no op in it changes nothing: the version stays
    body = lines[1:]
    for i, line in enumerate(body):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            when = "unknown"
            if type(data) is dict:  # {"t": time, "o": ops}; a bare list is the old form
                t = data.get("t")
                when = t if type(t) is str else "unknown"
                data = data.get("o")
            ops = ops_from_json(data)
        except (ValueError, RecursionError) as exc:
            if all(not rest.strip() for rest in body[i + 1:]):
                break  # a torn last line: the call it describes was not confirmed
            raise StateError(
                f"{where} is damaged at line {i + 2} ({str(exc)[:120]}); inspect "
                "it and move it away to continue"
            ) from None
        events.extend((when[:40], e) for e in events_from_ops(state, ops))
        state.apply_all(ops)
        folded = folded or bool(ops)
    return Folded(state, folded, events, prov)
