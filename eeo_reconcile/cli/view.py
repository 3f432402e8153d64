"""What people see: colour, rendered plans, the progress bar, the apply summary."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import replace as dc_replace
from typing import Any

import click

from ..apply import ApplyResult
from ..model import Redact, SchoolConfig
from ..plan.plan import Plan
from ..plan.render import RENDERERS, View
from ..plan.render.json import render_json_pieces
from ..privacy import PLAIN, Redactor, pseudonym_key, stricter
from ..state.history import Event
from ..state.store import StateStore
from ..text import printable
from .gate import say


def err(text: str) -> None:
    """A message on stderr, through the gate (escaped; redacted as the run says)."""
    say(text, err=True)


def show_warnings(store: StateStore) -> None:
    """What the store noticed while reading (a state file others can read, ...)."""
    for w in store.warnings:
        err(f"Warning: {w}")
    store.warnings.clear()


def use_color(no_color: bool, err: bool = False) -> bool:
    """Colour for stdout (or stderr): never with --no-color or NO_COLOR, always
    with FORCE_COLOR, else when it is a terminal."""
    if no_color or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return (sys.stderr if err else sys.stdout).isatty()


_STYLES = (("  + ", {"fg": "green"}), ("  - ", {"fg": "red"}), ("  ~ ", {"fg": "yellow"}),
           ("  ! ", {"fg": "red"}), ("course ", {"bold": True}), ("Plan: ", {"bold": True}),
           ("Guard: apply will refuse", {"fg": "red", "bold": True}),
           ("Guard: ", {"bold": True}))


def colorize(text: str) -> str:
    """A plan in text, coloured line by line (click's styles, by the line's mark)."""
    out = []
    for line in text.split("\n"):
        for mark, style in _STYLES:
            if line.startswith(mark):
                line = click.style(line, **style)
                break
        out.append(line)
    return "\n".join(out)


def redactor_for(plan: Plan, flag: str | None, school: SchoolConfig | None = None) -> Redactor:
    """The redaction for output about `plan`: the stricter of the school's
    `privacy.redact` and --redact; uid hashes keyed by the state's salt (never
    printed), which the job that plans and the job that applies both have, so
    one child has one pseudonym in both logs (not by the secret: the plan job
    has none). Only the configuration's `school` may name the secret's variable;
    a saved plan's own settings (`show`) give the redaction level, never a key."""
    settings = school or plan.school
    level = stricter(settings.redact if settings else None, Redact(flag) if flag else None)
    if level is Redact.NONE:
        return PLAIN
    return Redactor(level, pseudonym_key(plan.salt, _secret(school)))


def _secret(school: SchoolConfig | None) -> str | None:
    """The secret, when the configuration names it and it is set here (it keys
    the pseudonyms only before the state has a salt: privacy.pseudonym_key)."""
    return os.environ.get(school.secret_env) or None if school is not None else None


def redactor_for_state(flag: str | None, school: SchoolConfig | None,
                       salt: Callable[[], str | None]) -> Redactor:
    """`redactor_for` for what the state says (history, state diff): uid hashes
    keyed by the state's `salt()` (only read when uids are hashed), as plans are."""
    level = stricter(school.redact if school else None, Redact(flag) if flag else None)
    if level is Redact.NONE:
        return PLAIN
    key = salt() if level is Redact.ALL else None
    return Redactor(level, pseudonym_key(key, _secret(school)))


def render(plan: Plan, fmt: str, view: View, color: bool = False) -> str:
    text = RENDERERS[fmt](plan, view)
    return colorize(text) if color and fmt == "text" else text


def echo_plan(plan: Plan, fmt: str, view: View, color: bool = False) -> None:
    """Write the plan to stdout; JSON in pieces as they are made (a large plan's
    document is tens of megabytes: never held whole, nor encoded whole)."""
    if fmt == "json":
        for piece in render_json_pieces(plan, view):
            click.echo(piece, nl=False, color=True)
        return
    click.echo(render(plan, fmt, view, color), nl=False, color=True)


