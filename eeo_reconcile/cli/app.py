"""The `eeo-reconcile` command group: every command, registered in one place.

Every option can also come from the environment: `EEO_<COMMAND>_<OPTION>`
(e.g. EEO_PLAN_FORMAT=markdown,
EEO_APPLY_PARALLELISM=8, EEO_STATE_DIFF_FORMAT=json), shown in each command's
--help; a few that mean the same everywhere have one name for all commands:
EEO_LOCK_TIMEOUT, EEO_REDACT, EEO_LOG_FORMAT.
"""

from __future__ import annotations

import click

from .. import __version__
from . import apply, commands, convert, gate, history, roster, sandbox, scaffold, state
from .options import REDACT_HELP


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="eeo-reconcile")
def main() -> None:
    """Roster-as-code for ClassIn: plan and apply course rosters kept in YAML."""


def _envvars(group: click.Group, prefix: str) -> None:
    """Give each option its variable, EEO_<COMMAND>_<OPTION> named after the
    option as typed (click would use the Python parameter's name), and show it
    in --help."""
    for name, command in group.commands.items():
        path = f"{prefix}_{name.upper().replace('-', '_')}"
        if isinstance(command, click.Group):
            _envvars(command, path)
        for param in command.params:
            if isinstance(param, click.Option):
                if param.envvar is None:
                    flag = max(param.opts, key=len).lstrip("-")
                    param.envvar = f"{path}_{flag.upper().replace('-', '_')}"
                param.show_envvar = True


def _redact_everywhere(group: click.Group) -> None:
    """Every command has --redact (EEO_REDACT): what a command writes that no
    renderer made passes the gate (see gate.py), so each needs the level."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _redact_everywhere(command)
        elif not any(p.name == "redact" for p in command.params):
            command.params.append(click.Option(
                ["--redact"], type=click.Choice(["names", "all"]), default=None,
                envvar="EEO_REDACT", callback=gate.start, expose_value=False,
                help=REDACT_HELP))


for _command in (*commands.COMMANDS, *apply.COMMANDS, *roster.COMMANDS, *convert.COMMANDS,
                 *state.COMMANDS, *history.COMMANDS, *scaffold.COMMANDS, sandbox.sandbox):
    main.add_command(_command)
_redact_everywhere(main)
_envvars(main, "EEO")
