"""One store over thin storage drivers: the state's logic written once.

A backend is a `Driver`: where a snapshot of the state is kept (`get`, `put`),
where the journal of an apply in progress is kept (`journal_*`: lines of
JSON, appended durably), where the history is kept, and a `Locker`. It never
interprets a `StateOp`: `DriverStore` folds journals and applies ops with the
same code for every backend (`State.apply_all`, `journalfile.fold_lines`), as
Terraform's remote state does over its thin clients.

The order that keeps a crash safe is the store's, for every driver:
  - an apply's confirmed results are journaled (durably) before the next call
    of their course is sent;
  - a new version is `put` with the history batch of its serial: the driver
    makes the batch durable no later than the snapshot (a file: first; a
    database: in the same transaction);
  - a journal is ended only once its state is put, so a crash in between
    leaves a journal whose serial is older than the state's: folded as done.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Iterable, Iterator, Sequence

from ..model import StateRef
from ..provenance import Provenance
from .history import Event, HistoryChange, HistoryEntry
from .journalfile import JOURNAL_FORMAT, Folded, fold_lines
from .lock import Lock, Locker, LockInfo, acquire
from .model import State
from .store import GroupCommitJournal, Journal, Record, StateStore, TimedAt, TimedEvent, now


class Driver(abc.ABC):
    """Where one state lives, and nothing about what it means."""

    locker: Locker

    @abc.abstractmethod
    def describe(self) -> str:
        """A human name for the location (never contains a secret)."""

    def after_lock(self) -> None:  # noqa: B027 - optional hook
        """Tidy what a killed writer may have left (the lock is held)."""

    @abc.abstractmethod
    def get(self) -> State:
        """The stored snapshot (an empty State when there is none)."""

    @abc.abstractmethod
    def put(self, state: State, events: Sequence[TimedEvent], prov: Provenance,
            past: Iterable[HistoryEntry] = ()) -> None:
        """Store `state` as it is (lineage, serial, salt), with the history batch of
        its serial: the batch durable no later than the state. `past`: history
        entries carried from elsewhere (state migrate), in order, stored first
        (in the same transaction where the driver has them)."""

    @abc.abstractmethod
    def journal_start(self, header: bytes) -> None:
        """Begin an apply's journal with its header line; StateError when one exists."""

    @abc.abstractmethod
    def journal_append(self, lines: Sequence[bytes]) -> None:
        """Make these lines durable (one thread at a time); StateError on failure."""

    @abc.abstractmethod
    def journal_lines(self) -> list[bytes] | None:
        """The lines of a journal an apply left (None: there is none)."""

    @abc.abstractmethod
    def journal_end(self) -> None:
        """Remove the journal (its state is put)."""

    @abc.abstractmethod
    def history(self, prefix: str = "", since: str | None = None,
                until: str | None = None) -> Iterator[HistoryEntry]: ...

    @abc.abstractmethod
    def note(self, state: State, events: Sequence[TimedEvent], prov: Provenance) -> None:
        """History that changes no state, in a batch of `state`'s serial."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op for files
        """Release connections."""


class DriverJournal(GroupCommitJournal):
    """Each flush appends the records as journal lines; `close` puts the state
    with what the journal changed in the history, then ends the journal."""

    def __init__(self, store: DriverStore, state: State, prov: Provenance) -> None:
        super().__init__(state)
        self.store = store
        self.provenance = prov

    def _flush(self, batch: list[Record]) -> None:
        self.store.driver.journal_append([
            json.dumps({"t": r.time, "o": [op.to_json() for op in r.ops]},
                       ensure_ascii=False).encode()
            for r in batch])

    def close(self) -> State:
        """Put the state with what was recorded; an apply that recorded nothing
        (every call failed, say) leaves the version as it was, so the saved
        plans made against it stay valid."""
        self._mark_closed()
        written = self.store.put_next(self.state, self.events, self.provenance) \
            if self.recorded() else self.state
        self.store.driver.journal_end()
        return written


class DriverStore(StateStore):
    """A `StateStore` over a `Driver`: the lock, reading with the journal folded,
    versions, journals; the same for every backend."""

    def __init__(self, ref: StateRef, driver: Driver) -> None:
        self.ref = ref
        self.driver = driver
        self.warnings: list[str] = []

    def describe(self) -> str:
        return self.driver.describe()

    def close(self) -> None:
        self.driver.close()

    # -- lock --------------------------------------------------------------------
    def lock(self, operation: str, timeout: float = 0.0) -> Lock:
        lock = acquire(self.driver.locker, self.describe(), operation, timeout)
        self.operation = operation
        self.driver.after_lock()
        return lock

    def lock_info(self) -> LockInfo | None:
        return self.driver.locker.info()

    def force_unlock(self, lock_id: str) -> LockInfo:
        return self.driver.locker.force_unlock(lock_id)

    # -- versions ----------------------------------------------------------------
    def _fold(self, state: State) -> Folded | None:
        lines = self.driver.journal_lines()
        if lines is None:
            return None
        return fold_lines(lines, state, f"the journal of {self.describe()}")

    def read(self) -> State:
        state = self.driver.get()
        f = self._fold(state)
        if f is None:
            return state
        written = self.put_next(f.state, f.events, f.provenance) if f.needed else f.state
        self.driver.journal_end()
        return written

    def snapshot(self) -> State:
        """The snapshot, and a journal folded in memory: the snapshot is read first,
        so a journal folded meanwhile shows as already folded (its serial is older)."""
        state = self.driver.get()
        f = self._fold(state)
        return f.state if f is not None else state

    def put_next(self, state: State, events: Sequence[TimedEvent], prov: Provenance) -> State:
        """Serial + 1 (a lineage and a salt given if new), with its history."""
        new = State(lineage=state.lineage or State.new_lineage(), serial=state.serial + 1,
                    sid=state.sid, courses=state.courses,
                    salt=state.salt or State.new_salt(), people=state.people)
        self.driver.put(new, events, prov)
        state.lineage, state.serial, state.salt = new.lineage, new.serial, new.salt
        return new

    def write(self, state: State, events: Sequence[HistoryChange] = ()) -> State:
        return self.put_next(state, TimedAt(now(), events), self.provenance())

    def store_exact(self, state: State, events: Sequence[HistoryChange] = (),
                    past: Iterable[HistoryEntry] = ()) -> State:
        self.driver.put(state, TimedAt(now(), events), self.provenance(), past)
        return state

    def open_journal(self, state: State) -> Journal:
        if state.lineage is None:
            self.write(state)  # give a new state its lineage before recording into it
        prov = self.provenance()
        header = {"format": JOURNAL_FORMAT, "lineage": state.lineage, "serial": state.serial,
                  "provenance": prov.to_json()}
        self.driver.journal_start(json.dumps(header).encode())
        return DriverJournal(self, state, prov)

    # -- history -----------------------------------------------------------------
    def history(self, prefix: str = "", since: str | None = None,
                until: str | None = None) -> Iterator[HistoryEntry]:
        return self.driver.history(prefix, since, until)

    def note(self, events: Sequence[Event]) -> None:
        """Events that change no state go in a batch of the current serial (after
        what made it), so the history keeps its order."""
        self.driver.note(self.driver.get(), TimedAt(now(), events), self.provenance())


__all__ = ["Driver", "DriverJournal", "DriverStore"]
