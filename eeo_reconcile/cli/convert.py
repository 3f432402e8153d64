"""convert: the SIS (OneRoster 1.1 CSV) or a roster spreadsheet -> roster YAML files."""

from __future__ import annotations

import datetime as _dt
import sys

import click

from ..convert import ConvertReport, OneRosterOptions, convert_csv, convert_oneroster
from ..convert.model import PROBLEMS
from ..text import printable
from .exits import EXIT_ERROR, handle_errors
from .gate import gate, say
from .jsonout import echo_json
from .options import stack


def report_text(r: ConvertReport, out: str, verbose: bool) -> str:
    files = f"{len(r.written)} written, {r.unchanged} unchanged"
    if r.removed:
        files += f", {len(r.removed)} removed"
    lines = [f"Converted {r.courses} course(s): {r.students} student(s), {r.auditors} "
             f"auditor(s)" + (f", {r.lesson_students} lesson student(s)"
                              if r.lesson_students else "")
             + (f", {len(r.people)} of them people without a uid (people.yaml)"
                if r.people else "")
             + f" -> {printable(out)} ({files})."]
    for title, problems in (("Skipped:", True), ("Left out by design:", False)):
        reasons = sorted(k for k in r.skipped if (k in PROBLEMS) == problems)
        if not reasons:
            continue
        lines.append(title)
        for reason in reasons:
            lines.append(f"  {r.skipped[reason]:>6}  {reason}")
            if verbose:
                lines.extend(f"          {printable(x)}" for x in sorted(set(r.details[reason])))
    if r.stale:
        lines.append("Generated files no longer produced (remove them with --prune): "
                     + ", ".join(r.stale))
    return "\n".join(lines) + "\n"


common = stack(
    click.option("--out", "out", required=True, type=click.Path(file_okay=False),
                 help="Directory for the generated YAML files (created if needed)."),
    click.option("--prune", is_flag=True,
                 help="Remove generated files whose courses are no longer in the source "
                      "(files convert did not generate are never touched)."),
    click.option("--dry-run", is_flag=True, help="Report only; write nothing."),
    click.option("--strict", is_flag=True,
                 help="Exit 1 when anything was skipped (unmapped classes, users without "
                      "a uid, names too long, ...)."),
    click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                 show_default=True, help="Report format."),
    click.option("--verbose", "-v", is_flag=True, help="List what was skipped, by sourcedId."),
)


def _finish(report: ConvertReport, out: str, fmt: str, verbose: bool, strict: bool) -> None:
    if fmt == "json":
        echo_json(gate().value(report.to_json(verbose)))
    else:
        say(report_text(report, out, verbose).rstrip("\n"))
    if strict and report.problems:
        sys.exit(EXIT_ERROR)


@click.group()
def convert() -> None:
    """Generate roster YAML from the school's source of truth (see the README's
    "Nightly sync")."""


@convert.command("oneroster")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@common
@click.option("--course-map", type=click.Path(dir_okay=False),
              help="CSV classSourcedId,courseId for classes without metadata.classin.courseId.")
@click.option("--user-map", type=click.Path(dir_okay=False),
              help="CSV userSourcedId,uid for users without a ClassIn userId.")
@click.option("--auditors", type=click.Choice(["none", "guardians"]), default="none",
              show_default=True,
              help="guardians: the guardians and parents of enrolled students become auditors "
                   "of their child's course.")
@click.option("--name-order", type=click.Choice(["auto", "family-first", "given-first"]),
              default="auto", show_default=True,
              help="How names are written: auto puts CJK family names first, without a space.")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Enrollments current on this date (default: today).")
@click.option("--term", metavar="SOURCEDID",
              help="Only classes of this academic session (or one below it).")
@click.option("--group-by", type=click.Choice(["course", "org"]), default="course",
              show_default=True, help="One file per course, or per school org.")
@click.option("--people", is_flag=True,
              help="Users without a ClassIn uid but with an account (see --account-from) "
                   "become people (people.yaml, keyed by sourcedId) named by person in their "
                   "courses: apply registers their accounts (README, \"New pupils\").")
@click.option("--account-from", default="sms,phone,email", show_default=True,
              metavar="COLUMNS",
              help="The users.csv columns an account is taken from, first usable first.")
@handle_errors
def oneroster(directory: str, out: str, prune: bool, dry_run: bool, strict: bool, fmt: str,
              verbose: bool, course_map: str | None, user_map: str | None, auditors: str,
              name_order: str, as_of: _dt.datetime | None, term: str | None,
              group_by: str, people: bool, account_from: str) -> None:
    """Convert a OneRoster 1.1 bulk CSV export (DIRECTORY) into roster YAML files."""
    columns = tuple(c.strip() for c in account_from.split(",") if c.strip())
    opts = OneRosterOptions(course_map, user_map, auditors, name_order,
                            as_of.date() if as_of else None, term, group_by, people, columns)
    report = convert_oneroster(directory, out, opts, prune, dry_run)
    _finish(report, out, fmt, verbose, strict)


@convert.command("csv")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@common
@click.option("--encoding", help="The CSV files' encoding (default: detected).")
@click.option("--sheet", help="Read only this sheet of XLSX files.")
@handle_errors
def csv_(files: tuple[str, ...], out: str, prune: bool, dry_run: bool, strict: bool, fmt: str,
         verbose: bool, encoding: str | None, sheet: str | None) -> None:
    """Convert roster spreadsheets (CSV or XLSX, the import contract) into roster YAML."""
    report = convert_csv(files, out, encoding, sheet, prune, dry_run)
    _finish(report, out, fmt, verbose, strict)


COMMANDS = (convert,)
