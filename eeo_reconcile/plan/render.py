"""Plans rendered for people (text), machines (JSON) and pull requests (Markdown)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

from .._gc import paused_gc
from ..model import Role
from .model import (
    Action,
    Change,
    GroupChange,
    LessonChange,
    MemberChange,
    Plan,
    Reason,
)

GITHUB_COMMENT_LIMIT = 65536

_ADD, _REMOVE = Action.ADD, Action.REMOVE
_STUDENT = Role.STUDENT

_COLORS = {Action.ADD: "32", Action.REMOVE: "31", Action.CHANGE: "33"}

_REASON_TEXT = {
    Reason.SWITCH: "identity switch",
    Reason.REPLACE: "replace requested",
    Reason.COURSE_REMOVED: "course no longer in the configuration",
    Reason.ADOPT: "adopt existing grouping",
    Reason.RENAME: "renamed",
}


def _teams_text(teams: tuple) -> str:
    n = len(teams)
    people = sum(1 + len(t.members) for t in teams)
    return f"{n} team{'s' if n != 1 else ''}, {people} student{'s' if people != 1 else ''}"


def describe_change(c: Change) -> str:
    """One line for a change, without its symbol."""
    if type(c) is MemberChange:
        text = f"{'student' if c.role is _STUDENT else 'auditor'} {c.uid}"
        if c.name:
            text += f" ({c.name})"
    elif type(c) is LessonChange:
        text = f"lesson {c.lesson} student {c.uid}"
        if c.name:
            text += f" ({c.name}"
            text += f", custom {c.custom})" if c.custom is not None else ")"
    else:
        assert isinstance(c, GroupChange)
        text = f"group {c.name!r}"
        if c.group_id is not None:
            text += f" (id {c.group_id})"
        if c.action is Action.ADD:
            text += f": {_teams_text(c.teams)}"
        elif c.action is Action.CHANGE:
            if c.old_name is not None:
                text += f": renamed from {c.old_name!r}"
            if c.old_teams is not None and c.old_teams != c.teams:
                text += f": {_teams_text(c.old_teams)} -> {_teams_text(c.teams)}"
            elif c.old_teams is None:
                text += f": set to {_teams_text(c.teams)}"
    if c.reason is not None and c.reason is not Reason.RENAME:
        text += f"  [{_REASON_TEXT[c.reason]}]"
    return text


def _symbol(a: Action) -> str:
    return "+" if a is _ADD else "-" if a is _REMOVE else "~"


def _course_label(plan: Plan, cid: int) -> str:
    name = plan.course_names.get(cid)
    return f"course {cid}" + (f" ({name})" if name else "")


def _by_course(plan: Plan) -> Iterator[tuple[int, list[Change]]]:
    cur: int | None = None
    bucket: list[Change] = []
    for c in plan.changes:
        if c.course != cur:
            if bucket:
                yield cur, bucket  # type: ignore[misc]
            cur, bucket = c.course, []
        bucket.append(c)
    if bucket:
        yield cur, bucket  # type: ignore[misc]


def summary_line(plan: Plan) -> str:
    if plan.empty:
        return "No changes."
    s = plan.summary()
    return (
        f"Plan: {s.add} to add, {s.remove} to remove, {s.change} to change; "
        f"{s.calls} API call{'s' if s.calls != 1 else ''}."
    )


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
        for cid, changes in _by_course(plan):
            out.append(paint("1", _course_label(plan, cid)))
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


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), ensure_ascii=False, indent=2) + "\n"


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
    for cid, changes in _by_course(plan):
        a = sum(1 for c in changes if c.action is Action.ADD)
        r = sum(1 for c in changes if c.action is Action.REMOVE)
        ch = len(changes) - a - r
        label = _md_escape(_course_label(plan, cid))
        table.append(f"| {label} | {a} | {r} | {ch} |")
        body = "\n".join(f"{_symbol(c.action)} {describe_change(c)}" for c in changes)
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


RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}
