"""The `eeo-reconcile` command line: a thin click layer over the library.

Exit codes: 0 success / no changes; 1 error; 2 (plan --detailed-exitcode)
the plan has changes; 3 apply refused by the mass-removal guard.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from . import __version__
from .address import parse_address
from .config.load import load_config
from .errors import ConfigError, EeoError
from .model import Config
from .plan.planfile import load_plan_file, save_plan
from .plan.render import RENDERERS, render_text
from .state.store import StateStore
from .workflow import open_config_store, plan_config

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_GUARD = 0, 1, 2, 3


def _err(text: str) -> None:
    click.echo(text, err=True)


def handle_errors(fn: F) -> F:
    """Map library errors to messages on stderr and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            _err(exc.render())
            sys.exit(EXIT_ERROR)
        except EeoError as exc:
            _err(f"Error: {exc}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            _err("Interrupted.")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _use_color(no_color: bool) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


state_option = click.option(
    "--state", "state_path", type=click.Path(dir_okay=False),
    help="State file to use instead of the configuration's `state` block.",
)
dsn_option = click.option(
    "--state-dsn", "state_dsn", metavar="DSN", envvar=None,
    help="PostgreSQL connection string (postgres backend); default: the variable named by "
         "state.dsn_env. Never printed.",
)
workspace_option = click.option(
    "--workspace", metavar="NAME", help="Workspace in the postgres backend.",
)
lock_timeout_option = click.option(
    "--lock-timeout", type=click.FloatRange(min=0), default=0.0, show_default=True,
    help="Seconds to wait for the state lock (0: fail at once).",
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True,
    help="Output format.",
)
target_option = click.option(
    "--target", "targets", multiple=True, metavar="ADDRESS",
    help="Limit to this course or member (repeatable), e.g. course/442447.",
)
replace_option = click.option(
    "--replace", "replace", multiple=True, metavar="ADDRESS",
    help="Remove and re-add this member (repeatable), e.g. to send a changed name.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eeo-reconcile")
def main() -> None:
    """Roster-as-code for ClassIn: plan and apply course rosters kept in YAML."""


@main.command()
@click.argument("path", default=".", type=click.Path())
@handle_errors
def validate(path: str) -> None:
    """Check a configuration (file or directory) and report every error."""
    config = load_config(path)
    n = len(config.courses)
    click.echo(
        f"Valid: {len(config.files)} file(s), {n} course(s), "
        f"{config.membership_count()} membership(s)."
    )


def _render(plan: Any, fmt: str, color: bool) -> str:
    if fmt == "text":
        return render_text(plan, color=color)
    return RENDERERS[fmt](plan)


@main.command()
@click.argument("path", default=".", type=click.Path())
@state_option
@dsn_option
@workspace_option
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan to this file.")
@format_option
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when the plan has changes (0: none, 1: error).")
@target_option
@replace_option
@lock_timeout_option
@click.option("--no-color", is_flag=True, help="Never colour the output.")
@handle_errors
def plan(
    path: str, state_path: str | None, state_dsn: str | None, workspace: str | None,
    out: str | None, fmt: str, detailed_exitcode: bool,
    targets: tuple[str, ...], replace: tuple[str, ...], lock_timeout: float, no_color: bool,
) -> None:
    """Show what must change in ClassIn to match the configuration."""
    config = load_config(path)
    store = open_config_store(config, state_path, state_dsn, workspace)
    try:
        the_plan = plan_config(config, store, targets, replace, lock_timeout)
    finally:
        store.close()
    click.echo(_render(the_plan, fmt, _use_color(no_color)), nl=False)
    if out:
        save_plan(the_plan, out)
        _err(f"Saved the plan to {out}. Apply exactly this plan with: eeo-reconcile apply {out}")
    if detailed_exitcode and not the_plan.empty:
        sys.exit(EXIT_CHANGES)


class _Progress:
    """A one-line progress bar on stderr (only drawn on a terminal)."""

    def __init__(self) -> None:
        import threading
        import time

        self._time = time.monotonic
        self._last = 0.0
        self._lock = threading.Lock()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = self._time()
        with self._lock:
            if done < total and now - self._last < 0.1:
                return
            self._last = now
            width = 30
            filled = int(width * done / max(1, total))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} calls")
            sys.stderr.flush()
            self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _confirm(auto_approve: bool) -> None:
    from .errors import ApplyRefused

    if auto_approve:
        return
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ApplyRefused(
            "refusing to apply without confirmation: there is no terminal to ask on. Review "
            "the plan, then pass --auto-approve, or save it with `plan --out FILE` and "
            "`apply FILE`."
        )
    answer = click.prompt(
        "Do you want to apply these changes to ClassIn? Only 'yes' will be accepted",
        default="", show_default=False,
    )
    if answer.strip() != "yes":
        raise ApplyRefused("apply cancelled: nothing was sent to ClassIn.")


