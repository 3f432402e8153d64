"""validate, plan, apply and show: parse options, call the library, render."""

from __future__ import annotations

import sys

import click

from ..config.load import config_root, load_config
from ..errors import ConfigError, Diagnostic
from ..plan.planfile import PLAN_KEY_ENV, KeyKind, load_saved_plan, save_plan
from ..plan.render import View
from ..plan.safety import Allow
from ..signing import plan_signer
from ..text import printable
from ..workflow import open_config_store, plan_config
from .exits import EXIT_CHANGES, EXIT_GUARD, handle_errors
from .gate import gate, known_config, known_store, say
from .options import (
    allow_options,
    format_option,
    lock_timeout_option,
    no_color_option,
    path_argument,
    redact_option,
    replace_option,
    summary_option,
    target_option,
    where_options,
)
from .view import (
    echo_plan,
    err,
    redactor_for,
    show_warnings,
    use_color,
)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--changed", is_flag=True,
              help="PATHS are changed files (a pre-commit hook's): validate the "
                   "configuration each belongs to, once; files outside any are skipped.")
@handle_errors
def validate(paths: tuple[str, ...], changed: bool) -> None:
    """Check a configuration (file or directory, default the current directory)
    and report every error."""
    if changed:
        roots = sorted({r for r in map(config_root, paths) if r is not None})
    else:
        roots = list(paths) or ["."]
    errors: list[Diagnostic] = []
    for root in roots:
        try:
            config = known_config(load_config(root))
        except ConfigError as exc:
            errors.extend(exc.diagnostics)
            gate().at_least(exc.redact)
            continue
        where = f"{printable(root)}: " if len(roots) > 1 or changed else ""
        say(
            f"{where}Valid: {len(config.files)} file(s), {len(config.courses)} course(s), "
            f"{config.membership_count()} membership(s)."
        )
    if errors:
        raise ConfigError(errors)


@click.command()
@path_argument
@where_options
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan to this file.")
@format_option
@summary_option
@redact_option
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when the plan has changes, 3 when apply (with the same "
                   "--allow-* flags) would refuse it: the guard (0: none, 1: error).")
@target_option
@replace_option
@allow_options
@click.option("--lock/--no-lock", default=True, show_default=True,
              help="Hold the state lock while reading it. --no-lock reads a consistent "
                   "snapshot without it: a preview while an apply runs.")
@lock_timeout_option
@no_color_option
@handle_errors
def plan(
    path: str, state_path: str | None, state_dsn: str | None, workspace: str | None,
    out: str | None, fmt: str, summary: bool, redact: str | None, detailed_exitcode: bool,
    targets: tuple[str, ...], replace: tuple[str, ...], allow_mass_removal: bool,
    allow_uid_change: bool, lock: bool, lock_timeout: float, no_color: bool,
) -> None:
    """Show what must change in ClassIn to match the configuration."""
    config = known_config(load_config(path))
    store = known_store(open_config_store(config, state_path, state_dsn, workspace))
    try:
        the_plan = plan_config(config, store, targets, replace, lock_timeout,
                               Allow(allow_mass_removal, allow_uid_change), lock)
    finally:
        show_warnings(store)
        store.close()
    signer = plan_signer(config.school) if out else None
    view = View(redactor_for(the_plan, redact, config.school), summary)
    echo_plan(the_plan, fmt, view, use_color(no_color))
    if out:
        sys.stdout.flush()
        save_plan(the_plan, out, signer=signer)
        how = (f"not signed: set ${PLAN_KEY_ENV} here (and where it is applied)" if signer is None
               else f"signed with ${PLAN_KEY_ENV}" if signer.kind is KeyKind.PLAN_KEY
               else "signed with the school's secret; a plan job needs only "
                    f"${PLAN_KEY_ENV}")
        err(f"Saved the plan to {out} ({how}). Apply exactly this plan with: "
            f"eeo-reconcile apply {out}")
    if detailed_exitcode and not the_plan.settled:  # a grouping waiting counts as work
        # 3: apply with the same flags would refuse this plan (the guard), as apply's 3
        sys.exit(EXIT_GUARD if the_plan.safety.tripped else EXIT_CHANGES)


@click.command()
@click.argument("planfile", type=click.Path(exists=True, dir_okay=False))
@format_option
@summary_option
@redact_option
@no_color_option
@handle_errors
def show(planfile: str, fmt: str, summary: bool, redact: str | None, no_color: bool) -> None:
    """Render a saved plan file (redacted as the school's privacy.redact says, or
    --redact)."""
    saved = load_saved_plan(planfile)
    the_plan, signed, created = saved.plan, saved.signed, saved.created
    del saved  # its body (the file's size again) is only needed to verify a signature
    if fmt == "text":
        how = "signed; apply verifies it" if signed else "not signed"
        click.echo(
            f"Saved plan {printable(planfile)}, made {printable(created)} against state serial "
            f"{the_plan.serial} ({how}).\n"
        )
    view = View(redactor_for(the_plan, redact), summary)
    echo_plan(the_plan, fmt, view, use_color(no_color))


COMMANDS = (validate, plan, show)
