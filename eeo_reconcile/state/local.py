"""The local state backend: a JSON file beside the configuration.

Files (all mode 0600):
  <path>          the state
  <path>.backup   the previous version (a hard link to the replaced file)
  <path>.lock     flock + the holder's LockInfo
  <path>.journal  confirmed API results of an apply in progress (JSON lines)

Writes are atomic: temp file, fsync, rename, fsync of the directory. A journal
left by a killed apply is folded into the state by the next `read()`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import StateError
from ..fileio import atomic_write, fsync_dir
from ..model import DEFAULT_STATE_PATH, StateRef
from .filelock import FileLocker
from .lock import Lock, LockInfo, acquire
from .model import State
from .ops import StateOp
from .registry import Overrides, register
from .store import GroupCommitJournal, Journal, StateStore

JOURNAL_FORMAT = "eeo-reconcile-journal"


class LocalJournal(GroupCommitJournal):
    """Append-only JSON lines, one per recorded call, fsync'd before `record`
    returns (group-committed across threads)."""

    def __init__(self, store: LocalStore, state: State):
        super().__init__(state)
        self.store = store
        self.path = store.journal_path
        header = {"format": JOURNAL_FORMAT, "lineage": state.lineage, "serial": state.serial}
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        os.write(self._fd, json.dumps(header).encode() + b"\n")
        os.fsync(self._fd)
        fsync_dir(self.path)

    def _flush(self, batch: list[Sequence[StateOp]]) -> None:
        data = b"".join(
            json.dumps([op.to_json() for op in ops], ensure_ascii=False).encode() + b"\n"
            for ops in batch
        )
        try:
            os.write(self._fd, data)
            os.fsync(self._fd)
        except OSError as exc:
            raise StateError(f"cannot write the journal {self.path}: {exc.strerror}") from None

    def close(self) -> State:
        self._mark_closed()
        os.close(self._fd)
        written = self.store.write(self.state)
        os.unlink(self.path)
        fsync_dir(self.path)
        return written


class LocalStore(StateStore):
    def __init__(self, ref: StateRef):
        path = ref.get("path")
        if not path:
            raise StateError("the local state backend needs a path")
        self.ref = ref
        self.path = os.path.abspath(path)
        self.backup_path = self.path + ".backup"
        self.journal_path = self.path + ".journal"
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
        return acquire(self._locker, self.describe(), operation, timeout)

    def lock_info(self) -> LockInfo | None:
        return self._locker.info()

    def force_unlock(self, lock_id: str) -> LockInfo:
        return self._locker.force_unlock(lock_id)

    def _read_file(self) -> State:
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return State()
        except OSError as exc:
            raise StateError(f"cannot read the state {self.path}: {exc.strerror}") from None
        return State.loads(raw, self.path)

    def read(self) -> State:
        state = self._read_file()
        if os.path.exists(self.journal_path):
            state = self._recover(state)
        return state

    def _recover(self, state: State) -> State:
        """Fold the journal of an apply that did not finish into the state."""
        with open(self.journal_path, "rb") as fh:
            lines = fh.read().split(b"\n")
        if not lines or not lines[0].strip():
            os.unlink(self.journal_path)  # crashed before the header reached disk
            return state
        try:
            header = json.loads(lines[0])
        except ValueError:
            raise StateError(
                f"the journal {self.journal_path} has an unreadable header; inspect it and "
                "move it away to continue"
            ) from None
        if header.get("format") != JOURNAL_FORMAT:
            raise StateError(f"{self.journal_path} is not an eeo-reconcile journal")
        if header.get("lineage") != state.lineage:
            raise StateError(
                f"the journal {self.journal_path} belongs to state lineage "
                f"{header.get('lineage')}, but {self.path} has lineage {state.lineage}; "
                "inspect both and move the journal away to continue"
            )
        if header.get("serial") != state.serial:
            if isinstance(header.get("serial"), int) and header["serial"] < state.serial:
                os.unlink(self.journal_path)  # already folded before a crash
                fsync_dir(self.journal_path)
                return state
            raise StateError(
                f"the journal {self.journal_path} was made against serial "
                f"{header.get('serial')}, newer than the state's {state.serial}"
            )
        body = lines[1:]
        for i, line in enumerate(body):
            if not line.strip():
                continue
            try:
                ops = [StateOp.from_json(d) for d in json.loads(line)]
            except (ValueError, KeyError, TypeError):
                if all(not rest.strip() for rest in body[i + 1:]):
                    break  # a torn last line: the call it describes was not confirmed
                raise StateError(
                    f"the journal {self.journal_path} is damaged at line {i + 2}"
                ) from None
            state.apply_all(ops)
        written = self.write(state)
        os.unlink(self.journal_path)
        fsync_dir(self.journal_path)
        return written

    def write(self, state: State) -> State:
        self._ensure_dir()
        new = State(
            lineage=state.lineage or State.new_lineage(),
            serial=state.serial + 1,
            sid=state.sid,
            courses=state.courses,
        )
        try:
            atomic_write(self.path, new.dumps(), backup=self.backup_path)
        except OSError as exc:
            raise StateError(f"cannot write the state {self.path}: {exc.strerror}") from None
        state.lineage, state.serial = new.lineage, new.serial
        return new

    def store_exact(self, state: State) -> State:
        self._ensure_dir()
        try:
            atomic_write(self.path, state.dumps(), backup=self.backup_path)
        except OSError as exc:
            raise StateError(f"cannot write the state {self.path}: {exc.strerror}") from None
        return state

    def open_journal(self, state: State) -> Journal:
        if state.lineage is None:
            self.write(state)  # give a new state its lineage before recording into it
        try:
            return LocalJournal(self, state)
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
