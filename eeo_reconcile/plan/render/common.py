"""What every output format shares: one line per change (with the names of who
and what), group changes team by team, the guard's lines, the totals.

Everything shown that came from a file -- names, labels, group names, notes --
goes through the `View`'s redactor and `printable` (control and bidirectional
characters become visible escapes); each format adds its own escaping.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ...model import Role, Team
from ...never import assert_never
from ...privacy import PLAIN, Redactor
from ...text import printable
from ..changes import (
    Action,
    Change,
    CourseChange,
    GroupChange,
    LessonChange,
    MemberChange,
    Reason,
)
from ..plan import Plan
from ..safety import SafetyFinding
from .teams import team_lines, teams_listing

_STUDENT = Role.STUDENT

REASON_TEXT = {
    Reason.SWITCH: "identity switch",
    Reason.REPLACE: "replace requested",
    Reason.COURSE_REMOVED: "course no longer in the configuration",
    Reason.ADOPT: "adopt existing grouping",
    Reason.RENAME: "renamed",
    Reason.RETIRED: "retired_courses: remove_members",
    Reason.FORGET: "retired_courses: forget",
}


@dataclass(frozen=True)
class View:
    """How a plan is shown: redaction, and the per-course table only."""

    redactor: Redactor = PLAIN
    summary: bool = False  # only the per-course table and the totals


def _name(text: str | None) -> str | None:
    if not text:
        return None
    return text if text.isprintable() else printable(text)


def _person(r: Redactor, name: str | None) -> str | None:
    return _name(r.person(name) if r.names else name)


def teams_text(teams: Sequence[Team]) -> str:
    n = len(teams)
    people = sum(1 + len(t.members) for t in teams)
    return f"{n} team{'s' if n != 1 else ''}, {people} student{'s' if people != 1 else ''}"


def lesson_label(plan: Plan, course: int, lesson: int) -> str:
    name = _name(plan.lesson_name(course, lesson))
    return f"lesson {lesson}" + (f" ({name})" if name else "")


def course_label(plan: Plan, cid: int) -> str:
    name = _name(plan.course_names.get(cid))
    return f"course {cid}" + (f" ({name})" if name else "")


def describe_change(c: Change, plan: Plan | None = None, r: Redactor = PLAIN) -> str:
    """One line for a change, without its symbol."""
    if type(c) is MemberChange:
        text = f"{'student' if c.role is _STUDENT else 'auditor'} " + (
            r.uid(c.uid) if r.uids else str(c.uid))
        name = c.name
        if name:
            if r.names or not name.isprintable():
                name = _person(r, name)
            text += f" ({name})"
    elif type(c) is LessonChange:
        lesson = lesson_label(plan, c.course, c.lesson) if plan else f"lesson {c.lesson}"
        text = f"{lesson} student {r.uid(c.uid)}"
        name = _person(r, c.name)
        if name:
            text += f" ({name}"
            text += f", custom {_person(r, c.custom)})" if c.custom is not None else ")"
    elif type(c) is CourseChange:
        name = _name(c.name)
        text = (f"course {c.course}" + (f" ({name})" if name else "")
                + ": stop managing it -- dropped from the state, nothing is sent to ClassIn")
    else:
        assert isinstance(c, GroupChange)
        text = f"group {_name(c.name)!r}"
        if c.group_id is not None:
            text += f" (id {c.group_id})"
        match c.action:
            case Action.ADD:
                text += f": {teams_text(c.teams)}"
            case Action.CHANGE:
                if c.old_name is not None:
                    text += f": renamed from {_name(c.old_name)!r}"
                if c.old_teams is not None and c.old_teams != c.teams:
                    text += f": {teams_text(c.old_teams)} -> {teams_text(c.teams)}"
                elif c.old_teams is None:
                    text += f": set to {teams_text(c.teams)}"
            case Action.REMOVE:
                pass
            case _:
                assert_never(c.action)
    if c.reason is not None and c.reason is not Reason.RENAME:
        text += f"  [{REASON_TEXT[c.reason]}]"
    return text


def detail_lines(c: Change, r: Redactor = PLAIN) -> list[str]:
    """The lines under a change: a grouping's teams, team by team."""
    if type(c) is not GroupChange:
        return []
    labels = dict(c.labels)

    def who(u: int) -> str:
        name = _person(r, labels.get(u))
        return r.uid(u) + (f" ({name})" if name else "")

    match c.action:
        case Action.ADD:
            return teams_listing(c.teams, who)
        case Action.CHANGE:
            if c.old_teams is None:
                return teams_listing(c.teams, who)
            return team_lines(c.old_teams, c.teams, who)
        case Action.REMOVE:
            return []
        case _:
            assert_never(c.action)


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


