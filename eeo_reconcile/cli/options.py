"""The options the commands share, as decorators and stacks of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..plan.render import RENDERERS
from . import gate

F = TypeVar("F", bound=Callable[..., Any])


def stack(*options: Callable[[F], F]) -> Callable[[F], F]:
    """Apply several option decorators, listed in the order --help shows them."""

    def deco(fn: F) -> F:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return deco


path_argument = click.argument("path", default=".", type=click.Path())
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
    envvar="EEO_LOCK_TIMEOUT",
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
no_color_option = click.option("--no-color", is_flag=True, help="Never colour the output.")
config_option = click.option(
    "--config", "config_path", type=click.Path(),
    help="Configuration file or directory (default: the current directory).",
)

REDACT_HELP = (
    "Mask people's names (names: first character kept) and also replace uids by keyed "
    "hashes (all), in everything this command writes. school.privacy.redact sets it for "
    "everyone; this can only make it stricter.")
redact_option = click.option(
    "--redact", type=click.Choice(["names", "all"]), default=None, envvar="EEO_REDACT",
    callback=gate.start, help=REDACT_HELP,
)
summary_option = click.option(
    "--summary", is_flag=True, help="Only the per-course table and the totals.",
)
allow_mass_removal_option = click.option(
    "--allow-mass-removal", is_flag=True,
    help="Allow what trips the mass-removal limits (apply needs it too).",
)
allow_uid_change_option = click.option(
    "--allow-uid-change", is_flag=True,
    help="Allow uids removed and added under the same name (a likely typo) without listing "
         "them under the course's safety.uid_changes.",
)
allow_options = stack(allow_mass_removal_option, allow_uid_change_option)

# where the state is, for commands that take a configuration as PATH
where_options = stack(state_option, dsn_option, workspace_option)
# where the state is, for the state commands (configuration as --config)
store_options = stack(config_option, state_option, dsn_option, workspace_option,
                      lock_timeout_option)
