"""history: who changed which roster when (no lock, no ClassIn call)."""

from __future__ import annotations

import csv
import datetime as _dt
import json
import sys
from dataclasses import replace as dc_replace
from typing import Any

import click

from ..address import parse_address
from ..privacy import event_value
from ..state.history import HistoryEntry
from ..text import printable
from .exits import handle_errors
from .gate import say
from .options import (
    config_option,
    dsn_option,
    redact_option,
    stack,
    state_option,
    workspace_option,
)
from .state import _store_and_school
from .view import event_change, redactor_for_state

CSV_COLUMNS = ("time", "operation", "action", "address", "old", "new", "serial", "who",
               "commit", "run")


def _time(value: str | None, end: bool) -> str | None:
    """An ISO date or time as the history compares it (UTC, Z)."""
    if value is None:
        return None
    text = value.strip().replace(" ", "T")
    try:
        if len(text) == 10:
            _dt.date.fromisoformat(text)
            return text + ("T23:59:59Z" if end else "T00:00:00Z")
        t = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date or time (YYYY-MM-DD or "
                                 "YYYY-MM-DDTHH:MM:SSZ)") from None
    if t.tzinfo is not None:
        t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def text_line(e: HistoryEntry) -> str:
    change = event_change(e.action, e.old, e.new)
    # every field comes from the history file, which is a file like any other
    where = f"commit {printable(e.commit[:12])}" if e.commit else "no commit"
    run = f", run {printable(e.run)}" if e.run else ""
    return (f"{printable(e.time)}  {printable(e.address)}  {change}  by {printable(e.who)} "
            f"[{printable(e.operation)}, serial {e.serial}, {where}{run}]")


@click.command("history")
@click.argument("prefix", required=False, default="")
@click.option("--since", help="From this date or time (UTC; YYYY-MM-DD or ISO 8601).")
@click.option("--until", help="Up to this date or time (inclusive).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True, help="Output format (json: one object per line).")
@redact_option
@stack(config_option, state_option, dsn_option, workspace_option)
@handle_errors
def history(prefix: str, since: str | None, until: str | None, fmt: str,
            redact: str | None, **where: Any) -> None:
    """Every recorded change under an address PREFIX (course/442447,
    course/442447/student/12234, ...): when, what, by whom, from which commit and
    CI run. Reads without the lock."""
    if prefix and prefix.split("/")[0] != "person":  # person/KEY: the school's students
        parse_address(prefix)  # a located error for a typo, rather than no output
    start, end = _time(since, False), _time(until, True)
    out = sys.stdout
    n = 0
    with _store_and_school(**where) as (store, school):
        r = redactor_for_state(redact, school, lambda: store.snapshot().salt)
        if fmt == "csv":
            w = csv.writer(out, lineterminator="\n")
            w.writerow(CSV_COLUMNS)
        for e in store.history(prefix, start, end):
            n += 1
            if r.active:
                e = dc_replace(e, address=r.address(e.address),
                               old=event_value(r, e.address, e.old),
                               new=event_value(r, e.address, e.new))
            if fmt == "json":
                out.write(json.dumps(e.to_json(), ensure_ascii=False) + "\n")
            elif fmt == "csv":
                d = e.to_json()
                for k in ("old", "new"):
                    d[k] = "" if d[k] is None else json.dumps(d[k], ensure_ascii=False)
                w.writerow([d[c] if d[c] is not None else "" for c in CSV_COLUMNS])
            else:
                out.write(text_line(e) + "\n")
    if n == 0 and fmt == "text":
        say("No recorded change matches" + (f" {prefix}." if prefix else "."), err=True)


COMMANDS = (history,)
