"""Likely uid typos: a uid removed and another added that are most likely one
mistyped uid (the real student would lose the class), and where the added one
is written.

Pairs: course members of one identity, or lesson students within their
lesson, either under the same name label (compared without case, width or
spacing differences) or one keystroke apart whatever their names (a digit
changed, inserted, deleted, or two adjacent digits swapped). `plan.safety`
makes them findings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..errors import Location
from ..fileio import FileProblem, read_regular
from ..never import assert_never
from .changes import Action, Change, CourseChange, GroupChange, LessonChange, MemberChange


def name_key(name: str) -> str:
    """A name compared without case, width or spacing differences."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _member(c: Change) -> tuple[int | None, int, str] | None:
    """(lesson or None, uid, name) of a plain member add or removal that has a name."""
    if c.reason is not None or not isinstance(c, (MemberChange, LessonChange)) or not c.name:
        return None
    return (c.lesson if isinstance(c, LessonChange) else None), c.uid, c.name


def one_keystroke(uid: int) -> set[int]:
    """The uids one keystroke from `uid`: a digit changed, inserted or deleted,
    or two adjacent digits swapped (no leading zero, never `uid` itself)."""
    d = str(uid)
    out: set[str] = set()
    digits = "0123456789"
    for i in range(len(d)):
        out.update(d[:i] + x + d[i + 1:] for x in digits)  # changed
        out.add(d[:i] + d[i + 1:])  # deleted
        if i + 1 < len(d):
            out.add(d[:i] + d[i + 1] + d[i] + d[i + 2:])  # swapped
    for i in range(len(d) + 1):
        out.update(d[:i] + x + d[i:] for x in digits)  # inserted
    return {int(t) for t in out if t and t[0] != "0" and t != d}


def _plain(c: Change) -> tuple[object, int] | None:
    """(where, uid) of a plain member add or removal (no reason): where is the
    identity for a course member, the lesson for a lesson student."""
    if c.reason is not None:
        return None
    match c:
        case MemberChange():
            return c.role, c.uid
        case LessonChange():
            return c.lesson, c.uid
        case GroupChange() | CourseChange():
            return None
        case _:
            assert_never(c)


def keystroke_changes(changes: Sequence[Change], removals: Sequence[Change],
                      taken: set[tuple[int | None, int]]
                      ) -> list[tuple[int, int, None, int | None]]:
    """(removed uid, added uid, None, lesson) pairs one keystroke apart, whatever
    their names: course members of one identity, lesson students within their
    lesson; a removed uid already paired (`taken`) is not paired again."""
    removed: dict[object, set[int]] = {}
    for c in removals:
        p = _plain(c)
        if p is not None and (_lesson(c), p[1]) not in taken:
            removed.setdefault(p[0], set()).add(p[1])
    if not removed:
        return []
    out: list[tuple[int, int, None, int | None]] = []
    for c in changes:
        p = _plain(c) if c.action is Action.ADD else None
        if p is None or p[0] not in removed:
            continue
        where, uid = p
        near = sorted(one_keystroke(uid) & removed[where])
        if near:
            removed[where].discard(near[0])
            out.append((near[0], uid, None, _lesson(c)))
    return out


def _lesson(c: Change) -> int | None:
    return c.lesson if isinstance(c, LessonChange) else None


def uid_changes(changes: Sequence[Change], removals: Sequence[Change] | None = None
                ) -> list[tuple[int, int, str | None, int | None]]:
    """(removed uid, added uid, label, lesson) pairs under the same name label:
    course members with course members, lesson students within their lesson.
    `removals`: the changes' removals, when the caller has them."""
    removed: dict[tuple[int | None, str], list[tuple[int, str]]] = {}
    if removals is None:
        removals = [c for c in changes if c.action is Action.REMOVE]
    for c in removals:
        m = _member(c)
        if m is not None:
            removed.setdefault((m[0], name_key(m[2])), []).append((m[1], m[2]))
    out: list[tuple[int, int, str | None, int | None]] = []
    taken: set[tuple[int | None, int]] = set()
    for c in changes:
        m = _member(c) if c.action is Action.ADD else None
        if m is None:
            continue
        lesson, uid, name = m
        for old, label in removed.get((lesson, name_key(name)), ()):
            if (lesson, old) not in taken and old != uid:
                taken.add((lesson, old))
                out.append((old, uid, label, lesson))
                break
    paired = {(lesson, new) for _, new, _, lesson in out}
    return out + [k for k in keystroke_changes(changes, removals, taken)
                  if (k[3], k[1]) not in paired]


MAX_LOCATE_BYTES = 64 * 1024 * 1024


def locate_uid(course: Location | None, uid: int,
               files: dict[str, list[str] | None]) -> str | None:
    """file:line:col of the first `uid` at or after the course's own line in its
    file (the entry that adds it), or None when it cannot be found. Read only
    for a finding, so a plan pays nothing for it otherwise; `files` keeps each
    file's lines for the plan's other findings."""
    if course is None:
        return None
    if course.file not in files:
        try:
            raw = read_regular(course.file, MAX_LOCATE_BYTES)
        except (FileProblem, OSError):
            files[course.file] = None
        else:
            files[course.file] = raw.decode("utf-8", "replace").splitlines()
    lines = files[course.file]
    if lines is None:
        return None
    # as an entry is written: `- 12`, `uid: 12`, `[12` or `, 12` (not `to: 12` in
    # the course's own uid_changes)
    token = re.compile(rf"(?:^\s*-\s*|uid:\s*|\[\s*|,\s*)({uid})(?![\w.])")
    for n, line in enumerate(lines[course.line - 1:], start=course.line):
        m = token.search(line)
        if m:
            return str(Location(course.file, n, m.start(1) + 1))
    return None
