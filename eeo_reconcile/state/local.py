"""The local state backend: a JSON file beside the configuration.

Files (all mode 0600):
  <path>          the state
  <path>.backup   the previous version (a hard link to the replaced file)
  <path>.lock     flock + the holder's LockInfo
  <path>.journal  confirmed API results of an apply in progress (JSON lines)

Writes are atomic: temp file (hidden, random name, created exclusively),
fsync, rename, fsync of the directory; temp files a killed write left are
removed under the lock. A journal left by a killed apply is folded into the
state by the next `read()`. None of these files is read through a symbolic
link, and the state must be a regular file: a planted link, pipe or device
is an error that names the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..errors import StateError
from ..fileio import FileProblem, atomic_write, read_regular, remove_stale_temps
from ..model import DEFAULT_STATE_PATH, StateRef
from ..provenance import Provenance
from . import codec, historyfile, journalfile
from .filelock import FileLocker
from .history import Change, Event, HistoryEntry, entries
from .lock import Lock, LockInfo, acquire
from .model import State
from .registry import Overrides, register
from .store import Journal, StateStore, TimedAt, TimedEvent, now

MAX_STATE_BYTES = 1 << 30  # a 1,000,000-membership state is about 15 MB


def load_state_file(path: str) -> State:
    """A state file given on the command line (state push, state diff): a regular
    file, read strictly."""
    try:
        raw = read_regular(path, MAX_STATE_BYTES)
    except FileProblem as exc:
        raise StateError(f"the state file {path} {exc.why}") from None
    except OSError as exc:
        raise StateError(f"cannot read the state file {path}: {exc.strerror}") from None
    return codec.loads(raw, path)


class LocalStore(StateStore):
    def __init__(self, ref: StateRef):
        path = ref.get("path")
        if not path:
            raise StateError("the local state backend needs a path")
        if "\x00" in path:
            raise StateError("the state path has a NUL character in it: give a plain file name")
        self.ref = ref
        self.warnings: list[str] = []
        self.path = os.path.abspath(path)
        self.backup_path = self.path + ".backup"
        self.journal_path = self.path + ".journal"
        self.history_path = historyfile.history_path(self.path)
        self._locker = FileLocker(self.path + ".lock", self.describe())

    def describe(self) -> str:
        return self.path

    def _ensure_dir(self) -> None:
        d = os.path.dirname(self.path)
        if not os.path.isdir(d):
            raise StateError(
                f"the directory of the state file {self.path} does not exist: create it "
                "or point `state.path` / --state elsewhere"
            )

    def lock(self, operation: str, timeout: float = 0.0) -> Lock:
        self._ensure_dir()
        lock = acquire(self._locker, self.describe(), operation, timeout)
        self.operation = operation
        remove_stale_temps(self.path)  # left by a write that was killed
        return lock

    def lock_info(self) -> LockInfo | None:
        return self._locker.info()

    def force_unlock(self, lock_id: str) -> LockInfo:
        return self._locker.force_unlock(lock_id)

    def _read_file(self) -> State:
        try:
            raw = read_regular(self.path, MAX_STATE_BYTES)
        except FileNotFoundError:
            return State()
        except FileProblem as exc:
            raise StateError(f"the state {self.path} {exc.why}: refusing to read it") from None
        self._check_mode(self.path)
        return codec.loads(raw, self.path)

    def _check_mode(self, path: str) -> None:
        try:
            mode = os.lstat(path).st_mode & 0o777
        except OSError:
            return
        if mode & 0o077:
            self.warnings.append(
                f"the state {path} can be read by others (mode {mode:04o}): it holds "
                "children's names and ids; it is written with mode 0600 from now on"
            )

    def read(self) -> State:
        state = self._read_file()
        if os.path.lexists(self.journal_path):
            state = self._recover(state)
        return state

    def snapshot(self) -> State:
        """The file, and a journal folded in memory: the state is read first, so a
        journal folded meanwhile shows as already folded (its serial is older)."""
        state = self._read_file()
        if os.path.lexists(self.journal_path):
            try:
                state = journalfile.fold(self.journal_path, state).state
            except FileNotFoundError:
                pass  # folded and removed meanwhile: the file read is that version
        return state

    def _recover(self, state: State) -> State:
        """Fold the journal of an apply that did not finish into the state (and
        what it changed into the history)."""
        f = journalfile.fold(self.journal_path, state)
        written = self._write(f.state, f.events, f.provenance) if f.needed else f.state
        journalfile.remove(self.journal_path)
        return written

    def write(self, state: State, events: Sequence[Change] = ()) -> State:
        when = now()
        return self._write(state, TimedAt(when, events), self.provenance())

    def _write(self, state: State, events: Sequence[TimedEvent], prov: Provenance) -> State:
        """Serial + 1: the history batch of that serial first, then the state."""
        self._ensure_dir()
        lineage = state.lineage or State.new_lineage()
        new = State(
            lineage=lineage,
            serial=state.serial + 1,
            sid=state.sid,
            courses=state.courses,
            salt=state.salt or State.new_salt(),
        )
        # the history batch is durable before the state is replaced
        historyfile.append_events(self.history_path, state.serial + 1, lineage, events, prov)
        try:
            atomic_write(self.path, codec.dumps(new), backup=self.backup_path)
        except OSError as exc:
            raise StateError(f"cannot write the state {self.path}: {exc.strerror}") from None
        state.lineage, state.serial, state.salt = new.lineage, new.serial, new.salt
        return new

    def store_exact(self, state: State, events: Sequence[Change] = ()) -> State:
        self._ensure_dir()
        if events:
            historyfile.append_events(self.history_path, state.serial, state.lineage,
                                      TimedAt(now(), events), self.provenance())
        try:
            atomic_write(self.path, codec.dumps(state), backup=self.backup_path)
        except OSError as exc:
            raise StateError(f"cannot write the state {self.path}: {exc.strerror}") from None
        return state

    def history(self, prefix: str = "", since: str | None = None,
                until: str | None = None) -> Iterator[HistoryEntry]:
        return historyfile.read(self.history_path, prefix, since, until)

    def note(self, events: Sequence[Event]) -> None:
        """Events that change no state go in a batch of the current serial (after
        what made it), so the history keeps its order."""
        st = self._read_file()
        when = now()
        historyfile.append_note(self.history_path, st.serial, st.lineage,
                                entries([(when, e) for e in events], self.provenance(),
                                        st.serial))

    def open_journal(self, state: State) -> Journal:
        if state.lineage is None:
            self.write(state)  # give a new state its lineage before recording into it
        try:
            return journalfile.LocalJournal(self.journal_path, state, self._write,
                                            self.provenance())
        except FileExistsError:
            raise StateError(
                f"a journal {self.journal_path} already exists: another apply is running "
                "without the lock, or a crash left it; run plan to fold it"
            ) from None


class LocalBackend:
    """`state: {backend: local, path: FILE}`; `--state FILE` selects it."""

    name = "local"
    overrides: tuple[str, ...] = ("state_path",)
    flags = "--state FILE"
    left_as_is = "The local file was left as it was; remove it once you have checked the move."

    def config_block(self, ref: StateRef, base_dir: str) -> dict[str, str]:
        return {"backend": self.name, "path": os.path.relpath(ref.get("path") or "", base_dir)}

    def ref_from_config(self, block: Mapping[str, Any], base_dir: str) -> StateRef:
        path = str(block.get("path", DEFAULT_STATE_PATH))
        return StateRef.of(self.name, path=os.path.normpath(os.path.join(base_dir, path)))

    def default_ref(self, base_dir: str) -> StateRef:
        return StateRef.of(self.name, path=os.path.abspath(os.path.join(base_dir,
                                                                        DEFAULT_STATE_PATH)))

    def with_overrides(self, ref: StateRef, overrides: Overrides) -> StateRef:
        path = overrides.get("state_path")
        return StateRef.of(self.name, path=os.path.abspath(path)) if path else ref

    def open(self, ref: StateRef, env: Mapping[str, str], overrides: Overrides) -> StateStore:
        return LocalStore(ref)


register(LocalBackend())
