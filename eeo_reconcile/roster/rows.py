"""Checking the rows of a roster file and collecting them, every problem located.

`Collector.header` finds the columns; `Collector.rows` checks and collects
the rows after it, a chunk at a time: a chunk of plain text cells that all
pass is checked column by column at C speed (`fast_columns`), any other row
by row (`_slow`), which says what is wrong and where (file, row, column).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress, groupby, islice, repeat
from operator import is_, not_
from typing import Any

from ..errors import Diagnostic, Location
from ..ids import MAX_ID, as_id
from ..model import LessonMember
from ..text import UNSAFE, printable, token
from .columns import HEADERS, REQUIRED, ROLE_WORDS, ROLES, RowRole, fold
from .model import Roster, RosterCourse
from .people import collect_people

CHUNK = 2_000  # rows checked together (the figures are in bench/RESULTS.md)
MAX_NAME = 24
MAX_LABEL = 200
MAX_CUSTOM = 50


class Collector:
    """Checks rows and builds the roster; remembers where each membership was."""

    def __init__(self) -> None:
        self.roster = Roster()
        self.errors: list[Diagnostic] = []
        # course -> uid -> the row of its first membership (rows read one by one)
        self.seen: dict[int, dict[int, int]] = {}
        # chunks collected column by column: (file, first row, course ids, uids)
        self.fast_chunks: list[tuple[str, int, list[int], list[int]]] = []

    def err(self, loc: Location, message: str, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(loc, message, hint))

    def header(self, display: str, row: Sequence[Any], line: int) -> dict[str, int] | None:
        cols: dict[str, int] = {}
        ignored: list[str] = []
        for i, cell in enumerate(row):
            text = "" if cell is None else str(cell)
            col = HEADERS.get(fold(text))
            if col is None:
                if text.strip():
                    ignored.append(token(text))
                continue
            if col in cols:
                self.err(Location(display, line, i + 1),
                         f"two columns are `{col}`: column {cols[col] + 1} and this one",
                         "keep one of them")
                continue
            cols[col] = i
        if ignored:
            self.roster.ignored_columns[display] = ignored
        missing = [c for c in REQUIRED if c not in cols]
        if missing:
            self.err(Location(display, line, 1),
                     f"the header row has no {', no '.join(f'`{c}` column' for c in missing)}",
                     "the first row names the columns: course_id, role, uid (required), name, "
                     "lesson_id, custom (see the README's roster file contract)")
            return None
        return cols

    def rows(self, display: str, rows: Iterable[Sequence[Any]], first: int,
             cols: dict[str, int], text_only: bool = False) -> int:
        """Check and collect the rows after the header, a chunk at a time: a chunk
        of plain, valid CSV cells is checked column by column at C speed
        (`_fast`); any other chunk row by row (`_slow`), which says what is
        wrong and where. Returns the number of the row after the last."""
        it = iter(rows)
        line = first
        while True:
            chunk = list(islice(it, CHUNK))
            if not chunk:
                return line
            if "account" in cols:
                collect_people(self.roster, self.errors, display, chunk, line, cols)
            if not (text_only and self._fast(display, chunk, line, cols)):
                self._slow(display, chunk, line, cols)
            line += len(chunk)

    def _fast(self, display: str, chunk: list[Sequence[Any]], first: int,
              cols: dict[str, int]) -> bool:
        """`fast_columns` for a chunk of CSV rows of one width."""
        if len(chunk[0]) <= max(cols.values()) or set(map(type, chunk[0])) != {str}:
            return False
        try:
            columns = list(zip(*chunk, strict=True))
        except ValueError:  # rows of other widths
            return False
        return self.fast_columns(display, columns, len(chunk), first, cols)

    def fast_columns(self, display: str, columns: Sequence[Sequence[str]], n: int, first: int,
                     cols: dict[str, int]) -> bool:
        """Collect `n` rows given as text columns, when every row passes every check,
        column by column at C speed; False (nothing collected) when any row does
        not, or a membership repeats one already seen: the rows are then read one
        by one, which says what and where."""
        blank = ("",) * n
        cid_col, role_col, uid_col = (columns[cols[c]] for c in ("course_id", "role", "uid"))
        names, lessons, customs = (columns[cols[c]] if c in cols else blank
                                   for c in ("name", "lesson_id", "custom"))
        for col in (cid_col, uid_col):
            if not (all(col) and _digits("".join(col))):
                return False
        roles = {v: ROLES.get(fold(v)) for v in set(role_col)}
        if None in roles.values():
            return False
        cids = list(map(int, cid_col))
        uids = list(map(int, uid_col))
        if min(cids) < 1 or min(uids) < 1 or max(cids) > MAX_ID or max(uids) > MAX_ID:
            return False
        names = tuple(map(str.strip, names))
        customs = tuple(map(str.strip, customs)) if customs is not blank else blank
        if not ("".join(names).isprintable() and "".join(customs).isprintable()):
            return False
        if max(map(len, names)) > MAX_NAME or max(map(len, customs)) > MAX_CUSTOM:
            return False
        student, auditor, lesson = RowRole.STUDENT, RowRole.AUDITOR, RowRole.LESSON_STUDENT
        role_of = list(map(roles.__getitem__, role_col))
        # which cells each role has: a lesson id exactly for lesson students, a custom
        # only for them, a name for auditors and lesson students
        is_lesson = list(map(is_, role_of, repeat(lesson)))
        not_lesson = list(map(not_, is_lesson))
        if list(map(bool, lessons)) != is_lesson or any(compress(customs, not_lesson)):
            return False
        is_student = list(map(is_, role_of, repeat(student)))
        if not all(compress(names, map(not_, is_student))):
            return False
        lesson_ids = list(compress(lessons, is_lesson))
        if lesson_ids and not (_digits("".join(lesson_ids))
                               and max(map(len, lesson_ids)) < 19):
            return False
        # build the chunk on its own, check it has no repeat, then merge it
        local: dict[int, RosterCourse] = {}
        s_uids = list(compress(uids, is_student))
        s_names = list(compress(names, is_student))
        pos = 0
        for cid, run in groupby(compress(cids, is_student)):
            k = len(list(run))
            course = local.get(cid)
            if course is None:
                course = local[cid] = RosterCourse()
            labels: list[str | None] = list(s_names[pos:pos + k])
            if "" in labels:
                labels = [x or None for x in labels]
            course.students.update(zip(s_uids[pos:pos + k], labels, strict=True))
            pos += k
        if len(s_uids) != n:
            others = list(map(not_, is_student))
            for cid, role, uid, name, lid, custom in zip(
                    *(compress(col, others) for col in (cids, role_of, uids, names, lessons,
                                                       customs)), strict=True):
                course = local.get(cid)
                if course is None:
                    course = local[cid] = RosterCourse()
                if role is auditor:
                    course.auditors[uid] = name
                else:
                    course.lessons.setdefault(int(lid), {})[uid] = LessonMember(
                        name, custom or None)
        if sum(c.member_count() for c in local.values()) != n:
            return False  # a uid twice in the chunk
        courses = self.roster.courses
        for cid, c in local.items():
            have = courses.get(cid)
            mine = c.students.keys() | c.auditors.keys()
            lesson_uids = {u for m in c.lessons.values() for u in m}
            if mine & lesson_uids or len(mine) != len(c.students) + len(c.auditors):
                return False  # one uid, two identities in a course
            if have is not None and not _disjoint_from(have, mine | lesson_uids):
                return False  # repeats a row of an earlier chunk
        for cid, c in local.items():
            have = courses.get(cid)
            if have is None:
                courses[cid] = c
            else:
                have.students.update(c.students)
                have.auditors.update(c.auditors)
                for lid, m in c.lessons.items():
                    have.lessons.setdefault(lid, {}).update(m)
        self.fast_chunks.append((display, first, cids, uids))
        self.roster.rows += n
        return True

    def _slow(self, display: str, rows: Iterable[Sequence[Any]], first: int,
              cols: dict[str, int]) -> None:
        """Row by row: plain CSV cells take fast paths, and a row's location is only
        built when there is something to say about it."""
        ci, ri, ui = cols["course_id"], cols["role"], cols["uid"]
        ni, li, xi = cols.get("name"), cols.get("lesson_id"), cols.get("custom")
        width = max(cols.values()) + 1
        courses = self.roster.courses
        roles: dict[Any, RowRole | None] = {}  # a role cell as written -> its role
        student, auditor, lesson_student = RowRole.STUDENT, RowRole.AUDITOR, RowRole.LESSON_STUDENT
        n = 0
        for line, row in enumerate(rows, start=first):
            if len(row) < width:
                row = [*row, *([None] * (width - len(row)))]
            if not any(row):
                continue
            n += 1
            v = row[ci]
            cid = int(v) if type(v) is str and v.isdigit() and v.isascii() and len(v) < 19 \
                else _id(v)  # 18 digits are below 2**63; longer ones are checked
            if not cid:
                self.err(Location(display, line, ci + 1),
                         f"course_id is {_shown(v)}, not a positive whole number")
                continue
            v = row[ri]
            role = roles.get(v, _UNKNOWN)
            if role is _UNKNOWN:
                role = ROLES.get(fold(str(v or "")))
                if len(roles) < 64:
                    roles[v] = role
            if role is None:
                self.err(Location(display, line, ri + 1),
                         f"role is {_shown(v)}; expected {ROLE_WORDS}")
                continue
            v = row[ui]
            uid = int(v) if type(v) is str and v.isdigit() and v.isascii() and len(v) < 19 \
                else _id(v)
            if not uid:
                self.err(Location(display, line, ui + 1),
                         f"uid is {_shown(v)}, not a positive whole number")
                continue
            name = _text(row[ni]) if ni is not None else None
            lesson_raw = row[li] if li is not None else None
            custom = _text(row[xi]) if xi is not None else None
            lesson: int | None = None
            if role is lesson_student:
                lesson = _id(lesson_raw)
                if lesson is None:
                    self.err(Location(display, line, (li if li is not None else ri) + 1),
                             f"a lesson student needs a lesson_id, not {_shown(lesson_raw)}",
                             "give the ClassIn classId of the lesson in the lesson_id column")
                    continue
            elif lesson_raw and _text(lesson_raw) is not None:
                self.err(Location(display, line, (li or 0) + 1),
                         f"lesson_id is only for lesson students, not for {_a(role)}",
                         "leave it empty, or make the role lesson_student")
                continue
            if custom is not None and role is not lesson_student:
                self.err(Location(display, line, (xi or 0) + 1),
                         f"custom is only for lesson students, not for {_a(role)}",
                         "leave it empty")
                continue
            if (name is None and role is not student) or (name is not None and (
                    len(name) > MAX_NAME or not name.isprintable())) or (
                    custom is not None and (len(custom) > MAX_CUSTOM or not custom.isprintable())):
                ncol = (ni if ni is not None else ui) + 1
                xcol = (xi if xi is not None else ui) + 1
                if not self._name_ok(role, name, custom, Location(display, line, ncol),
                                     Location(display, line, xcol)):
                    continue
            course = courses.get(cid)
            if course is None:
                course = courses[cid] = RosterCourse()
            if not self._once(cid, uid, role, lesson, name, custom,
                              Location(display, line, ui + 1), course):
                continue
            if role is student:
                course.students[uid] = name
            elif role is auditor:
                course.auditors[uid] = name or ""
            else:
                assert lesson is not None
                course.lessons.setdefault(lesson, {})[uid] = LessonMember(name or "", custom)
        self.roster.rows += n

    def _name_ok(self, role: RowRole, name: str | None, custom: str | None,
                 name_at: Location, custom_at: Location) -> bool:
        if name is None and role is not RowRole.STUDENT:
            self.err(name_at, f"{_a(role)} needs a name (the one ClassIn shows), 1 to 24 "
                              "characters", "fill the name column")
            return False
        limit = MAX_LABEL if role is RowRole.STUDENT else MAX_NAME
        if name is not None and len(name) > limit:
            self.err(name_at, f"the name is {len(name)} characters long; at most {limit} are "
                              "allowed", "shorten it (ClassIn would cut it)")
            return False
        for what, value, where in (("name", name, name_at), ("custom", custom, custom_at)):
            if value is not None and UNSAFE.search(value):
                self.err(where, f"the {what} holds control or direction characters "
                                f"({printable(value)[:40]})",
                         "remove them: they can hide or reorder text in plans")
                return False
        if custom is not None and len(custom) > MAX_CUSTOM:
            self.err(custom_at, f"custom is {len(custom)} characters long; at most "
                                f"{MAX_CUSTOM} are allowed", "shorten it")
            return False
        return True

    def _first(self, cid: int, uid: int, course: RosterCourse
               ) -> tuple[RowRole, int | None, int] | None:
        """The identity, lesson and row of the first membership of `uid` in the
        course, or None when it has none yet."""
        if uid in course.students:
            role, lesson = RowRole.STUDENT, None
        elif uid in course.auditors:
            role, lesson = RowRole.AUDITOR, None
        else:
            lesson = next((lid for lid, m in course.lessons.items() if uid in m), None)
            if lesson is None:
                return None
            role = RowRole.LESSON_STUDENT
        line = self.seen.get(cid, {}).get(uid)
        if line is None:  # collected by a fast chunk: find its row
            line = next((first + k for _, first, cids, uids in self.fast_chunks
                         for k, (c, u) in enumerate(zip(cids, uids, strict=True))
                         if c == cid and u == uid), 0)
        return role, lesson, line

    def _once(self, cid: int, uid: int, role: RowRole, lesson: int | None, name: str | None,
              custom: str | None, here: Location, course: RosterCourse) -> bool:
        """A uid has one identity in a course (a lesson student may be in several of
        its lessons); a row repeated as is counts once."""
        first = self._first(cid, uid, course)
        if first is None:
            self.seen.setdefault(cid, {})[uid] = here.line
            return True
        frole, flesson, fline = first
        if role is RowRole.LESSON_STUDENT and frole is RowRole.LESSON_STUDENT:
            members = course.lessons.get(lesson or 0, {})
            if lesson != flesson and uid not in members:
                return True  # the same transfer student in another lesson
            old = members.get(uid)
            if old is not None and old != LessonMember(name or "", custom):
                self.err(here, f"uid {uid} is listed twice in lesson {lesson} of course {cid} "
                               f"with other values (first at row {fline})",
                         "keep one row")
                return False
            return True
        if role is frole:
            old_name = course.students.get(uid) if role is RowRole.STUDENT else \
                course.auditors.get(uid)
            if old_name != (name if role is RowRole.STUDENT else name or ""):
                self.err(here, f"uid {uid} is listed twice as {role.value} of course {cid} "
                               f"with other names (first at row {fline})",
                         "keep one row")
                return False
            return True
        self.err(here, f"uid {uid} is {_a(role)} here but {_a(frole)} of course {cid} at row "
                       f"{fline}",
                 "ClassIn gives a uid one identity per course: keep one of the rows")
        return False


_UNKNOWN: Any = object()


def _disjoint_from(c: RosterCourse, uids: set[int]) -> bool:
    """Whether none of `uids` is a member of `c`: in time of the smaller side
    (a course met again in every chunk of a large file is never copied)."""
    return (c.students.keys().isdisjoint(uids) and c.auditors.keys().isdisjoint(uids)
            and all(m.keys().isdisjoint(uids) for m in c.lessons.values()))


def _digits(text: str) -> bool:
    return text.isdigit() and text.isascii()


def _a(role: RowRole) -> str:
    return {RowRole.STUDENT: "a student", RowRole.AUDITOR: "an auditor",
            RowRole.LESSON_STUDENT: "a lesson student"}[role]


def _id(v: Any) -> int | None:
    if isinstance(v, str):
        return as_id(v)
    return as_id(v) if v is not None else None


def _text(v: Any) -> str | None:
    if type(v) is str:
        return v.strip() or None
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    t = str(v).strip()
    return t or None


def _shown(v: Any) -> str:
    if v is None or (isinstance(v, str) and not v.strip()):
        return "empty"
    return repr(token(v, 24))
