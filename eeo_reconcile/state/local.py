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
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..errors import StateError
from ..fileio import (
    O_CLOEXEC,
    O_NOFOLLOW,
    O_NONBLOCK,
    FileProblem,
    atomic_write,
    fsync_dir,
    read_regular,
    remove_stale_temps,
)
from ..model import DEFAULT_STATE_PATH, StateRef
from ..provenance import Provenance
from . import codec, historyfile, journalfile
from .driver import Driver, DriverStore
from .filelock import FileLocker
from .history import HistoryEntry, entries
from .lock import Lock
from .model import State
from .registry import Overrides, register
from .store import Journal, StateStore, TimedEvent

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


class LocalDriver(Driver):
    """The state file, its backup, the journal and the history beside it."""

    def __init__(self, path: str, warnings: list[str]) -> None:
        self.path = os.path.abspath(path)
        self.backup_path = self.path + ".backup"
        self.journal_path = self.path + ".journal"
        self.history_path = historyfile.history_path(self.path)
        self.locker = FileLocker(self.path + ".lock", self.describe())
        self.warnings = warnings
        self._fd: int | None = None  # the journal being written

    def describe(self) -> str:
        return self.path

    def ensure_dir(self) -> None:
        d = os.path.dirname(self.path)
        if not os.path.isdir(d):
            raise StateError(
                f"the directory of the state file {self.path} does not exist: create it "
                "or point `state.path` / --state elsewhere"
            )

    def after_lock(self) -> None:
        remove_stale_temps(self.path)  # left by a write that was killed

    def get(self) -> State:
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

    def put(self, state: State, events: Sequence[TimedEvent], prov: Provenance,
            past: Iterable[HistoryEntry] = ()) -> None:
        """The history batch of the state's serial first (durable), then the state."""
        self.ensure_dir()
        historyfile.append_entries(self.history_path, state.lineage, past)
        if events:
            historyfile.append_events(self.history_path, state.serial, state.lineage, events,
                                      prov)
        else:
            historyfile.cut_unwritten(self.history_path, state.serial, state.lineage)
        try:
            atomic_write(self.path, codec.dumps(state), backup=self.backup_path)
        except FileProblem as exc:
            raise StateError(f"the state {self.path} {exc.why}") from None
        except OSError as exc:
            raise StateError(f"cannot write the state {self.path}: {exc.strerror}") from None

    # -- the journal: created exclusively (never a planted file or link), fsync'd --
    def journal_start(self, header: bytes) -> None:
        try:
            self._fd = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                               | os.O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o600)
        except FileExistsError:
            raise StateError(
                f"a journal {self.journal_path} already exists: another apply is running "
                "without the lock, or a crash left it; run plan to fold it"
            ) from None
        self.journal_append([header])
        fsync_dir(self.journal_path)

    def journal_append(self, lines: Sequence[bytes]) -> None:
        assert self._fd is not None
        try:
            os.write(self._fd, b"".join(line + b"\n" for line in lines))
            os.fsync(self._fd)
        except OSError as exc:
            raise StateError(f"cannot write the journal {self.journal_path}: "
                             f"{exc.strerror}") from None

    def journal_lines(self) -> list[bytes] | None:
        return journalfile.read_lines(self.journal_path)  # None: none, or folded meanwhile

    def journal_end(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        journalfile.remove(self.journal_path)

    # -- the history ---------------------------------------------------------------
    def history(self, prefix: str = "", since: str | None = None,
                until: str | None = None) -> Iterator[HistoryEntry]:
        return historyfile.read(self.history_path, prefix, since, until, self._version())

    def _version(self) -> tuple[str | None, int]:
        """The state's lineage and serial, from its first bytes (a reader of one
        student's history must not parse a state of a million memberships); the
        whole state when its head is not as `codec.dumps` writes it."""
        try:
            fd = os.open(self.path, os.O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                head = os.read(fd, 4096) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
            finally:
                os.close(fd)
            version = codec.version_of(head)
            if version is not None:
                return version
        st = self.get()  # no file (an empty state), or another layout: says what is wrong
        return st.lineage, st.serial

    def note(self, state: State, events: Sequence[TimedEvent], prov: Provenance) -> None:
        historyfile.append_note(self.history_path, state.serial, state.lineage,
                                entries(events, prov, state.serial))


class LocalStore(DriverStore):
    def __init__(self, ref: StateRef):
        path = ref.get("path")
        if not path:
            raise StateError("the local state backend needs a path")
        if "\x00" in path:
            raise StateError("the state path has a NUL character in it: give a plain file name")
        warnings: list[str] = []
        driver = LocalDriver(path, warnings)
        super().__init__(ref, driver)
        self.warnings = warnings
        self.local = driver
        self.path = driver.path
        self.backup_path = driver.backup_path
        self.journal_path = driver.journal_path
        self.history_path = driver.history_path

    def lock(self, operation: str, timeout: float = 0.0) -> Lock:
        self.local.ensure_dir()
        return super().lock(operation, timeout)

    def open_journal(self, state: State) -> Journal:
        self.local.ensure_dir()
        return super().open_journal(state)


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
