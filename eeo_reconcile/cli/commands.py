"""validate, plan, apply and show: parse options, call the library, render."""

from __future__ import annotations

import os
import sys

import click

from ..config.load import load_config
from ..errors import ApplyRefused, ConfigError, Diagnostic
from ..model import Config
from ..plan.plan import Plan
from ..plan.planfile import load_saved_plan, looks_like_plan_file, save_plan
from ..plan.render import render_text
from ..text import printable
from ..workflow import (
    ApplyOptions,
    ApplyOutcome,
    apply_config,
    apply_saved_plan,
    open_config_store,
    plan_config,
)
from .exits import EXIT_CHANGES, EXIT_ERROR, handle_errors
from .options import (
    config_option,
    format_option,
    lock_timeout_option,
    no_color_option,
    path_argument,
    replace_option,
    target_option,
    where_options,
)
from .signals import Interrupts
from .view import ProgressBar, err, render, show_warnings, summary_text, use_color


@click.command()
@path_argument
@handle_errors
def validate(path: str) -> None:
    """Check a configuration (file or directory) and report every error."""
    config = load_config(path)
    n = len(config.courses)
    click.echo(
        f"Valid: {len(config.files)} file(s), {n} course(s), "
        f"{config.membership_count()} membership(s)."
    )


@click.command()
@path_argument
@where_options
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Save the plan to this file.")
@format_option
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when the plan has changes (0: none, 1: error).")
@target_option
@replace_option
@lock_timeout_option
@no_color_option
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
        show_warnings(store)
        store.close()
    click.echo(render(the_plan, fmt, use_color(no_color)), nl=False)
    if out:
        secret = os.environ.get(config.school.secret_env)
        save_plan(the_plan, out, secret=secret)
        how = "signed with the school's secret" if secret else \
            f"not signed: ${config.school.secret_env} is not set here"
        err(f"Saved the plan to {out} ({how}). Apply exactly this plan with: "
            f"eeo-reconcile apply {out}")
    if detailed_exitcode and not the_plan.empty:
        sys.exit(EXIT_CHANGES)


def _ask(auto_approve: bool) -> bool:
    """Whether the user approves the plan just shown."""
    if auto_approve:
        return True
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
    return bool(answer.strip() == "yes")


@click.command()
@path_argument
@config_option
@where_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking for 'yes'.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Courses applied at once.")
@click.option("--allow-mass-removal", is_flag=True,
              help="Apply even when the plan trips the mass-removal guard.")
@target_option
@replace_option
@lock_timeout_option
@no_color_option
@handle_errors
def apply(
    path: str, config_path: str | None, state_path: str | None, state_dsn: str | None,
    workspace: str | None, auto_approve: bool, parallelism: int,
    allow_mass_removal: bool, targets: tuple[str, ...], replace: tuple[str, ...],
    lock_timeout: float, no_color: bool,
) -> None:
    """Make ClassIn match the configuration (PATH), or apply a saved plan (PLANFILE).

    A saved plan is applied exactly as it was made; the school's settings and
    where the state lives come from the configuration (--config, default: the
    current directory), never from the plan file."""
    color = use_color(no_color)
    with Interrupts() as interrupts:
        options = ApplyOptions(allow_mass_removal, parallelism, lock_timeout,
                               stop=interrupts.stop, on_start=interrupts.start)
        outcome = _apply(path, config_path, state_path, state_dsn, workspace, auto_approve,
                         targets, replace, options, color)
    if outcome.result is not None and interrupts.signum is not None:
        outcome.result.interrupted = interrupts.name
    _report(outcome, interrupts.exit_code)


def _apply(path: str, config_path: str | None, state_path: str | None,
           state_dsn: str | None, workspace: str | None, auto_approve: bool,
           targets: tuple[str, ...], replace: tuple[str, ...], options: ApplyOptions,
           color: bool) -> ApplyOutcome:
    bar = ProgressBar()

    def show_plan(p: Plan) -> None:
        click.echo(render_text(p, color=color), nl=False)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty() and total > 10:
            bar(done, total)

    if looks_like_plan_file(path):
        if targets or replace:
            raise click.UsageError("--target and --replace apply to a configuration; a saved "
                                   "plan is applied exactly as it was made")
        saved = load_saved_plan(path)
        config = _config_for_saved_plan(config_path, saved.plan.config_root)
        store = open_config_store(config, state_path, state_dsn, workspace)
        try:
            outcome = apply_saved_plan(saved, config, store, options, show_plan, progress)
        finally:
            bar.finish()
            show_warnings(store)
            store.close()
    else:
        config = load_config(path)
        store = open_config_store(config, state_path, state_dsn, workspace)
        try:
            outcome = apply_config(config, store, targets, replace, options, show_plan,
                                   lambda _: _ask(auto_approve), progress)
        finally:
            bar.finish()
            show_warnings(store)
            store.close()
    return outcome


def _config_for_saved_plan(config_path: str | None, made_from: str) -> Config:
    try:
        return load_config(config_path or ".")
    except ConfigError as exc:
        raise ConfigError([*exc.diagnostics, Diagnostic(
            None, "apply PLANFILE reads the configuration for the school's settings and "
                  "where the state lives (never the plan file)",
            f"run it in the configuration directory, or pass --config PATH (the plan was "
            f"made from {printable(made_from)})")]) from None


def _report(outcome: ApplyOutcome, interrupted_code: int) -> None:
    for w in outcome.warnings:
        err(f"Warning: {w}")
    result = outcome.result
    if result is None:
        return
    click.echo("")
    click.echo(summary_text(result), nl=False)
    if result.state is not None:
        click.echo(f"State: {outcome.store}, serial {result.state.serial}.")
    if result.interrupted:
        sys.exit(interrupted_code)
    if not result.ok:
        sys.exit(EXIT_ERROR)


@click.command()
@click.argument("planfile", type=click.Path(exists=True, dir_okay=False))
@format_option
@no_color_option
@handle_errors
def show(planfile: str, fmt: str, no_color: bool) -> None:
    """Render a saved plan file."""
    saved = load_saved_plan(planfile)
    the_plan = saved.plan
    if fmt == "text":
        signed = "signed; apply verifies it" if saved.signed else "not signed"
        click.echo(
            f"Saved plan {planfile}, made {saved.created} against state serial "
            f"{the_plan.serial} ({signed}).\n"
        )
    click.echo(render(the_plan, fmt, use_color(no_color)), nl=False)


COMMANDS = (validate, plan, apply, show)