class ProgressBar:
    """Apply's progress on stderr, when it is a terminal: calls, members, ETA
    (click's progress bar)."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self._bar: Any = None
        self._lock = threading.Lock()

    def __call__(self, calls: int, calls_total: int, members: int, members_total: int) -> None:
        if not self.enabled or calls_total <= 10:
            return
        with self._lock:
            if self._bar is None:
                self._bar = click.progressbar(
                    length=calls_total, label="Applying", file=sys.stderr, show_eta=True,
                    show_pos=True, item_show_func=lambda item: item)
                self._bar.__enter__()
            self._bar.update(calls - self._bar.pos,
                             f"{members:,}/{members_total:,} members")

    def finish(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.__exit__(None, None, None)
                self._bar = None


def _warning(w: str, red: Redactor) -> str:
    addr, sep, rest = w.partition(": ")
    return printable(red.address(addr) + sep + rest) if sep else printable(w)


def summary_text(result: ApplyResult, red: Redactor = PLAIN) -> str:
    """What an apply did, for people: counts, then every failure, hold and skip."""
    r = result
    parts = [f"{r.added} added", f"{r.removed} removed", f"{r.already} already as wanted"]
    if r.retried:
        parts.append(f"{r.retried} add(s) sent again after the course's removals (course full)")
    if r.labels:
        parts.append(f"{r.labels} name(s) recorded")
    if r.registered or r.accounts_existed or r.renamed:
        parts.append(f"accounts: {r.registered} registered, {r.accounts_existed} registered "
                     f"before (made school students), {r.renamed} console name(s) set")
    if r.forgotten:
        parts.append(f"{r.forgotten} course(s) no longer managed")
    if r.groups_created or r.groups_changed or r.groups_deleted:
        parts.append(
            f"groups: {r.groups_created} created, {r.groups_changed} changed, "
            f"{r.groups_deleted} deleted"
        )
    head = ("Apply interrupted" if r.interrupted else "Apply complete" if r.ok
            else "Apply finished with problems" if not r.stopped else "Apply stopped")
    lines = [
        f"{head}: {r.calls_sent} of {r.calls_planned} call(s) sent"
        + (f" and {r.calls_resent} sent again" if r.calls_resent else "")
        + f" ({r.requests} request(s) with retries); " + ", ".join(parts) + "."
    ]
    if r.interrupted:
        line = (f"interrupted ({r.interrupted}): {r.not_sent} call(s) not sent; run apply "
                "again to finish")
        if r.unanswered:
            line += (f". {r.unanswered} call(s) in flight got no answer: whether they took "
                     "effect is unknown, and the next plan shows what is left")
        lines.append(line + ".")
    if r.stopped:
        lines.append(f"Stopped: {r.stopped}")
        if r.not_sent and not r.interrupted:
            lines.append(f"  {r.not_sent} call(s) were not sent.")
    if r.failures:
        n = sum(f.members for f in r.failures)
        lines.append(f"Failures ({len(r.failures)}" + (f", {n} members" if n > len(r.failures)
                                                      else "") + "):")
        lines.extend(f"  {printable(str(dc_replace(f, address=red.address(f.address))))}"
                     for f in sorted(r.failures, key=lambda f: f.address))
    if r.held:
        lines.append("Held back:")
        lines.extend(f"  {h}" for h in sorted(r.held, key=lambda h: h.course))
    if r.skipped:
        lines.append("Skipped:")
        lines.extend(f"  {s}" for s in sorted(r.skipped, key=lambda s: s.scope))
    if r.warnings:
        lines.append("Warnings:")
        lines.extend(f"  {_warning(w, red)}" for w in sorted(r.warnings))
    if r.unrecorded:
        lines.append("Not everything ClassIn confirmed could be recorded (see above): the "
                     "next plan proposes it again, and ClassIn's 'already there' answers make "
                     "that safe; run plan once the state's store is back.")
    elif not r.ok:
        lines.append("Everything ClassIn confirmed is recorded; run plan to see what is left.")
    return "\n".join(lines) + "\n"


def event_value(v: Any) -> str:
    """An old or new value of a recorded change, short: names as they are, the
    rest as compact JSON."""
    if v is None:
        return ""
    if isinstance(v, dict) and set(v) <= {"name", "custom"}:
        return ", ".join(printable(str(x)) for x in v.values() if x is not None)
    return printable(json.dumps(v, ensure_ascii=False, separators=(",", ":")))


def event_change(action: str, old: Any, new: Any) -> str:
    o, n = event_value(old), event_value(new)
    if o and n:
        return f"{action} ({o} -> {n})"
    return f"{action} ({o or n})" if o or n else action


EVENT_SYMBOL = {"add": "+", "create": "+", "remove": "-", "delete": "-", "forget": "-"}


def event_line(e: Event) -> str:
    """A recorded difference in the plan's notation, without its symbol."""
    return f"{printable(e.address)}: {event_change(e.action, e.old, e.new)}"
