"""apply: plan under the lock, show it, ask, apply; or apply a saved plan."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from dataclasses import replace as dc_replace
from urllib.parse import urlsplit

import click

from ..apply.observe import CallLog
from ..apply.report import report_json
from ..config.load import load_config
from ..errors import ApplyRefused, ConfigError, Diagnostic
from ..model import Config, SchoolConfig
from ..plan.plan import Plan
from ..plan.planfile import load_saved_plan, looks_like_plan_file
from ..plan.render import View, render_text, summary_line
from ..privacy import Redactor
from ..text import printable
from ..workflow import (
    API_URL_ENV,
    ApplyOptions,
    ApplyOutcome,
    apply_config,
    apply_saved_plan,
    open_config_store,
)
from .exits import EXIT_ERROR, handle_errors
from .gate import known_config, known_store
from .jsonout import echo_json
from .options import (
    allow_options,
    config_option,
    lock_timeout_option,
    no_color_option,
    path_argument,
    redact_option,
    replace_option,
    target_option,
    where_options,
)
from .signals import Interrupts
from .view import ProgressBar, colorize, err, redactor_for, show_warnings, summary_text, use_color


@dataclass(frozen=True)
class Output:
    """Where what apply says goes."""

    fmt: str  # text: plan and summary on stdout; json: the report alone on stdout
    log_format: str  # text: a progress bar on a terminal; json: a line per call on stderr
    color: bool
    redact: str | None

    def say(self, text: str) -> None:
        """The plan and the summary: stdout, or stderr when stdout is the report."""
        click.echo(text, nl=False, err=self.fmt == "json", color=self.color)


def ask(auto_approve: bool, plan: Plan, api_url: str) -> bool:
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


def _log_json(log: CallLog) -> None:
    sys.stderr.write(json.dumps(log.to_json(), separators=(",", ":")) + "\n")
    sys.stderr.flush()


@click.command()
@path_argument
@config_option
@where_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking for 'yes'.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Courses applied at once.")
@allow_options
@click.option("--allow-unsigned", is_flag=True,
              help="Apply a saved plan that is not signed (made where the secret was not "
                   "set): only when you trust whoever could write the file.")
@click.option("--ignore-windows", is_flag=True,
              help="Send removals outside school.apply_windows too (the report and the "
                   "history say so).")
@click.option("--no-hold", is_flag=True,
              help="Send a course's removals even when one of its adds failed (by default "
                   "they are held back: a mistyped uid must not cost the real student the "
                   "class).")
@target_option
@replace_option
@redact_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True,
              help="json: the report (schemas/apply-report.schema.json) alone on stdout; "
                   "the plan and the summary go to stderr.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, envvar="EEO_LOG_FORMAT", show_envvar=True,
              help="json: one JSON line per call result on stderr (for CI log search), "
                   "instead of the progress bar.")
@lock_timeout_option
@no_color_option
@handle_errors
def apply(
    path: str, config_path: str | None, state_path: str | None, state_dsn: str | None,
    workspace: str | None, auto_approve: bool, parallelism: int,
    allow_mass_removal: bool, allow_uid_change: bool, allow_unsigned: bool,
    ignore_windows: bool, no_hold: bool,
    targets: tuple[str, ...], replace: tuple[str, ...], redact: str | None, fmt: str,
    log_format: str, lock_timeout: float, no_color: bool,
) -> None:
    """Make ClassIn match the configuration (PATH), or apply a saved plan (PLANFILE).

    A saved plan is applied exactly as it was made; the school's settings and
    where the state lives come from the configuration (--config, default: the
    current directory), never from the plan file."""
    out = Output(fmt, log_format, use_color(no_color, err=fmt == "json"), redact)
    with Interrupts() as interrupts:
        options = ApplyOptions(allow_mass_removal, parallelism, lock_timeout,
                               stop=interrupts.stop, on_start=interrupts.start,
                               allow_uid_change=allow_uid_change, hold=not no_hold,
                               ignore_windows=ignore_windows,
                               on_call=_log_json if log_format == "json" else None,
                               member_outcomes=fmt == "json",
                               allow_unsigned=allow_unsigned)
        outcome, school = _apply(path, config_path, state_path, state_dsn, workspace,
                                 auto_approve, targets, replace, options, out)
    if outcome.result is not None and interrupts.signum is not None:
        outcome.result.interrupted = interrupts.name
    _report(outcome, interrupts.exit_code, redactor_for(outcome.plan, redact, school), out)


def _apply(path: str, config_path: str | None, state_path: str | None,
           state_dsn: str | None, workspace: str | None, auto_approve: bool,
           targets: tuple[str, ...], replace: tuple[str, ...], options: ApplyOptions,
           out: Output) -> tuple[ApplyOutcome, SchoolConfig]:
    bar = ProgressBar(enabled=out.log_format == "text")
    saved = None
    if looks_like_plan_file(path):
        if targets or replace:
            raise click.UsageError("--target and --replace apply to a configuration; a saved "
                                   "plan is applied exactly as it was made")
        saved = load_saved_plan(path)
        config = _config_for_saved_plan(config_path, saved.plan.config_root)
    else:
        config = known_config(load_config(path))
    school = config.school

    def redactor(p: Plan) -> Redactor:
        return redactor_for(p, out.redact, school)

    def show_plan(p: Plan) -> None:
        text = render_text(p, View(redactor(p)))
        out.say(colorize(text) if out.color else text)

    options = dc_replace(options, redactor_for=redactor)
    store = known_store(open_config_store(config, state_path, state_dsn, workspace))
    try:
        if saved is not None:
            outcome = apply_saved_plan(saved, config, store, options, show_plan, bar)
        else:
            api_url = os.environ.get(API_URL_ENV) or school.api_url
            outcome = apply_config(config, store, targets, replace, options, show_plan,
                                   lambda p: ask(auto_approve, p, api_url), bar)
    finally:
        bar.finish()
        show_warnings(store)
        store.close()
    return outcome, school


def _config_for_saved_plan(config_path: str | None, made_from: str) -> Config:
    try:
        return known_config(load_config(config_path or "."))
    except ConfigError as exc:
        raise ConfigError([*exc.diagnostics, Diagnostic(
            None, "apply PLANFILE reads the configuration for the school's settings and "
                  "where the state lives (never the plan file)",
            f"run it in the configuration directory, or pass --config PATH (the plan was "
            f"made from {printable(made_from)})")]) from None


def _report(outcome: ApplyOutcome, interrupted_code: int, red: Redactor, out: Output) -> None:
    for w in outcome.warnings:
        err(f"Warning: {w}")
    result = outcome.result
    if out.fmt == "json":
        echo_json(report_json(result, outcome.store, red, outcome.plan.sid, lazy=True))
    if result is None:
        return
    out.say("\n" + summary_text(result, red))
    if result.state is not None:
        out.say(f"State: {outcome.store}, serial {result.state.serial}.\n")
    if result.interrupted:
        sys.exit(interrupted_code)
    if not result.ok:
        sys.exit(EXIT_ERROR)


COMMANDS = (apply,)
