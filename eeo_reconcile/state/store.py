"""The small interfaces the planner and the executor use to reach state.

A `StateStore` knows where one school's state lives. It hands out a `Lock`
(held for a whole plan+apply), reads and writes the `State`, and opens a
`Journal` through which apply records every confirmed API result durably as
it lands. Backends (`local`, a JSON file; `postgres`) implement these and
register themselves in `state.registry`.
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat

from ..errors import StateError
from ..model import StateRef
from ..provenance import Provenance, detect
from .history import Event, HistoryChange, HistoryEntry, events_between, events_from_ops
from .lock import Lock, LockInfo
from .model import State
from .ops import StateOp

TimedEvent = tuple[str, HistoryChange]


class TimedAt(Sequence[TimedEvent]):
    """Events that all happened at `when`, as (when, event) pairs, without making
    a pair per event until asked (an import records one event per member)."""

    def __init__(self, when: str, events: Sequence[HistoryChange]) -> None:
        self.when = when
        self.events = events

    def __len__(self) -> int:
        return len(self.events)

    def __bool__(self) -> bool:
        return bool(self.events)

    def __iter__(self) -> Iterator[TimedEvent]:
        return zip(repeat(self.when), self.events)

    def __getitem__(self, i: int) -> TimedEvent:  # type: ignore[override]
        return self.when, self.events[i]


_now: tuple[int, str] = (-1, "")  # the last second asked for, as text


def now() -> str:
    """UTC now, to the second, as history entries give it (an apply asks once a
    result: the text is made once a second)."""
    global _now
    t = int(time.time())
    second, text = _now
    if second != t:
        text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        _now = (t, text)
    return text


@dataclass(frozen=True)
class Record:
    """One `Journal.record` call: when, its ops, and what they change."""

    time: str
    ops: tuple[StateOp, ...]
    events: tuple[HistoryChange, ...]


class Journal(abc.ABC):
    """Durable, append-only record of confirmed results during an apply."""

    state: State

    @abc.abstractmethod
    def record(self, ops: Sequence[StateOp]) -> None:
        """Make `ops` durable, then apply them to `self.state`. Thread-safe."""

    @abc.abstractmethod
    def close(self) -> State:
        """Fold everything recorded into the stored state and end the journal."""


class GroupCommitJournal(Journal):
    """`record` with group commit: calls from many threads that arrive while a
    flush is under way are made durable together by the next flush, and each
    call returns only once its own ops are durable (then applies them to
    `self.state`). Backends implement `_flush`."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._cv = threading.Condition()
        self._pending: list[Record] = []
        self.events: list[TimedEvent] = []  # what the durable records changed, in order
        self._next = 1  # sequence number of the next record
        self._durable = 0  # highest sequence number made durable
        self._flushing = False
        self._error: StateError | None = None
        self._closed = False

    @abc.abstractmethod
    def _flush(self, batch: list[Record]) -> None:
        """Make these records durable (called without the lock, by one thread at
        a time); raise StateError when that fails."""

    def record(self, ops: Sequence[StateOp]) -> None:
        if not ops:
            return
        with self._cv:
            if self._closed:
                raise StateError("the journal is closed")
            seq = self._next
            self._next += 1
            # what the ops change, against the state before them: a course's
            # earlier records are applied by now (its worker waited for them)
            rec = Record(now(), tuple(ops), tuple(events_from_ops(self.state, ops)))
            self._pending.append(rec)
            while self._durable < seq:
                if self._error is not None:
                    raise self._error
                if self._flushing:
                    self._cv.wait()
                    continue
                self._flushing = True
                batch, self._pending = self._pending, []
                upto = self._next - 1
                self._cv.release()
                err: StateError | None = None
                try:
                    self._flush(batch)
                except StateError as exc:
                    err = exc
                finally:
                    self._cv.acquire()
                    self._flushing = False
                if err is not None:
                    self._error = err
                    self._cv.notify_all()
                    raise err
                self._durable = upto
                self._cv.notify_all()
            self.state.apply_all(ops)
            self.events.extend((rec.time, e) for e in rec.events)

    def _mark_closed(self) -> None:
        with self._cv:
            self._closed = True

    def recorded(self) -> bool:
        """Whether anything was made durable."""
        with self._cv:
            return self._durable > 0


