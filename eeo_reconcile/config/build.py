"""From documents to a `Config`: cross-checks the schema cannot express.

The builder walks each document's (schema-checked) data, catches what only
makes sense across values (a uid twice, a student who is also an auditor, a
lesson in two courses, a group member who is not a student, ...) and builds
the typed model. It only knows `config.source.Document`, never YAML.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import Diagnostic, Location
from ..ids import as_id
from ..model import (
    DAYS,
    DEFAULT_API_URL,
    DEFAULT_SECRET_ENV,
    AccountsPolicy,
    BatchSizes,
    CourseSpec,
    Limits,
    OnNameChange,
    Redact,
    Retire,
    RetryPolicy,
    Safety,
    SchoolConfig,
    StateRef,
)
from ..state import backends
from .course import CourseParts, Refs, is_number
from .parts import PART_KEYS, Part, merge_parts
from .people import PeopleParts
from .source import Document, Locator

_RETIRE = {r.value: r for r in Retire}
_REDACT = {r.value for r in Redact}
_ON_CHANGE = {o.value for o in OnNameChange}


class Builder:
    """Collects documents, then the blocks that appear once, into a `Config`'s parts."""

    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.blocks: dict[str, tuple[Document, dict[str, Any]]] = {}
        self.block_where: dict[str, Location] = {}
        self.school_seen = False  # some file has a top-level `school` key
        self.courses: dict[int, CourseSpec] = {}
        self.course_where: dict[int, Location] = {}
        self.parts = CourseParts(self.errors)
        self.retired: dict[int, tuple[Retire, Location]] = {}
        self.split: dict[int, list[Part]] = {}  # courses given in parts
        self.people = PeopleParts(self.errors)
        self.school_where: dict[str, Location] = {}  # timezone, each apply_windows entry

    def err(self, loc: Location | None, message: str, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(loc, message, hint))

    # -- top level ----------------------------------------------------------
    def add_document(self, doc: Document) -> None:
        data = doc.data
        if not isinstance(data, dict):
            return  # empty file, or a schema error already reported
        self.school_seen = self.school_seen or "school" in data
        for key in ("school", "state", "safety"):
            block = data.get(key)
            if not isinstance(block, dict):
                continue
            here = doc.locate([key], key=True)
            if key in self.blocks:
                self.err(
                    here,
                    f"`{key}` is given twice: here and at {self.block_where[key]}",
                    f"keep a single `{key}` block across all files",
                )
                continue
            self.blocks[key] = (doc, block)
            self.block_where[key] = here
            if key == "school":  # located now: the document lets its positions go
                windows = block.get("apply_windows")
                self.school_where = {
                    "timezone": doc.locate(["school", "timezone"]) if "timezone" in block
                    else here,
                    **{str(i): doc.locate(["school", "apply_windows", i])
                       for i in range(len(windows) if isinstance(windows, list) else 0)}}
        self.people.add_people(doc, data.get("people"))
        courses = data.get("courses")
        if isinstance(courses, list):
            for i, course in enumerate(courses):
                if isinstance(course, dict):
                    self.add_course(doc.at(("courses", i)), course)
        retired = data.get("retired_courses")
        if isinstance(retired, list):
            for i, item in enumerate(retired):
                cid = as_id(item.get("id")) if isinstance(item, dict) else None
                action = item.get("action") if isinstance(item, dict) else None
                if cid is None or action not in _RETIRE:
                    continue  # schema error reported
                here = doc.locate(["retired_courses", i, "id"])
                if cid in self.retired:
                    self.err(here, f"course {cid} is retired twice: here and at "
                                   f"{self.retired[cid][1]}", "list it once")
                    continue
                self.retired[cid] = (_RETIRE[action], here)

    def check_retired(self) -> dict[int, Retire]:
        """Retired courses, after refusing one that is also in `courses`."""
        out: dict[int, Retire] = {}
        for cid, (action, here) in self.retired.items():
            if cid in self.courses:
                self.err(here, f"course {cid} is in retired_courses and in courses (at "
                               f"{self.course_where[cid]})",
                         "a course is either managed (courses) or retired: remove it from one")
                continue
            out[cid] = action
        return out

    # -- one course ----------------------------------------------------------
    def add_course(self, loc: Locator, data: dict[str, Any]) -> None:
        cid = as_id(data.get("id"))
        if cid is None:
            return  # schema error reported
        here = loc.locate(["id"])
        self.people.add_course(loc, cid, data)
        label = data.get("part")
        whole = cid in self.course_where and cid not in self.split
        if whole or (cid in self.split and not isinstance(label, str)):
            self.err(
                here,
                f"course {cid} is defined twice: here and at {self.course_where[cid]}",
                "keep each course in one place, or split it over files on purpose: give "
                "every entry of it a `part:` name (each key then comes from one part)",
            )
            return
        if not isinstance(label, str):
            self.course_where[cid] = here
            self.courses[cid] = self.parts.build(loc, cid, data, here)
            return
        self.course_where.setdefault(cid, here)
        refs = Refs()
        spec = self.parts.build(loc, cid, data, here, refs)
        keys = {k: loc.locate([k], key=True) for k in PART_KEYS if k in data}
        self.split.setdefault(cid, []).append(Part(label, here, keys, spec, refs))

    def finish_courses(self) -> None:
        """Merge the courses split over several parts (see `config.parts`)."""
        for cid, parts in self.split.items():
            self.courses[cid] = merge_parts(cid, parts, self.errors)
        self.split.clear()

    # -- the blocks that appear once ------------------------------------------------
    def school_config(self) -> SchoolConfig | None:
        """The school block's settings (None when its sid is invalid: reported)."""
        _, block = self.blocks["school"]
        sid = as_id(block.get("sid"))
        if sid is None:
            return None
        b = block.get("batch") or {}
        r = block.get("retry") or {}
        batch = BatchSizes(**{k: int(v) for k, v in b.items() if is_number(v, int)})
        retry_kw: dict[str, Any] = {k: (int(v) if k == "attempts" else float(v))
                                    for k, v in r.items() if is_number(v, float)}
        retry = RetryPolicy(**retry_kw)
        lim = block.get("limits") or {}
        limits = Limits(**{k: int(v) for k, v in lim.items() if is_number(v, int)})
        redact = (block.get("privacy") or {}).get("redact", "none")
        on_change = (block.get("names") or {}).get("on_change", "note")
        acc = block.get("accounts") or {}
        accounts = AccountsPolicy(
            register=acc.get("register") is True,
            password_env=acc["password_env"] if isinstance(acc.get("password_env"), str)
            else None)
        windows, timezone = self._windows(block)
        return SchoolConfig(
            sid=sid,
            api_url=str(block.get("api_url", DEFAULT_API_URL)).rstrip("/"),
            secret_env=str(block.get("secret_env", DEFAULT_SECRET_ENV)),
            batch=batch,
            retry=retry,
            limits=limits,
            redact=Redact(redact) if redact in _REDACT else Redact.NONE,
            on_name_change=OnNameChange(on_change) if on_change in _ON_CHANGE
            else OnNameChange.NOTE,
            accounts=accounts,
            apply_windows=windows,
            timezone=timezone,
        )

    def _windows(self, block: dict[str, Any]
                 ) -> tuple[tuple[tuple[frozenset[int], str, str], ...], str]:
        """school.apply_windows and school.timezone, checked: a time zone that is
        not one, a window that never opens (it closes when or before it opens)."""
        where = self.school_where
        tz = block.get("timezone", "Asia/Shanghai")
        if isinstance(tz, str):
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                self.err(where["timezone"], f"{tz!r} is not a time zone",
                         "give an IANA name, e.g. Asia/Shanghai or Europe/London")
                tz = "Asia/Shanghai"
        out = []
        for i, w in enumerate(block.get("apply_windows") or []):
            if not isinstance(w, dict) or not isinstance(w.get("days"), list):
                continue  # the schema said what is wrong
            start, end = str(w.get("from", "")), str(w.get("to", ""))
            if not start < end:  # "HH:MM" texts (the schema checks them) compare as times
                self.err(where.get(str(i)),
                         f"this window never opens: it closes at {end}, not after it opens "
                         f"at {start}", "a window ends the day it starts: from 08:00 to 17:00")
                continue
            days = frozenset(DAYS.index(d) for d in w["days"] if d in DAYS)
            out.append((days, start, end))
        return tuple(out), str(tz)

    def check_limits(self, school: SchoolConfig) -> None:
        """Courses that ask for more than the school's limits allow."""
        most = school.limits.auditors_per_course
        where = self.block_where.get("school")
        for cid, spec in self.courses.items():
            if len(spec.auditors) > most:
                setting = "ClassIn's default" if most == Limits().auditors_per_course else \
                    f"school.limits.auditors_per_course at {where}"
                at = spec.auditor_locations
                self.err(
                    at[most] if len(at) > most else spec.location,
                    f"course {cid} has {len(spec.auditors)} auditors; ClassIn takes {most} "
                    f"a course ({setting}): this one and those after it would be refused "
                    "(130)",
                    "remove auditors, or, if ClassIn raised the school's limit, set "
                    "`school: {limits: {auditors_per_course: N}}`",
                )

    def state_ref(self, base_dir: str) -> StateRef:
        block = self.blocks["state"][1] if "state" in self.blocks else {}
        name = block.get("backend", backends.DEFAULT_BACKEND)
        if name not in backends.names():  # the schema reported it
            name = backends.DEFAULT_BACKEND
        return backends.get(name).ref_from_config(block, base_dir)

    def safety_config(self) -> Safety:
        block = self.blocks["safety"][1] if "safety" in self.blocks else {}
        kw: dict[str, Any] = {}
        f: Any = block.get("max_removal_fraction")
        if is_number(f, float):
            kw["max_removal_fraction"] = float(f)
        m = block.get("max_removals")
        if is_number(m, int):
            kw["max_removals"] = m
        t: Any = block.get("max_removal_fraction_total")
        if is_number(t, float):
            kw["max_removal_fraction_total"] = float(t)
        return Safety(**kw)
