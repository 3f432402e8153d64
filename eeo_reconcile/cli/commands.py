"""validate, plan, apply and show: parse options, call the library, render."""

from __future__ import annotations

import os
import sys
from dataclasses import replace as dc_replace
from urllib.parse import urlsplit

import click

from ..config.load import load_config
from ..errors import ApplyRefused, ConfigError, Diagnostic
from ..model import Config, SchoolConfig
from ..plan.plan import Plan
from ..plan.planfile import load_saved_plan, looks_like_plan_file, save_plan
from ..plan.render import View, render_text, summary_line
from ..plan.safety import Allow
from ..privacy import Redactor
from ..text import printable
from ..workflow import (
    API_URL_ENV,
    ApplyOptions,
    ApplyOutcome,
    apply_config,
    apply_saved_plan,
    open_config_store,
    plan_config,
)
from .exits import EXIT_CHANGES, EXIT_ERROR, handle_errors
from .options import (
    allow_options,
    config_option,
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
from .signals import Interrupts
from .view import (
    ProgressBar,
    err,
    redactor_for,
    render,
    show_warnings,
    summary_text,
    use_color,
)


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
@summary_option
@redact_option
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when the plan has changes (0: none, 1: error).")
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
    config = load_config(path)
    store = open_config_store(config, state_path, state_dsn, workspace)
    try:
        the_plan = plan_config(config, store, targets, replace, lock_timeout,
                               Allow(allow_mass_removal, allow_uid_change), lock)
    finally:
        show_warnings(store)
        store.close()
    view = View(redactor_for(the_plan, redact, config.school), summary, use_color(no_color))
    click.echo(render(the_plan, fmt, view), nl=False)
    if out:
        secret = os.environ.get(config.school.secret_env)
        save_plan(the_plan, out, secret=secret)
        how = "signed with the school's secret" if secret else \
            f"not signed: ${config.school.secret_env} is not set here"
        err(f"Saved the plan to {out} ({how}). Apply exactly this plan with: "
            f"eeo-reconcile apply {out}")
    if detailed_exitcode and not the_plan.empty:
        sys.exit(EXIT_CHANGES)


def _ask(auto_approve: bool, plan: Plan, api_url: str) -> bool:
    """Whether the user approves the plan just shown."""
    if auto_approve:
        return True
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise ApplyRefused(
            "refusing to apply without confirmation: there is no terminal to ask on. Review "
            "the plan, then pass --auto-approve, or save it with `plan --out FILE` and "
            "`apply FILE`."
        )
    host = urlsplit(api_url).netloc or api_url
    answer = click.prompt(
        f"{summary_line(plan)}\nApply these changes to ClassIn school {plan.sid} at "
        f"{printable(host)}? Only 'yes' will be accepted",
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
@allow_options
@click.option("--no-hold", is_flag=True,
              help="Send a course's removals even when one of its adds failed (by default "
                   "they are held back: a mistyped uid must not cost the real student the "
                   "class).")
@target_option
@replace_option
@redact_option
@lock_timeout_option
@no_color_option
@handle_errors
def apply(
    path: str, config_path: str | None, state_path: str | None, state_dsn: str | None,
    workspace: str | None, auto_approve: bool, parallelism: int,
    allow_mass_removal: bool, allow_uid_change: bool, no_hold: bool,
    targets: tuple[str, ...], replace: tuple[str, ...], redact: str | None,
    lock_timeout: float, no_color: bool,
) -> None:
    """Make ClassIn match the configuration (PATH), or apply a saved plan (PLANFILE).

    A saved plan is applied exactly as it was made; the school's settings and
    where the state lives come from the configuration (--config, default: the
    current directory), never from the plan file."""
    color = use_color(no_color)
    with Interrupts() as interrupts:
        options = ApplyOptions(allow_mass_removal, parallelism, lock_timeout,
                               stop=interrupts.stop, on_start=interrupts.start,
                               allow_uid_change=allow_uid_change, hold=not no_hold)
        outcome, school = _apply(path, config_path, state_path, state_dsn, workspace,
                                 auto_approve, targets, replace, options, color, redact)
    if outcome.result is not None and interrupts.signum is not None:
        outcome.result.interrupted = interrupts.name
    _report(outcome, interrupts.exit_code, redactor_for(outcome.plan, redact, school))


def _apply(path: str, config_path: str | None, state_path: str | None,
           state_dsn: str | None, workspace: str | None, auto_approve: bool,
           targets: tuple[str, ...], replace: tuple[str, ...], options: ApplyOptions,
           color: bool, redact: str | None) -> tuple[ApplyOutcome, SchoolConfig]:
    bar = ProgressBar()

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty() and total > 10:
            bar(done, total)

    saved = None
    if looks_like_plan_file(path):
        if targets or replace:
            raise click.UsageError("--target and --replace apply to a configuration; a saved "
                                   "plan is applied exactly as it was made")
        saved = load_saved_plan(path)
        config = _config_for_saved_plan(config_path, saved.plan.config_root)
    else:
        config = load_config(path)
    school = config.school

    def redactor(p: Plan) -> Redactor:
        return redactor_for(p, redact, school)

    def show_plan(p: Plan) -> None:
        click.echo(render_text(p, View(redactor(p), False, color)), nl=False)

    options = dc_replace(options, redactor_for=redactor)
    store = open_config_store(config, state_path, state_dsn, workspace)
    try:
        if saved is not None:
            outcome = apply_saved_plan(saved, config, store, options, show_plan, progress)
        else:
            api_url = os.environ.get(API_URL_ENV) or school.api_url
            outcome = apply_config(config, store, targets, replace, options, show_plan,
                                   lambda p: _ask(auto_approve, p, api_url), progress)
    finally:
        bar.finish()
        show_warnings(store)
        store.close()
    return outcome, school


def _config_for_saved_plan(config_path: str | None, made_from: str) -> Config:
    try:
        return load_config(config_path or ".")
    except ConfigError as exc:
        raise ConfigError([*exc.diagnostics, Diagnostic(
            None, "apply PLANFILE reads the configuration for the school's settings and "
                  "where the state lives (never the plan file)",
            f"run it in the configuration directory, or pass --config PATH (the plan was "
            f"made from {printable(made_from)})")]) from None


def _report(outcome: ApplyOutcome, interrupted_code: int, red: Redactor) -> None:
    for w in outcome.warnings:
        err(f"Warning: {w}")
    result = outcome.result
    if result is None:
        return
    click.echo("")
    click.echo(summary_text(result, red), nl=False)
    if result.state is not None:
        click.echo(f"State: {outcome.store}, serial {result.state.serial}.")
    if result.interrupted:
        sys.exit(interrupted_code)
    if not result.ok:
        sys.exit(EXIT_ERROR)


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
    the_plan = saved.plan
    if fmt == "text":
        signed = "signed; apply verifies it" if saved.signed else "not signed"
        click.echo(
            f"Saved plan {planfile}, made {saved.created} against state serial "
            f"{the_plan.serial} ({signed}).\n"
        )
    view = View(redactor_for(the_plan, redact), summary, use_color(no_color))
    click.echo(render(the_plan, fmt, view), nl=False)


COMMANDS = (validate, plan, apply, show)
