"""state list/show/rm/pull/push/migrate and force-unlock: the recorded state, no ClassIn calls."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

import click

from ..address import GroupAddress, parse_address
from ..errors import EeoError
from ..state import backends, codec
from ..state.model import State
from ..state.store import StateStore
from ..workflow import migrate, open_state_store
from .exits import handle_errors
from .options import store_options
from .view import show_warnings


@contextlib.contextmanager
def _locked_state(operation: str, config_path: str | None = None,
                  state_path: str | None = None, state_dsn: str | None = None,
                  workspace: str | None = None, lock_timeout: float = 0.0,
                  ) -> Iterator[tuple[StateStore, State]]:
    """The store and its state (recovered), under the lock for `operation`."""
    store = open_state_store(config_path, state_path, state_dsn, workspace)
    try:
        with store.lock(operation, lock_timeout):
            yield store, store.read()
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
    """List recorded addresses, optionally those starting with PREFIX."""
    with _locked_state("state list", **where) as (_, st):
        pass
    for addr in st.addresses():
        text = str(addr)
        if text.startswith(prefix):
            click.echo(text)


@state.command("show")
@click.argument("address")
@store_options
@handle_errors
def state_show(address: str, **where: Any) -> None:
    """Show what is recorded at ADDRESS."""
    addr = parse_address(address)
    with _locked_state("state show", **where) as (_, st):
        pass
    value = st.show(addr)
    if value is None:
        raise EeoError(f"nothing is recorded at {addr}")
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


@state.command("rm")
@click.argument("addresses", nargs=-1, required=True)
@store_options
@handle_errors
def state_rm(addresses: tuple[str, ...], **where: Any) -> None:
    """Forget ADDRESSES without any ClassIn call (stop managing them)."""
    addrs = [parse_address(a) for a in addresses]
    with _locked_state("state rm", **where) as (store, st):
        missing = st.forget(addrs)
        if missing:
            raise EeoError(
                "nothing is recorded at " + ", ".join(map(str, missing))
                + "; nothing was removed"
            )
        written = store.write(st)
    for a in addrs:
        click.echo(f"Forgot {a}")
    click.echo(f"State serial is now {written.serial}.")


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
    with _locked_state("state set-group-id", **where) as (store, st):
        st.set_group_id(addr, group_id)
        written = store.write(st)
    click.echo(f"Recorded id {group_id} for {addr}; the next apply adopts it with one "
               f"editCourseGroup. State serial is now {written.serial}.")


@state.command("pull")
@store_options
@handle_errors
def state_pull(**where: Any) -> None:
    """Print the state as JSON (the local file's format)."""
    with _locked_state("state pull", **where) as (store, st):
        pass
    if st.lineage is None:
        raise EeoError(f"{store.describe()} holds no state yet")
    sys.stdout.buffer.write(codec.dumps(st))
    sys.stdout.flush()


@state.command("push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite another lineage or a newer serial.")
@store_options
@handle_errors
def state_push(file: str, force: bool, **where: Any) -> None:
    """Store FILE (a state JSON) as the state, keeping its lineage and serial."""
    with open(file, "rb") as fh:
        pushed = codec.loads(fh.read(), file)
    with _locked_state("state push", **where) as (store, _):
        written = store.push(pushed, force=force)
    click.echo(f"Pushed {file} to {store.describe()}: lineage {written.lineage}, "
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
    click.echo(f"Migrated the state from {done.source} to {done.target}: lineage "
               f"{done.state.lineage}, serial {done.state.serial}.")
    block = backends.get(to).config_block(done.target_ref, done.base_dir)
    shown = ", ".join(f"{k}: {v}" for k, v in block.items())
    click.echo(f"Now point the configuration at it: state: {{{shown}}}. "
               f"{backends.get(done.source_backend).left_as_is}")


@click.command("force-unlock")
@click.argument("lock_id")
@store_options
@handle_errors
def force_unlock(lock_id: str, config_path: str | None, state_path: str | None,
                 state_dsn: str | None, workspace: str | None, lock_timeout: float) -> None:
    """Clear lock info left behind by a holder that is gone."""
    store = open_state_store(config_path, state_path, state_dsn, workspace)
    try:
        info = store.force_unlock(lock_id)
    finally:
        store.close()
    click.echo(f"Cleared the lock {info.id} ({info.who}, {info.operation}, since {info.since}).")


COMMANDS = (state, force_unlock)
