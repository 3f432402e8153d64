"""convert: a source of truth (OneRoster export, roster spreadsheet) -> YAML files."""

from __future__ import annotations

from collections.abc import Sequence

from ..roster.read import read_rosters
from .model import ConvertedCourse, ConvertReport
from .oneroster import OneRosterOptions, count, read_oneroster
from .output import generated_ids, write_files
from .yamlout import PEOPLE_FILE, RETIRED_FILE, file_name, file_text, people_text, retired_text


def _write(source: str, courses: list[ConvertedCourse], report: ConvertReport, out: str,
           prune: bool, dry_run: bool, uids: dict[str, int] | None = None) -> ConvertReport:
    by_file: dict[str, list[ConvertedCourse]] = {}
    for c in courses:
        by_file.setdefault(file_name(c), []).append(c)
    count(courses, report)
    files = {name: file_text(source, cs) for name, cs in by_file.items()}
    if report.people:
        files[PEOPLE_FILE] = people_text(source, report.people, uids)
    if prune:  # the courses the source no longer has are retired, not just dropped
        before, retired = generated_ids(out)
        gone = (before | retired) - {c.id for c in courses}
        if gone:
            files[RETIRED_FILE] = retired_text(source, sorted(gone))
    write_files(out, files, report, prune, dry_run)
    return report


def convert_oneroster(directory: str, out: str, opts: OneRosterOptions = OneRosterOptions(),
                      prune: bool = False, dry_run: bool = False) -> ConvertReport:
    """Write the YAML files a OneRoster 1.1 bulk export makes into `out`."""
    courses, report = read_oneroster(directory, opts)
    return _write("oneroster", courses, report, out, prune, dry_run)


def convert_csv(paths: Sequence[str], out: str, encoding: str | None = None,
                sheet: str | None = None, prune: bool = False,
                dry_run: bool = False) -> ConvertReport:
    """Write the YAML files roster spreadsheets (the import contract) make into `out`."""
    roster = read_rosters(paths, encoding, sheet)
    courses = [ConvertedCourse(cid, None, None, dict(c.students), dict(c.auditors),
                               {lid: dict(m) for lid, m in c.lessons.items()})
               for cid, c in sorted(roster.courses.items())]
    report = ConvertReport("csv")  # an account and a key column: the people, with their uids
    report.people = {k: (a, n) for k, (_, a, n) in roster.people.items()}
    uids = {k: u for k, (u, _, _) in roster.people.items()}
    return _write("csv", courses, report, out, prune, dry_run, uids)
