"""import: record what roster files (exports, spreadsheets) say is in ClassIn."""

from __future__ import annotations

import json
import sys

import click

from ..config.load import load_config
from ..roster.importing import CourseImport, ImportReport
from ..workflow import import_rosters, open_config_store
from .exits import handle_errors
from .gate import gate, known_config, known_store, say
from .options import store_options
from .view import show_warnings


def _counts(c: CourseImport) -> str:
    parts = [f"+{n} {what}{'s' if n != 1 else ''}" for what, n in c.added.items()]
    parts += [f"-{n} {what}{'s' if n != 1 else ''} forgotten"
              for what, n in c.forgotten.items()]
    if c.switched:
        parts.append(f"{c.switched} identit{'y' if c.switched == 1 else 'ies'} switched")
    if c.renamed:
        parts.append(f"{c.renamed} name{'s' if c.renamed != 1 else ''} updated")
    return ", ".join(parts) or "no change"


def report_text(r: ImportReport) -> str:
    lines = [f"course {c.course}: {_counts(c)}" for c in r.courses]
    if r.people:
        lines.append(f"{r.people} person(s) recorded from the account column (the accounts "
                     "are kept as a digest, never whole).")
    if r.people_without_key:
        lines.append(f"{r.people_without_key} row(s) with an account but no key: no person "
                     "recorded (add a key column: the state never keeps an account whole).")
    for f, enc in sorted(r.encodings.items()):
        lines.append(f"Read {f} as {enc}.")
    for f, cols in sorted(r.ignored_columns.items()):
        lines.append(f"Ignored columns in {f}: {', '.join(cols)}")
    added, forgotten = r.totals()
    total = CourseImport(0, added, forgotten, sum(c.renamed for c in r.courses),
                         sum(c.switched for c in r.courses))
    lines.append(f"{len(r.files)} file(s), {r.rows:,} row(s), {len(r.courses)} course(s): "
                 f"{_counts(total)}.")
    if r.dry_run:
        lines.append("Dry run: nothing was written.")
    elif not r.changed:
        lines.append(f"The state already matches the files (serial {r.serial_before}): "
                     "nothing was written.")
    else:
        lines.append(f"State serial {r.serial_before} -> {r.serial_after}. Run plan to see "
                     "what must change in ClassIn to match the configuration.")
    return "\n".join(lines) + "\n"


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@store_options
@click.option("--course", "courses", multiple=True, type=click.IntRange(min=1), metavar="ID",
              help="Import only this course (repeatable).")
@click.option("--merge", is_flag=True,
              help="Only add what the files list (default: each course in the files is a "
                   "full snapshot).")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@click.option("--encoding", metavar="NAME",
              help="The CSV files' encoding (default: UTF-8, UTF-16 with BOM, or GB18030).")
@click.option("--sheet", metavar="NAME", help="Read only this sheet of XLSX workbooks.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@handle_errors
def import_(files: tuple[str, ...], courses: tuple[int, ...], merge: bool, dry_run: bool,
            encoding: str | None, sheet: str | None, fmt: str, config_path: str | None,
            state_path: str | None, state_dsn: str | None, workspace: str | None,
            lock_timeout: float) -> None:
    """Record what roster FILES (CSV or XLSX exports) say is in ClassIn, without any
    ClassIn call: the way to bring courses that already have members under
    management (see the README's roster file contract)."""
    config = None
    if config_path is not None or not (state_path or state_dsn):
        config = known_config(load_config(config_path or "."))
    store = known_store(open_config_store(config, state_path, state_dsn, workspace))
    try:
        report = import_rosters(files, store, config, merge, courses, dry_run, encoding,
                                sheet, lock_timeout)
    finally:
        show_warnings(store)
        store.close()
    if fmt == "json":
        sys.stdout.write(json.dumps(gate().value(report.to_json()), ensure_ascii=False,
                                    separators=(",", ":")) + "\n")
    else:
        say(report_text(report).rstrip("\n"))


COMMANDS = (import_,)
