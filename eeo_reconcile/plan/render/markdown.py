"""The plan as a pull-request comment: summary first, details per course folded."""

from __future__ import annotations

from collections.abc import Callable

from ..changes import Action
from ..plan import Plan
from .common import by_course, course_label, describe_change

GITHUB_COMMENT_LIMIT = 65536


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _bounded(lines: list[str], budget: int, more: str) -> list[str]:
    """As many lines as fit in `budget` characters, then a line saying how many
    were left out."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > budget:
            out.append(more.format(n=len(lines) - i))
            break
        out.append(line)
        used += len(line) + 1
    return out


def render_markdown(plan: Plan, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """A pull-request comment: summary first, details per course folded.

    When the whole text would pass `limit` characters, course details are
    dropped (from the end) and the comment says so; the totals, the guard's
    findings and the notice are never dropped.
    """
    s = plan.summary()
    head: list[str] = ["### eeo-reconcile plan", ""]
    if plan.empty:
        head.append("**No changes.** ClassIn already matches the configuration.")
        return "\n".join(head) + "\n"
    head.append(
        f"**{s.add} to add, {s.remove} to remove, {s.change} to change** "
        f"in {len(plan.courses())} course(s); {s.calls} API call(s)."
    )
    if plan.targets:
        head.append("")
        head.append("Targeted to: " + ", ".join(f"`{t}`" for t in plan.targets))
    if plan.safety.tripped:
        head.append("")
        head.append("> [!CAUTION]")
        head.append("> **Mass-removal guard:** apply will refuse this plan.")
        head.extend(_bounded(
            [f"> - {_md_escape(f.message())}" for f in plan.safety.findings],
            limit // 4, "> - … and {n} more limits exceeded (see the full plan)",
        ))
    if plan.notes:
        head.append("")
        head.append(f"<details><summary>{len(plan.notes)} note(s)</summary>")
        head.append("")
        head.extend(_bounded(
            [f"- `{n.address}`: {_md_escape(n.message)}" for n in plan.notes],
            limit // 8, "- … and {n} more notes",
        ))
        head.append("")
        head.append("</details>")
    head.append("")

    table = ["| Course | Add | Remove | Change |", "|---|---:|---:|---:|"]
    details: list[str] = []
    for cid, changes in by_course(plan):
        a = sum(1 for c in changes if c.action is Action.ADD)
        r = sum(1 for c in changes if c.action is Action.REMOVE)
        ch = len(changes) - a - r
        label = _md_escape(course_label(plan, cid))
        table.append(f"| {label} | {a} | {r} | {ch} |")
        body = "\n".join(f"{c.action.symbol} {describe_change(c)}" for c in changes)
        details.append(
            f"<details><summary>{label}: +{a} -{r} ~{ch}</summary>\n\n"
            f"```diff\n{body}\n```\n\n</details>"
        )

    def assemble(rows: list[str], dets: list[str], notice: str | None) -> str:
        parts = ["\n".join(head), "\n".join(rows), ""]
        if notice:
            parts.append(notice)
            parts.append("")
        parts.extend(dets)
        return "\n".join(parts).rstrip("\n") + "\n"

    full = assemble(table, details, None)
    if len(full) <= limit:
        return full
    # Too long: keep the summary, drop per-course details from the end.
    ncourses = len(details)

    def notice_for(kept_details: int, kept_rows: int) -> str:
        parts = []
        if kept_rows < ncourses:
            parts.append(f"{ncourses - kept_rows} course rows")
        parts.append(f"the details of {ncourses - kept_details} course(s)")
        return (
            "> [!NOTE]\n> This plan is longer than GitHub's 65,536-character comment limit: "
            + " and ".join(parts) + " are left out here. Run `eeo-reconcile show PLANFILE` "
            "for the whole plan."
        )

    fit: Callable[[int, int], int] = lambda rows, dets: len(  # noqa: E731
        assemble(table[: rows + 2], details[:dets], notice_for(dets, rows))
    )
    rows = ncourses
    while rows > 0 and fit(rows, 0) > limit:
        rows = max(0, rows - max(1, rows // 8))
    lo, hi = 0, len(details)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fit(rows, mid) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return assemble(table[: rows + 2], details[:lo], notice_for(lo, rows))