@main.command()
@click.argument("path", default=".", type=click.Path())
@state_option
@dsn_option
@workspace_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking for 'yes'.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Courses applied at once.")
@click.option("--allow-mass-removal", is_flag=True,
              help="Apply even when the plan trips the mass-removal guard.")
@target_option
@replace_option
@lock_timeout_option
@click.option("--no-color", is_flag=True, help="Never colour the output.")
@handle_errors
def apply(
    path: str, state_path: str | None, state_dsn: str | None, workspace: str | None,
    auto_approve: bool, parallelism: int,
    allow_mass_removal: bool, targets: tuple[str, ...], replace: tuple[str, ...],
    lock_timeout: float, no_color: bool,
) -> None:
    """Make ClassIn match the configuration (PATH), or apply a saved plan (PLANFILE)."""
    from .apply import apply_plan, summary_text
    from .plan.diff import make_plan
    from .plan.planfile import check_fresh, looks_like_plan_file
    from .state.store import open_store
    from .workflow import check_guard, make_client, state_ref_for

    color = _use_color(no_color)
    saved = looks_like_plan_file(path)
    if saved:
        if targets or replace:
            raise click.UsageError("--target and --replace apply to a configuration; a saved "
                                   "plan is applied exactly as it was made")
        the_plan, _ = load_plan_file(path)
        ref = state_ref_for(the_plan.state_ref, state_path, state_dsn, workspace)
        store = open_store(ref, dsn=state_dsn)
        school = the_plan.school
    else:
        config = load_config(path)
        store = open_config_store(config, state_path, state_dsn, workspace)
        school = config.school
    assert school is not None
    try:
        with store.lock("apply", lock_timeout):
            state = store.read()
            if saved:
                check_fresh(the_plan, state)
            else:
                the_plan = make_plan(config, state, targets=targets, replace=replace)
            click.echo(render_text(the_plan, color=color), nl=False)
            if the_plan.empty:
                return
            check_guard(the_plan, allow_mass_removal)
            client = make_client(school, parallelism)
            if not saved:
                _confirm(auto_approve)
            bar = _Progress() if sys.stderr.isatty() and len(the_plan.calls) > 10 else None
            try:
                result = apply_plan(the_plan, store, state, client, parallelism, progress=bar)
            finally:
                if bar is not None:
                    bar.finish()
                client.close()
    finally:
        store.close()
    click.echo("")
    click.echo(summary_text(result), nl=False)
    written = result.state
    if written is not None:
        click.echo(f"State: {store.describe()}, serial {written.serial}.")
    if not result.ok:
        sys.exit(EXIT_ERROR)


@main.command()
@click.argument("planfile", type=click.Path(exists=True, dir_okay=False))
@format_option
@click.option("--no-color", is_flag=True, help="Never colour the output.")
@handle_errors
def show(planfile: str, fmt: str, no_color: bool) -> None:
    """Render a saved plan file."""
    the_plan, created = load_plan_file(planfile)
    if fmt == "text":
        click.echo(
            f"Saved plan {planfile}, made {created} against state serial {the_plan.serial}.\n"
        )
    click.echo(_render(the_plan, fmt, _use_color(no_color)), nl=False)


# -- state ---------------------------------------------------------------------


def _config_for_state(config_path: str | None, state_path: str | None) -> Config | None:
    if state_path and config_path is None:
        return None
    return load_config(config_path or ".")


def _store(config_path: str | None, state_path: str | None, dsn: str | None = None,
           workspace: str | None = None) -> StateStore:
    config = None if (dsn and config_path is None) else _config_for_state(config_path, state_path)
    return open_config_store(config, state_path, dsn, workspace)


config_option = click.option(
    "--config", "config_path", type=click.Path(),
    help="Configuration file or directory (default: the current directory).",
)


@main.group()
def state() -> None:
    """Inspect or edit the recorded state (no ClassIn calls)."""


def store_options(fn: F) -> F:
    """--config, --state, --state-dsn, --workspace and --lock-timeout, passed on
    as keyword arguments (see `_locked_state`)."""
    for option in (lock_timeout_option, workspace_option, dsn_option, state_option,
                   config_option):
        fn = option(fn)
    return fn


@contextlib.contextmanager
def _locked_state(operation: str, config_path: str | None = None,
                  state_path: str | None = None, state_dsn: str | None = None,
                  workspace: str | None = None, lock_timeout: float = 0.0,
                  ) -> Iterator[tuple[StateStore, Any]]:
    """The store and its state (recovered), under the lock for `operation`."""
    store = _store(config_path, state_path, state_dsn, workspace)
    try:
        with store.lock(operation, lock_timeout):
            yield store, store.read()
    finally:
        store.close()


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


@state.command("pull")
@store_options
@handle_errors
def state_pull(**where: Any) -> None:
    """Print the state as JSON (the local file's format)."""
    with _locked_state("state pull", **where) as (store, st):
        pass
    if st.lineage is None:
        raise EeoError(f"{store.describe()} holds no state yet")
    sys.stdout.buffer.write(st.dumps())
    sys.stdout.flush()