def counts(changes: Sequence[Change]) -> tuple[int, int, int]:
    """(adds, removals, changes) of one course; a forgotten course counts as none."""
    a = r = x = 0
    for c in changes:
        if type(c) is CourseChange:
            continue
        match c.action:
            case Action.ADD:
                a += 1
            case Action.REMOVE:
                r += 1
            case Action.CHANGE:
                x += 1
            case _:
                assert_never(c.action)
    return a, r, x


def waiting_line(plan: Plan) -> str | None:
    """What waits for a person (a grouping probably created), or None."""
    n = len(plan.waiting)
    if not n:
        return None
    return (f"{n} grouping{'s' if n != 1 else ''} probably created in ClassIn "
            f"wait{'s' if n == 1 else ''} for a person: see the notes (apply cannot do it).")


def people_lines(plan: Plan, r: Redactor = PLAIN) -> list[str]:
    """The accounts to register or rename, and the members known after apply."""
    out: list[str] = []
    if plan.accounts:
        out.append("people (the school's students):")
        for a in plan.accounts:
            who = f"{printable(r.key(a.key))} ({printable(r.mask(a.name))})"
            match a.action:
                case Action.ADD:
                    uid = f", uid {r.uid(a.uid)}" if a.uid is not None else ""
                    out.append(f"  + account {who} {printable(r.key(a.account))}{uid}")
                case Action.CHANGE:
                    old = printable(r.mask(a.old_name or ""))
                    out.append(f"  ~ console name of {printable(r.key(a.key))} "
                               f"(uid {r.uid(a.uid or 0)}): {old} -> "
                               f"{printable(r.mask(a.name))}")
                case Action.REMOVE:
                    raise ValueError("no endpoint removes a student from the school")
                case other:
                    assert_never(other)
        out.append("")
    if plan.pending:
        out.append("known after apply (added once their account is registered):")
        for m in plan.pending:
            where = f"course {m.course}" + (f" lesson {m.lesson}" if m.lesson else "")
            out.append(f"  + {where}: {m.kind} {printable(r.key(m.key))} "
                       f"({printable(r.mask(m.name))})")
        out.append("")
    return out


def summary_line(plan: Plan) -> str:
    if plan.empty:
        return "No changes." if plan.settled else "No changes to send. " + str(waiting_line(plan))
    s = plan.summary()
    text = f"Plan: {s.add} to add, {s.remove} to remove, {s.change} to change"
    if s.forget:
        text += f", {s.forget} course{'s' if s.forget != 1 else ''} to stop managing"
    text += f"; {s.calls} API call{'s' if s.calls != 1 else ''}"
    if s.labels:
        text += f"; {s.labels} name{'s' if s.labels != 1 else ''} to record in the state"
    if s.register or s.rename or s.pending:
        text += (f"; {s.register} account(s) to register, {s.rename} console name(s) to set, "
                 f"{s.pending} member(s) known after apply")
    return text + "."


def guard_head(plan: Plan) -> str | None:
    """The guard's headline, or None when it found nothing."""
    if not plan.safety.findings:
        return None
    if plan.safety.tripped:
        return "Guard: apply will refuse this plan (each finding says how to allow it)."
    return "Guard: every finding is allowed."


def finding_line(f: SafetyFinding, r: Redactor = PLAIN) -> str:
    text = printable(f.message(r))
    if f.allowed_by is None:
        return text
    how = f.allowed_by
    if how.startswith("--"):
        how += " (apply needs it too)"
    return f"allowed by {how}: {text}"
