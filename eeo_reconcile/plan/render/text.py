"""The plan as people read it in a terminal or CI log."""

from __future__ import annotations

from ..._gc import paused_gc
from ...text import printable
from ..changes import Action, GroupChange
from ..plan import Plan
from .common import (
    View,
    by_course,
    counts,
    course_label,
    describe_change,
    detail_lines,
    finding_line,
    guard_head,
    summary_line,
)

_ADD, _REMOVE = Action.ADD, Action.REMOVE
_COLORS = {Action.ADD: "32", Action.REMOVE: "31", Action.CHANGE: "33"}
_SYMBOL = {Action.ADD: "+", Action.REMOVE: "-", Action.CHANGE: "~"}


def render_text(plan: Plan, view: View = View()) -> str:
    """The plan as people read it in a terminal or CI log."""
    with paused_gc():
        return _render_text(plan, view)


def _course_table(plan: Plan) -> list[str]:
    rows = [(course_label(plan, cid), *counts(changes)) for cid, changes in by_course(plan)]
    if not rows:
        return []
    width = min(60, max(len(r[0]) for r in rows))
    out = [f"  {'course':<{width}}  {'add':>6} {'remove':>6} {'change':>6}"]
    out.extend(f"  {label:<{width}}  {a:>6} {r:>6} {c:>6}" for label, a, r, c in rows)
    return out


def _render_text(plan: Plan, view: View) -> str:
    color = view.color
    r = view.redactor

    def paint(code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    out: list[str] = []
    if plan.targets:
        out.append("Targeted to: " + ", ".join(printable(t) for t in plan.targets))
        out.append("")
    if plan.changes and view.summary:
        out.append("eeo-reconcile will change these courses:")
        out.extend(_course_table(plan))
        out.append("")
    elif plan.changes:
        out.append("eeo-reconcile will make these changes (+ add, - remove, ~ change):")
        out.append("")
        start = {a: (f"\x1b[{_COLORS[a]}m" if color else "") for a in _COLORS}
        end = "\x1b[0m" if color else ""
        for cid, changes in by_course(plan):
            out.append(paint("1", course_label(plan, cid)))
            for c in changes:
                a = c.action
                out.append(f"{start[a]}  {_SYMBOL[a]} {describe_change(c, plan, r)}{end}")
                if type(c) is GroupChange:
                    out.extend(f"      {line}" for line in detail_lines(c, r))
            out.append("")
    if plan.notes and not view.summary:
        out.append("Notes:")
        for n in plan.notes:
            msg = r.note(n.address, n.message, n.names)
            out.append(f"  ! {printable(r.address(n.address))}: {printable(msg)}")
        out.append("")
    elif plan.notes:
        out.append(f"{len(plan.notes)} note(s): run plan without --summary to read them.")
        out.append("")
    head = guard_head(plan)
    if head is not None:
        out.append(paint("1;31" if plan.safety.tripped else "1", head))
        for f in plan.safety.findings:
            line = f"  {'!' if f.allowed_by is None else '='} {finding_line(f, r)}"
            out.append(paint("31", line) if f.allowed_by is None else line)
        out.append("")
    out.append(paint("1", summary_line(plan)))
    return "\n".join(out) + "\n"

