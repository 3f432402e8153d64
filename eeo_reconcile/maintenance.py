"""The state commands as a library: forget, set a grouping's id, push, migrate,
force-unlock, and lock-free snapshots. No ClassIn call; every change goes into
the history with what it changed."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .address import (
    Address,
    AuditorAddress,
    GroupAddress,
    LessonStudentAddress,
    StudentAddress,
)
from .config.load import load_config
from .errors import ConfigError, StateError
from .model import Config, Redact, StateRef
from .privacy import PSEUDONYM, Redactor, pseudonym_key
from .state import backends
from .state.history import Event, HistoryEntry, course_changes
from .state.lock import LockInfo
from .state.model import State
from .state.store import StateStore
from .text import printable
from .workflow import _overrides


def snapshot(store: StateStore) -> State:
    """The state as it is now, without the lock (a consistent version: an apply
    under way shows as what it has recorded so far)."""
    return store.snapshot()


def forget(store: StateStore, addrs: Sequence[Address], lock_timeout: float = 0.0) -> State:
    """Drop entries from the state (stop managing them); StateError naming what
    is not recorded, and then nothing is dropped."""
    with store.lock("state rm", lock_timeout):
        st = store.read()
        before = {a.course: st.courses[a.course].copy() for a in addrs
                  if a.course in st.courses}
        missing = st.forget(addrs)
        if missing:
            raise StateError("nothing is recorded at " + ", ".join(map(str, missing))
                             + "; nothing was removed")
        events = [e for cid in sorted(before)
                  for e in course_changes(cid, before[cid], st.courses.get(cid))]
        return store.write(st, events)


def record_group_id(store: StateStore, addr: GroupAddress, group_id: int,
                    lock_timeout: float = 0.0) -> State:
    """Give the id of a grouping recorded as probably created (see State.set_group_id)."""
    with store.lock("state set-group-id", lock_timeout):
        st = store.read()
        st.set_group_id(addr, group_id)
        return store.write(st, [Event("set-group-id", str(addr), None, {"id": group_id})])


def push(store: StateStore, state: State, force: bool = False,
         lock_timeout: float = 0.0) -> State:
    with store.lock("state push", lock_timeout):
        return store.push(state, force=force)


def unlock(store: StateStore, lock_id: str) -> LockInfo:
    """Clear lock info left behind (refused while the lock is really held)."""
    info = store.force_unlock(lock_id)
    store.operation = "force-unlock"
    store.note([Event("force-unlock", "state", {"lock": info.id, "who": info.who,
                                                "operation": info.operation,
                                                "since": info.since})])
    return info


@dataclass(frozen=True)
class Revealed:
    token: str
    uid: int | None  # None: no one recorded or configured has this pseudonym
    where: tuple[str, ...] = ()  # addresses, with the name recorded or configured there


def reveal(store: StateStore, config: Config | None, tokens: Sequence[str],
           secret: str | None, lock_timeout: float = 0.0) -> list[Revealed]:
    """Who is behind pseudonyms (`u-...`, as `--redact all` shows them): for an
    operator matching a failure in a log to the person. Needs the school's
    secret (the power to change ClassIn, a higher one than reading a log); the
    lookup is recorded in the history (the tokens, not who they were)."""
    if not secret:
        raise StateError("reveal needs the school's secret in the environment (the variable "
                         "school.secret_env names): only those who may change ClassIn may "
                         "undo a pseudonym")
    bad = [t for t in tokens if not PSEUDONYM.fullmatch(t)]
    if bad:
        raise StateError(f"not a pseudonym: {', '.join(map(printable, bad[:5]))} (they look "
                         "like u-7kq2m4xa)")
    with store.lock("reveal", lock_timeout):
        st = store.read()
        r = Redactor(Redact.ALL, pseudonym_key(st.salt, secret))
        people: dict[int, list[str]] = {}
        for addr, name in _named(st, config):
            people.setdefault(addr.uid, []).append(f"{addr}" + (f" {name}" if name else ""))
        by_token = {r.uid(u): u for u in people}
        found = [Revealed(t, by_token.get(t), tuple(dict.fromkeys(people.get(
            by_token.get(t, -1), ())))) for t in tokens]
        store.operation = "reveal"
        store.note([Event("reveal", "state", None, {
            "tokens": list(tokens), "found": sum(f.uid is not None for f in found)})])
    return found


def _named(st: State, config: Config | None) -> Iterator[tuple[Any, str | None]]:
    """Every member address with its name, in the state and the configuration."""
    for cid, c in st.courses.items():
        for u in c.students:
            yield StudentAddress(cid, u), c.labels.get(u)
        for u, n in c.auditors.items():
            yield AuditorAddress(cid, u), n
        for lid, members in c.lessons.items():
            for u, m in members.items():
                yield LessonStudentAddress(cid, lid, u), m.name
    for cid, spec in (config.courses.items() if config is not None else ()):
        for u, label in spec.students.items():
            yield StudentAddress(cid, u), label
        for u, n in spec.auditors.items():
            yield AuditorAddress(cid, u), n
        for lid, taking in spec.lessons.items():
            for u, m in taking.items():
                yield LessonStudentAddress(cid, lid, u), m.name


def migrate_state(source: StateStore, target: StateStore, force: bool = False,
                  lock_timeout: float = 0.0) -> tuple[State, int]:
    """Move a state to another backend, with its audit history: same lineage,
    serial + 1. Both are locked; a target that already holds a state is refused
    unless `force`. Returns the state written and how many history entries
    came with it (in the state's transaction where the target has them)."""
    with source.lock("state migrate", lock_timeout), target.lock("state migrate", lock_timeout):
        st = source.read()
        if st.lineage is None:
            raise StateError(f"{source.describe()} holds no state to migrate")
        current = target.read()
        if current.lineage is not None and not force:
            raise StateError(
                f"{target.describe()} already holds a state (lineage {current.lineage}, serial "
                f"{current.serial}): refusing to overwrite it without --force"
            )
        new = st.copy()
        new.serial = max(st.serial, current.serial) + 1
        moved = Event("migrate", "state", {"from": source.describe()},
                      {"to": target.describe(), "memberships": st.membership_count()})
        carried = [0]

        def past() -> Iterator[HistoryEntry]:
            for e in source.history():
                carried[0] += 1
                yield e

        written = target.store_exact(new, [moved], past())
        return written, carried[0]


@dataclass(frozen=True)
class MigrateOutcome:
    source: str
    target: str
    target_ref: StateRef
    state: State
    base_dir: str
    source_backend: str
    history: int = 0  # history entries carried with the state


def migrate(
    to: str,
    config_path: str | None = None,
    state_path: str | None = None,
    dsn: str | None = None,
    workspace: str | None = None,
    force: bool = False,
    lock_timeout: float = 0.0,
    env: Mapping[str, str] | None = None,
) -> MigrateOutcome:
    """Move the state to backend `to` from the configuration's backend (or, when
    that is `to` already, from the other backend). Each side is the
    configuration's place when it uses that backend, else the backend's default,
    with the command line's overrides of that backend applied."""
    config = None
    try:
        config = load_config(config_path or ".")
    except ConfigError:
        if config_path is not None or not (state_path and (dsn or to == "local")):
            raise
    base = config.state if config is not None else None
    base_dir = config.base_dir if config is not None else os.getcwd()
    overrides = _overrides(state_path, dsn, workspace)
    others = [n for n in backends.names() if n != to]
    if base is not None and base.backend != to:
        frm = base.backend
    elif len(others) == 1:
        frm = others[0]
    else:
        raise StateError(f"cannot tell which backend to migrate from to {to}")
    backends.get(to)  # an unknown name fails here
    src_ref = backends.ref_for_backend(frm, base, overrides, base_dir)
    dst_ref = backends.ref_for_backend(to, base, overrides, base_dir)
    source = backends.open_store(src_ref, env, overrides)
    try:
        target = backends.open_store(dst_ref, env, overrides)
    except BaseException:
        source.close()
        raise
    try:
        written, carried = migrate_state(source, target, force=force,
                                         lock_timeout=lock_timeout)
    finally:
        source.close()
        target.close()
    return MigrateOutcome(source.describe(), target.describe(), dst_ref, written, base_dir,
                          frm, carried)