@state.command("push")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite another lineage or a newer serial.")
@store_options
@handle_errors
def state_push(file: str, force: bool, **where: Any) -> None:
    """Store FILE (a state JSON) as the state, keeping its lineage and serial."""
    from .state.model import State

    with open(file, "rb") as fh:
        pushed = State.loads(fh.read(), file)
    with _locked_state("state push", **where) as (store, _):
        written = store.push(pushed, force=force)
    click.echo(f"Pushed {file} to {store.describe()}: lineage {written.lineage}, "
               f"serial {written.serial}.")


@state.command("migrate")
@click.option("--to", "to", type=click.Choice(["postgres", "local"]), required=True)
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
    from .model import DEFAULT_STATE_PATH, StateRef
    from .state.store import open_store
    from .workflow import migrate_state

    config = None
    try:
        config = load_config(config_path or ".")
    except ConfigError:
        if config_path is not None or not (state_path and (state_dsn or to == "local")):
            raise
    cfg_ref = config.state if config is not None else StateRef()
    base = config.base_dir if config is not None else os.getcwd()
    if cfg_ref.backend == "postgres":
        pg_ref = StateRef(backend="postgres", dsn_env=cfg_ref.dsn_env,
                          workspace=workspace or cfg_ref.workspace)
        local_path = state_path or os.path.join(base, DEFAULT_STATE_PATH)
    else:
        pg_ref = StateRef(backend="postgres", workspace=workspace or StateRef().workspace)
        local_path = state_path or cfg_ref.path or os.path.join(base, DEFAULT_STATE_PATH)
    local = open_store(StateRef(backend="local", path=os.path.abspath(local_path)))
    pg = open_store(pg_ref, dsn=state_dsn)
    source, target = (local, pg) if to == "postgres" else (pg, local)
    try:
        written = migrate_state(source, target, force=force, lock_timeout=lock_timeout)
    finally:
        source.close()
        target.close()
    click.echo(f"Migrated the state from {source.describe()} to {target.describe()}: lineage "
               f"{written.lineage}, serial {written.serial}.")
    if to == "postgres":
        click.echo("Now point the configuration at it: state: {backend: postgres, dsn_env: "
                   f"{pg_ref.dsn_env}, workspace: {pg_ref.workspace}}}. The local file was "
                   "left as it was; remove it once you have checked the move.")
    else:
        click.echo(f"Now point the configuration at it: state: {{backend: local, path: "
                   f"{os.path.relpath(local.describe(), base)}}}. The workspace was left as it "
                   "was.")


@main.command("force-unlock")
@click.argument("lock_id")
@store_options
@handle_errors
def force_unlock(lock_id: str, config_path: str | None, state_path: str | None,
                 state_dsn: str | None, workspace: str | None, lock_timeout: float) -> None:
    """Clear lock info left behind by a holder that is gone."""
    store = _store(config_path, state_path, state_dsn, workspace)
    try:
        info = store.force_unlock(lock_id)
    finally:
        store.close()
    click.echo(f"Cleared the lock {info.id} ({info.who}, {info.operation}, since {info.since}).")


@main.command()
@click.option("--world", "world_path", type=click.Path(exists=True, dir_okay=False),
              help="World file (YAML). Default: a built-in demo world matching examples/.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8750, show_default=True,
              help="Port (0: any free port; the URL is printed).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the faults.")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Delay before every answer.")
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of calls answered with a transient errno, not applied.")
@click.option("--fault-errnos", default="114,104,464", show_default=True,
              help="Transient errnos to answer with (comma separated).")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of calls applied, then left without an answer (connection closed).")
@click.option("--quiet", is_flag=True, help="Do not log one line per call.")
@handle_errors
def sandbox(world_path: str | None, host: str, port: int, seed: int, latency_ms: float,
            fault_rate: float, fault_errnos: str, drop_rate: float, quiet: bool) -> None:
    """Run a local ClassIn (the partner API) for rehearsals and tests."""
    import logging
    import signal

    from .sandbox.server import Faults, Sandbox, serve
    from .sandbox.world import load_world

    try:
        errnos = tuple(int(x) for x in fault_errnos.split(",") if x.strip())
    except ValueError:
        raise click.BadParameter("give numbers, e.g. 114,104,464",
                                 param_hint="--fault-errnos") from None
    world = load_world(world_path)  # fail now, not on the first request
    sb = Sandbox(lambda: load_world(world_path),
                 Faults(latency_ms, fault_rate, errnos or (114,), drop_rate, seed))
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
    )
    server = serve(sb, host, port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    _err(f"eeo-reconcile sandbox listening on {server.url} (school {world.sid}, "
         f"world: {world_path or 'built-in demo'}). Point EEO_API_URL there; Ctrl-C stops it.")
    sys.stderr.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()


__all__ = ["main"]
