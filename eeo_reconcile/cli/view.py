"""What people see: colour, rendered plans, the progress bar, the apply summary."""

from __future__ import annotations

import os
import sys
import threading
import time

import click

from ..apply import ApplyResult
from ..plan.plan import Plan
from ..plan.render import RENDERERS, render_text
from ..state.store import StateStore


def err(text: str) -> None:
    click.echo(text, err=True)


def show_warnings(store: StateStore) -> None:
    """What the store noticed while reading (a state file others can read, ...)."""
    for w in store.warnings:
        err(f"Warning: {w}")
    store.warnings.clear()


def use_color(no_color: bool) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def render(plan: Plan, fmt: str, color: bool) -> str:
    if fmt == "text":
        return render_text(plan, color=color)
    return RENDERERS[fmt](plan)


class ProgressBar:
    """A one-line progress bar on stderr (only drawn on a terminal)."""

    def __init__(self) -> None:
        self._last = 0.0
        self._lock = threading.Lock()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        with self._lock:
            if done < total and now - self._last < 0.1:
                return
            self._last = now
            width = 30
            filled = int(width * done / max(1, total))
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} calls")
            sys.stderr.flush()
            self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            sys.stderr.write("\n")
            sys.stderr.flush()


def summary_text(result: ApplyResult) -> str:
    """What an apply did, for people: counts, then every failure and skip."""
    r = result
    parts = [f"{r.added} added", f"{r.removed} removed", f"{r.already} already as wanted"]
    if r.groups_created or r.groups_changed or r.groups_deleted:
        parts.append(
            f"groups: {r.groups_created} created, {r.groups_changed} changed, "
            f"{r.groups_deleted} deleted"
        )
    head = ("Apply interrupted" if r.interrupted else "Apply complete" if r.ok
            else "Apply finished with problems" if not r.stopped else "Apply stopped")
    lines = [
        f"{head}: {r.calls_sent} of {r.calls_planned} call(s) sent "
        f"({r.requests} request(s) with retries); " + ", ".join(parts) + "."
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
        lines.append(f"Failures ({len(r.failures)}):")
        lines.extend(f"  {f}" for f in sorted(r.failures, key=lambda f: f.address))
    if r.skipped:
        lines.append("Skipped:")
        lines.extend(f"  {s}" for s in sorted(r.skipped, key=lambda s: s.scope))
    if r.warnings:
        lines.append("Warnings:")
        lines.extend(f"  {w}" for w in sorted(r.warnings))
    if not r.ok:
        lines.append("Everything ClassIn confirmed is recorded; run plan to see what is left.")
    return "\n".join(lines) + "\n"
