"""state list/show/rm/pull/push/migrate and force-unlock: the recorded state, no ClassIn calls."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

import click

from ..address import GroupAddress, parse_address
from ..errors import EeoError
from ..fileio import atomic_write
from ..maintenance import forget, migrate, push, record_group_id, reveal, snapshot, unlock
from ..model import Redact, SchoolConfig
from ..privacy import Redactor, event_value, team_uids
from ..state import backends, codec
from ..state.compare import diff_states
from ..state.history import Event
from ..state.local import load_state_file
from ..state.model import State
from ..state.store import StateStore
from ..text import printable, safe_json
from ..workflow import open_state_and_config
from .exits import EXIT_ERROR, handle_errors
from .gate import gate, known_config, known_store, say
from .jsonout import echo_json
from .options import redact_option, store_options
from .view import EVENT_SYMBOL, event_line, redactor_for_state, show_warnings


@contextlib.contextmanager
def _store(config_path: str | None = None, state_path: str | None = None,
           state_dsn: str | None = None, workspace: str | None = None,
           lock_timeout: float = 0.0) -> Iterator[tuple[StateStore, float]]:
    """The store the command works on (and the lock timeout for those that lock)."""
    with _store_and_school(config_path, state_path, state_dsn, workspace) as (store, _):
        yield store, lock_timeout


@contextlib.contextmanager
def _store_and_school(config_path: str | None = None, state_path: str | None = None,
                      state_dsn: str | None = None, workspace: str | None = None,
                      lock_timeout: float = 0.0
                      ) -> Iterator[tuple[StateStore, SchoolConfig | None]]:
    """The store, and the school's settings when a configuration names it (its
    privacy.redact applies to what is shown)."""
    store, config = open_state_and_config(config_path, state_path, state_dsn, workspace)
    if config is not None:
        known_config(config)
    known_store(store)
    try:
        yield store, config.school if config is not None else None
    finally:
        show_warnings(store)
        store.close()


@click.group()
def state() -> None:
    """Inspect or edit the recorded state (no ClassIn calls)."""


@state.command("list")
@click.argument("prefix", required=False, default="")
@store_options
@handle_errors
def state_list(prefix: str, **where: Any) -> None:
    """List recorded addresses, optionally those starting with PREFIX (no lock)."""
    with _store(**where) as (store, _):
        st = snapshot(store)
    r = gate().redactor()
    for addr in st.addresses():
        text = str(addr)
        if text.startswith(prefix):
            say(r.address(addr))
    for key in sorted(st.people):  # the school's students whose account is known
        if f"person/{key}".startswith(prefix):
            say(r.address(f"person/{key}"))


@state.command("show")
@click.argument("address")
@store_options
@handle_errors
def state_show(address: str, **where: Any) -> None:
    """Show what is recorded at ADDRESS (no lock): a course, member, lesson or
    grouping, or person/KEY (the uid and console name; never the account)."""
    key = address[len("person/"):] if address.startswith("person/") else None
    addr = parse_address(address) if key is None else None
    with _store(**where) as (store, _):
        st = snapshot(store)
    if key is not None:
        p = st.people.get(key)
        value: Any = {"uid": p.uid, "name": p.name} if p is not None else None
    else:
        assert addr is not None
        value = st.show(addr)
    if value is None:
        raise EeoError(f"nothing is recorded at {addr or address}")
    click.echo(safe_json(json.dumps(gate().value(value), ensure_ascii=False, indent=2)))


@state.command("rm")
@click.argument("addresses", nargs=-1, required=True)
@store_options
@handle_errors
def state_rm(addresses: tuple[str, ...], **where: Any) -> None:
    """Forget ADDRESSES without any ClassIn call (stop managing them)."""
    addrs = [parse_address(a) for a in addresses]
    with _store(**where) as (store, timeout):
        written = forget(store, addrs, timeout)
    r = gate().redactor()
    for a in addrs:
        say(f"Forgot {r.address(a)}")
    say(f"State serial is now {written.serial}.")


@state.command("set-group-id")
@click.argument("address")
@click.argument("group_id", type=click.IntRange(min=1), metavar="ID")
@store_options
@handle_errors
def state_set_group_id(address: str, group_id: int, **where: Any) -> None:
    """Give the ClassIn id of a grouping recorded as probably created, id unknown
    (ADDRESS is course/<courseId>/group/<name>): the next apply adopts it with one
    editCourseGroup. No ClassIn call is made here."""
    addr = parse_address(address)
    if not isinstance(addr, GroupAddress):
        raise EeoError(f"{addr} is not a grouping: give course/<courseId>/group/<name>")
    with _store(**where) as (store, timeout):
        written = record_group_id(store, addr, group_id, timeout)
    say(f"Recorded id {group_id} for {addr}; the next apply adopts it with one "
               f"editCourseGroup. State serial is now {written.serial}.")


@state.command("pull")
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Write it to this file (mode 0600) instead of stdout; needed under "
                   "redaction, where a log must not get every name and uid.")
@store_options
@handle_errors
def state_pull(out: str | None, **where: Any) -> None:
    """Print the state as JSON (the local file's format; no lock). The salt its
    pseudonyms are keyed on is left out (push keeps the stored one)."""
    with _store(**where) as (store, _):
        st = snapshot(store)
    if st.lineage is None:
        raise EeoError(f"{store.describe()} holds no state yet")
    st.salt = None  # never shown: it is what makes the pseudonyms pseudonyms
    if out is None and gate().level is not Redact.NONE:
        raise EeoError(
            f"state pull writes every name and uid the state holds, and redaction is "
            f"{gate().level.value} here: write it to a file with --out FILE (mode 0600), "
            "never to a log")
    if out is not None:
        atomic_write(out, codec.dumps(st))
        say(f"Wrote the state (lineage {st.lineage}, serial {st.serial}) to {out}.")
        return
    sys.stdout.buffer.write(codec.dumps(st))
    sys.stdout.flush()


def _state_at(where: str, store: StateStore) -> tuple[State, str]:
    """A state to compare: `current` (the configured store, no lock), `backup`
    (the local state's previous version), or a state file."""
    if where == "current":
        return snapshot(store), store.describe()
    path = where
    if where == "backup":
        path = getattr(store, "backup_path", "")
        if not path:
            raise EeoError(f"{store.describe()} keeps no backup: give a state file")
    return load_state_file(path), path


def shown(r: Redactor, e: Event) -> Event:
    """An event as `r` shows it (see privacy.event_value)."""
    if not r.active:
        return e
    return Event(e.action, r.address(e.address), event_value(r, e.address, e.old),
                 event_value(r, e.address, e.new))


@state.command("diff")
@click.argument("a")
@click.argument("b", default="current")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@redact_option
@store_options
@handle_errors
def state_diff(a: str, b: str, fmt: str, redact: str | None, **where: Any) -> None:
    """What differs from state A to state B, course by course. A and B are state
    files, `backup` (the local state's previous version) or `current` (the
    configured state, read without the lock; the default for B)."""
    with _store_and_school(**where) as (store, school):
        sa, la = _state_at(a, store)
        sb, lb = _state_at(b, store)
    r = redactor_for_state(redact, school, lambda: sb.salt or sa.salt)
    diffs = diff_states(sa, sb)
    if r.active:
        for d in diffs:
            d.drift = {r.address(k): [r.text(x, (), team_uids(*_values(d.events, k)))
                                      for x in v] for k, v in d.drift.items()}
            d.events = [shown(r, e) for e in d.events]
    if fmt == "json":  # a course's item made as it is written
        echo_json({"from": la, "to": lb, "courses": (
            {"course": d.course, "name": d.name,
             "changes": [{"action": e.action, "address": e.address, "old": e.old,
                          "new": e.new} for e in d.events],
             "groupings": d.drift} for d in diffs)})
        return
    click.echo(f"From {printable(la)} (serial {sa.serial}) to {printable(lb)} (serial "
               f"{sb.serial}):")
    if not diffs:
        click.echo("No differences.")
    for d in diffs:
        click.echo(f"course {d.course}" + (f" ({printable(d.name)})" if d.name else ""))
        for e in d.events:
            click.echo(f"  {EVENT_SYMBOL.get(e.action, '~')} {event_line(e)}")
            for line in d.drift.get(e.address, ()):
                click.echo(f"      {printable(line)}")


def _values(events: list[Event], address: str) -> list[Any]:
    return [v for e in events if e.address == address for v in (e.old, e.new)]


@state.command("push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite another lineage or a newer serial.")
@store_options
@handle_errors
def state_push(file: str, force: bool, **where: Any) -> None:
    """Store FILE (a state JSON) as the state, keeping its lineage and serial."""
    pushed = load_state_file(file)
    with _store(**where) as (store, timeout):
        written = push(store, pushed, force, timeout)
    say(f"Pushed {file} to {store.describe()}: lineage {written.lineage}, "
               f"serial {written.serial}.")


@state.command("migrate")
@click.option("--to", "to", type=click.Choice(backends.names()), required=True)
@click.option("--force", is_flag=True, help="Overwrite a state already at the target.")
@store_options
@handle_errors
def state_migrate(to: str, force: bool, config_path: str | None, state_path: str | None,
                  state_dsn: str | None, workspace: str | None, lock_timeout: float) -> None:
    """Move the state between backends (same lineage, serial + 1).

    --to postgres: from the local file (the config's, or --state) to the workspace
    (--state-dsn / --workspace, or the config's postgres settings).
    --to local: from the postgres workspace to the file (--state, or the config's).
    """
    done = migrate(to, config_path, state_path, state_dsn, workspace, force, lock_timeout)
    say(f"Migrated the state from {done.source} to {done.target}: lineage "
               f"{done.state.lineage}, serial {done.state.serial}, with its audit history "
               f"({done.history} entr{'y' if done.history == 1 else 'ies'}).")
    block = backends.get(to).config_block(done.target_ref, done.base_dir)
    shown = ", ".join(f"{k}: {v}" for k, v in block.items())
    say(f"Now point the configuration at it: state: {{{shown}}}. "
               f"{backends.get(done.source_backend).left_as_is}")


@click.command("force-unlock")
@click.argument("lock_id")
@store_options
@handle_errors
def force_unlock(lock_id: str, config_path: str | None, state_path: str | None,
                 state_dsn: str | None, workspace: str | None, lock_timeout: float) -> None:
    """Clear lock info left behind by a holder that is gone."""
    with _store(config_path, state_path, state_dsn, workspace) as (store, _):
        info = unlock(store, lock_id)
    say(f"Cleared the lock {info.id} ({info.who}, {info.operation}, since {info.since}).")


@click.command("reveal")
@click.argument("tokens", nargs=-1, required=True)
@store_options
@handle_errors
def reveal_(tokens: tuple[str, ...], config_path: str | None, state_path: str | None,
            state_dsn: str | None, workspace: str | None, lock_timeout: float) -> None:
    """Who is behind pseudonyms (TOKENS, as `--redact all` shows uids: u-7kq2m4xa):
    the uid, and each address and name recorded or configured for it. Needs the
    school's secret; each lookup is recorded in the history. Its output is the
    one that is never redacted: keep it out of shared logs."""
    store, config = open_state_and_config(config_path, state_path, state_dsn, workspace)
    try:
        secret = os.environ.get(config.school.secret_env) if config is not None else None
        found = reveal(store, config, tokens, secret, lock_timeout)
    finally:
        show_warnings(store)
        store.close()
    for f in found:
        if f.uid is None:
            click.echo(f"{f.token}  not found: no one recorded or configured here has it "
                       "(another school's, or from before a state push?)")
        else:
            click.echo(printable(f"{f.token}  uid {f.uid}: " + "; ".join(f.where)))
    if any(f.uid is None for f in found):
        sys.exit(EXIT_ERROR)


COMMANDS = (state, force_unlock, reveal_)
