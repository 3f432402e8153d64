"""The plan as people read it in a terminal or CI log (plain text: the CLI
colours it, `cli.view.colorize`)."""

from __future__ import annotations

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
    people_lines,
    summary_line,
)

_ADD, _REMOVE = Action.ADD, Action.REMOVE
_SYMBOL = {Action.ADD: "+", Action.REMOVE: "-", Action.CHANGE: "~"}


def render_text(plan: Plan, view: View = View()) -> str:
    """The plan as people read it in a terminal or CI log."""
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
    r = view.redactor

    out: list[str] = []
    if plan.targets:
        out.append("Targeted to: " + ", ".join(printable(r.address(t)) for t in plan.targets))
        out.append("")
    out.extend(people_lines(plan, r))  # registered first: the courses' calls need the uids
    if plan.changes and view.summary:
        out.append("eeo-reconcile will change these courses:")
        out.extend(_course_table(plan))
        out.append("")
    elif plan.changes:
        out.append("eeo-reconcile will make these changes (+ add, - remove, ~ change):")
        out.append("")
        for cid, changes in by_course(plan):
            out.append(course_label(plan, cid))
            for c in changes:
                out.append(f"  {_SYMBOL[c.action]} {describe_change(c, plan, r)}")
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
        out.append(head)
        for f in plan.safety.findings:
            out.append(f"  {'!' if f.allowed_by is None else '='} {finding_line(f, r)}")
        out.append("")
    out.append(summary_line(plan))
    return "\n".join(out) + "\n"

