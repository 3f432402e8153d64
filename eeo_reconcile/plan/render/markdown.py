"""The plan as a pull-request comment: summary first, details per course folded.

Names come from pull requests, so nothing a name holds may change the
comment's structure: text in table cells, summaries and lists is written
with every character Markdown or HTML could read as syntax as a numeric
character reference (it renders as itself); change lines go in code fences
longer than any run of backticks inside them, so no content can close one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ...text import printable
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
    waiting_line,
)

GITHUB_COMMENT_LIMIT = 65536

# what Markdown (CommonMark + GFM: tables, autolinks, strikethrough) or HTML can
# read as syntax anywhere in a line
_SPECIAL = re.compile(r"""[\\`*_{}\[\]()<>#+\-.!|~&"':@=$^%]""")
_TICKS = re.compile("`+")


def md_text(text: str) -> str:
    """`text` as inline Markdown that renders as itself and has no structure."""
    return _SPECIAL.sub(lambda m: f"&#{ord(m.group(0))};", printable(text))


# what the product's own advice puts in code spans (a YAML snippet, a key, a flag);
# anything else between backticks came from data, and the whole text is escaped
_ADVICE = re.compile(r"(safety|school|retired_courses|action|names|privacy)[:.][^`\n]{0,200}"
                     r"|- \{id: \d+, action: \w+\}|--[a-z-]+")


def md_advice(text: str) -> str:
    """A guard finding: the product's advice in backticks as code spans (so the
    comment shows `safety: {...}` as code, not as literal backticks); every other
    part escaped like md_text. If a part between backticks is not advice the
    product writes (a name with a backtick in it), the whole is escaped."""
    parts = text.split("`")
    code = parts[1::2]
    if len(parts) % 2 == 0 or not all(_ADVICE.fullmatch(c) for c in code):
        return md_text(text)
    return "".join(md_text(p) if i % 2 == 0 else f"`{printable(p)}`"
                   for i, p in enumerate(parts))


def fence_for(body: str) -> str:
    """A backtick fence longer than any run of backticks in `body`."""
    longest = max((len(m.group(0)) for m in _TICKS.finditer(body)), default=0)
    return "`" * max(3, longest + 1)


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


def _head(plan: Plan, view: View, limit: int) -> list[str]:
    r = view.redactor
    s = plan.summary()
    head: list[str] = ["### eeo-reconcile plan", ""]
    what = f"**{s.add} to add, {s.remove} to remove, {s.change} to change**"
    if s.forget:
        what += f", **{s.forget} course(s) to stop managing**"
    head.append(f"{what} in {len(plan.courses())} course(s); {s.calls} API call(s).")
    if s.labels:
        head.append("")
        head.append(f"{s.labels} name(s) to record in the state (no ClassIn call).")
    if s.register or s.rename or s.pending:
        head.append("")
        head.append(f"**{s.register} account(s) to register**, {s.rename} console name(s) to "
                    f"set, {s.pending} member(s) known after apply.")
        head.append("")
        head.append("<details><summary>People</summary>")
        head.append("")
        head.extend(_bounded([f"- {md_text(line.strip())}" for line in people_lines(plan, r)
                              if line.strip() and not line.endswith(":")],
                             limit // 8, "- … and {n} more"))
        head.append("")
        head.append("</details>")
    waiting = waiting_line(plan)
    if waiting is not None:  # in the summary too: work no apply will do
        head.append("")
        head.append("> [!WARNING]")
        head.append(f"> **{md_text(waiting)}**")
    if r.active:
        head.append("")
        head.append(f"_Redacted ({r.level.value}): people's names are masked"
                    + (" and uids replaced by keyed hashes" if r.uids else "") + "._")
    if plan.targets:
        head.append("")
        head.append("Targeted to: " + ", ".join(md_text(r.address(t)) for t in plan.targets))
    guard = guard_head(plan)
    if guard is not None:
        head.append("")
        head.append("> [!CAUTION]" if plan.safety.tripped else "> [!NOTE]")
        head.append(f"> **{md_text(guard)}**")
        head.extend(_bounded(
            [f"> - {md_advice(finding_line(f, r))}" for f in plan.safety.findings],
            limit // 4, "> - … and {n} more findings (see the full plan)",
        ))
    if plan.notes and not view.summary:
        head.append("")
        head.append(f"<details><summary>{len(plan.notes)} note(s)</summary>")
        head.append("")
        head.extend(_bounded(
            [f"- {md_text(r.address(n.address))}: {md_text(r.note(n.address, n.message, n.names))}"
             for n in plan.notes],
            limit // 8, "- … and {n} more notes",
        ))
        head.append("")
        head.append("</details>")
    head.append("")
    return head


def render_markdown(plan: Plan, view: View = View(), limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """A pull-request comment: summary first, details per course folded.

    When the whole text would pass `limit` characters, course details are
    dropped (from the end) and the comment says so; the totals, the guard's
    findings and the notice are never dropped.
    """
    if plan.settled:
        return "### eeo-reconcile plan\n\n**No changes.** ClassIn already matches the " \
               "configuration.\n"
    r = view.redactor
    head = _head(plan, view, limit)
    table = ["| Course | Add | Remove | Change |", "|---|---:|---:|---:|"]
    details: list[str] = []
    courses = list(by_course(plan))
    labels = []
    for cid, changes in courses:
        a, rm, ch = counts(changes)
        label = md_text(course_label(plan, cid))
        labels.append((label, a, rm, ch))
        table.append(f"| {label} | {a} | {rm} | {ch} |")
    # details, course by course, only as far as they can fit: the rest would be cut
    used = sum(map(len, head)) + sum(len(t) + 1 for t in table)
    total = len(courses)
    for (_, changes), (label, a, rm, ch) in zip(courses, labels, strict=True):
        if view.summary or used > limit:
            break
        lines: list[str] = []
        for c in changes:
            lines.append(f"{c.action.symbol} {describe_change(c, plan, r)}")
            lines.extend(f"      {d}" for d in detail_lines(c, r))
        body = "\n".join(lines)
        fence = fence_for(body)
        details.append(
            f"<details><summary>{label}: +{a} -{rm} ~{ch}</summary>\n\n"
            f"{fence}diff\n{body}\n{fence}\n\n</details>"
        )
        used += len(details[-1]) + 1

    def assemble(rows: list[str], dets: list[str], notice: str | None) -> str:
        parts = ["\n".join(head), "\n".join(rows), ""]
        if notice:
            parts.append(notice)
            parts.append("")
        parts.extend(dets)
        return "\n".join(parts).rstrip("\n") + "\n"

    full = assemble(table, details, None)
    if len(full) <= limit and (view.summary or len(details) == total):
        return full
    # Too long: keep the summary, drop per-course details from the end.
    ncourses = len(table) - 2

    def notice_for(kept_details: int, kept_rows: int) -> str:
        parts = []
        if kept_rows < ncourses:
            parts.append(f"{ncourses - kept_rows} course rows")
        parts.append(f"the details of {total - kept_details} course(s)")
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
