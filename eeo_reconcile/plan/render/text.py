"""The plan as people read it in a terminal or CI log."""

from __future__ import annotations

from ..._gc import paused_gc
from ..changes import Action
from ..plan import Plan
from .common import by_course, course_label, describe_change, summary_line

_ADD, _REMOVE = Action.ADD, Action.REMOVE
_COLORS = {Action.ADD: "32", Action.REMOVE: "31", Action.CHANGE: "33"}


def render_text(plan: Plan, color: bool = False) -> str:
    """The plan as people read it in a terminal or CI log."""
    with paused_gc():
        return _render_text(plan, color)


def _render_text(plan: Plan, color: bool) -> str:

    def paint(code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    out: list[str] = []
    if plan.targets:
        out.append("Targeted to: " + ", ".join(plan.targets))
        out.append("")
    if not plan.empty:
        out.append("eeo-reconcile will make these changes (+ add, - remove, ~ change):")
        out.append("")
        add, rm, ch = (f"\x1b[{_COLORS[a]}m" if color else "" for a in (_ADD, _REMOVE,
                                                                     Action.CHANGE))
        end = "\x1b[0m" if color else ""
        for cid, changes in by_course(plan):
            out.append(paint("1", course_label(plan, cid)))
            for c in changes:
                a = c.action
                if a is _ADD:
                    out.append(f"{add}  + {describe_change(c)}{end}")
                elif a is _REMOVE:
                    out.append(f"{rm}  - {describe_change(c)}{end}")
                else:
                    out.append(f"{ch}  ~ {describe_change(c)}{end}")
            out.append("")
    if plan.notes:
        out.append("Notes:")
        for n in plan.notes:
            out.append(f"  ! {n.address}: {n.message}")
        out.append("")
    if plan.safety.tripped:
        out.append(paint("1;31", "Mass-removal guard: apply will refuse this plan."))
        for f in plan.safety.findings:
            out.append(paint("31", f"  ! {f.message()}"))
        out.append("")
    out.append(paint("1", summary_line(plan)))
    return "\n".join(out) + "\n"