class StateStore(abc.ABC):
    """Where one state lives; every method but `lock`/`lock_info`/`force_unlock`
    expects the caller to hold the lock.

    Every change is recorded in the history with the change itself: the
    journal's records, and the events given to `write` / `store_exact`, under
    the provenance of the operation the lock was taken for."""

    ref: StateRef
    warnings: list[str]  # things the user should know, found while reading (never fatal)
    origin_dir: str | None = None  # the configuration directory (its git commit)
    operation: str = "unknown"  # what the lock was taken for

    def provenance(self) -> Provenance:
        return detect(self.operation, self.origin_dir)

    @abc.abstractmethod
    def history(self, prefix: str = "", since: str | None = None,
                until: str | None = None) -> Iterator[HistoryEntry]:
        """The recorded history under an address prefix, oldest first (no lock)."""

    @abc.abstractmethod
    def note(self, events: Sequence[Event]) -> None:
        """Record events that change no state (a forced unlock)."""

    @abc.abstractmethod
    def describe(self) -> str:
        """A human name for the location (never contains a secret)."""

    @abc.abstractmethod
    def lock(self, operation: str, timeout: float = 0.0) -> Lock:
        """Take the lock or raise LockError with the holder's info."""

    @abc.abstractmethod
    def lock_info(self) -> LockInfo | None: ...

    @abc.abstractmethod
    def force_unlock(self, lock_id: str) -> LockInfo: ...

    @abc.abstractmethod
    def read(self) -> State:
        """The current state, after folding any journal a crashed apply left."""

    @abc.abstractmethod
    def snapshot(self) -> State:
        """A consistent version of the state, read without the lock and without
        writing anything (an apply under way: what it has recorded so far)."""

    @abc.abstractmethod
    def write(self, state: State, events: Sequence[HistoryChange] = ()) -> State:
        """Persist a whole new version (serial + 1; lineage assigned if new), and
        `events` (what changed) in the history with it."""

    @abc.abstractmethod
    def open_journal(self, state: State) -> Journal:
        """Start recording an apply on top of `state` (as returned by `read`)."""

    @abc.abstractmethod
    def store_exact(self, state: State, events: Sequence[HistoryChange] = (),
                    past: Iterable[HistoryEntry] = ()) -> State:
        """Store `state` with its lineage and serial exactly as given (and `past`,
        the history of another store, before it: state migrate)."""

    def push(self, state: State, force: bool = False) -> State:
        """Replace the stored state by another one (state push), keeping its lineage
        and serial. Refused, unless `force`, for another lineage, a lower serial, or
        the same serial with other content. Forced over a newer state, the serial
        moves past the stored one so saved plans can never match twice."""
        current = self.read()
        new = state.copy()
        if current.lineage is not None:
            if not force:
                if state.lineage != current.lineage:
                    raise StateError(
                        f"refusing to push: the state to push has lineage {state.lineage}, "
                        f"{self.describe()} has {current.lineage} (use --force to overwrite)"
                    )
                if state.serial < current.serial:
                    raise StateError(
                        f"refusing to push: serial {state.serial} is lower than the stored "
                        f"serial {current.serial} (use --force to overwrite)"
                    )
                if state.serial == current.serial and not state.same_content(current):
                    raise StateError(
                        f"refusing to push: serial {state.serial} is already stored with other "
                        "content (use --force to overwrite)"
                    )
            elif state.serial <= current.serial:
                new.serial = current.serial + 1
        if new.lineage is None:
            new.lineage = State.new_lineage()
        new.salt = current.salt or new.salt or State.new_salt()  # one school, one key
        return self.store_exact(new, events_between(current, new))

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op for files
        """Release connections (no-op for files)."""
