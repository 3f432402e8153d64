"""The `eeo-reconcile` command group: every command, registered in one place."""

from __future__ import annotations

import click

from .. import __version__
from . import commands, convert, history, roster, sandbox, state


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eeo-reconcile")
def main() -> None:
    """Roster-as-code for ClassIn: plan and apply course rosters kept in YAML."""


for _command in (*commands.COMMANDS, *roster.COMMANDS, *convert.COMMANDS, *state.COMMANDS,
                 *history.COMMANDS, sandbox.sandbox):
    main.add_command(_command)
