"""schema NAME and init DIR: what a school's own roster repository needs from an
installed eeo-reconcile, with no copy of this repository (the JSON Schemas for
editors, a starter configuration that validates as written)."""

from __future__ import annotations

import os
import sys

import click

from ..errors import EeoError
from ..fileio import atomic_write
from ..schemas import schema_path
from .exits import handle_errors
from .gate import say

SCHEMAS = {"roster": "roster.schema.json", "roster-file": "roster-file.schema.json",
           "world": "world.schema.json", "plan": "plan.schema.json",
           "plan-file": "plan-file.schema.json", "state": "state.schema.json",
           "apply-report": "apply-report.schema.json"}

STARTER = """\
# yaml-language-server: $schema=.eeo/roster.schema.json
# A starter configuration: replace the SID and the course, then
#   eeo-reconcile validate . && eeo-reconcile plan .
school:
  sid: {sid}                      # your ClassIn school ID
  secret_env: EEO_SECRET          # the variable holding the SECRET (never in a file)
  privacy: {{redact: names}}        # plans in shared logs show no child's whole name
state:
  path: eeo.state.json            # keep it out of git (see .gitignore)
courses:
  - id: 442447                    # a ClassIn courseId
    name: Algebra I               # a label, never sent
    students: [12234]
"""
GITIGNORE = "eeo.state.json\neeo.state.json.*\neeo.state.history.jsonl\n*.plan\n"


@click.command("schema")
@click.argument("name", type=click.Choice(sorted(SCHEMAS)))
@handle_errors
def schema(name: str) -> None:
    """Print the JSON Schema NAME (roster: the configuration, for an editor's
    `$schema`; the others: the files and outputs of the same names)."""
    with open(schema_path(SCHEMAS[name]), "rb") as fh:
        sys.stdout.buffer.write(fh.read())
    sys.stdout.flush()


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--sid", type=click.IntRange(min=1), default=2339736, show_default=True,
              help="The school's ClassIn SID.")
@handle_errors
def init(directory: str, sid: int) -> None:
    """Write a starter configuration into DIRECTORY: school.yaml (one course), a
    .gitignore for the state files, and the roster schema for the editor
    (.eeo/roster.schema.json). Refuses to overwrite anything."""
    files = {"school.yaml": STARTER.format(sid=sid), ".gitignore": GITIGNORE}
    with open(schema_path(SCHEMAS["roster"]), encoding="utf-8") as fh:
        files[os.path.join(".eeo", "roster.schema.json")] = fh.read()
    there = [f for f in files if os.path.lexists(os.path.join(directory, f))]
    if there:
        raise EeoError(f"{directory} already has {', '.join(sorted(there))}: init writes "
                       "only into a new configuration (nothing was written)")
    for name, text in files.items():
        path = os.path.join(directory, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, text.encode("utf-8"))
    say(f"Wrote a starter configuration to {directory}: edit school.yaml, then run "
        f"eeo-reconcile validate {directory}")


COMMANDS = (schema, init)
