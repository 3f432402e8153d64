"""What every output format shares: one line per change, changes grouped by course."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ...model import Role, Team
from ..changes import Action, Change, GroupChange, LessonChange, MemberChange, Reason
from ..plan import Plan

_STUDENT = Role.STUDENT

REASON_TEXT = {
    Reason.SWITCH: "identity switch",
    Reason.REPLACE: "replace requested",
    Reason.COURSE_REMOVED: "course no longer in the configuration",
    Reason.ADOPT: "adopt existing grouping",
    Reason.RENAME: "renamed",
}


def teams_text(teams: Sequence[Team]) -> str:
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
            text += f": {teams_text(c.teams)}"
        elif c.action is Action.CHANGE:
            if c.old_name is not None:
                text += f": renamed from {c.old_name!r}"
            if c.old_teams is not None and c.old_teams != c.teams:
                text += f": {teams_text(c.old_teams)} -> {teams_text(c.teams)}"
            elif c.old_teams is None:
                text += f": set to {teams_text(c.teams)}"
    if c.reason is not None and c.reason is not Reason.RENAME:
        text += f"  [{REASON_TEXT[c.reason]}]"
    return text


def course_label(plan: Plan, cid: int) -> str:
    name = plan.course_names.get(cid)
    return f"course {cid}" + (f" ({name})" if name else "")


def by_course(plan: Plan) -> Iterator[tuple[int, list[Change]]]:
    """The plan's changes, one run per course, in plan order."""
    cur = 0
    bucket: list[Change] = []
    for c in plan.changes:
        if c.course != cur:
            if bucket:
                yield cur, bucket
            cur, bucket = c.course, []
        bucket.append(c)
    if bucket:
        yield cur, bucket


def summary_line(plan: Plan) -> str:
    if plan.empty:
        return "No changes."
    s = plan.summary()
    return (
        f"Plan: {s.add} to add, {s.remove} to remove, {s.change} to change; "
        f"{s.calls} API call{'s' if s.calls != 1 else ''}."
    )
