"""Guardians and parents of each course's enrolled students, as its auditors
(convert oneroster --auditors guardians)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..text import UNSAFE
from . import model as m
from .model import ConvertedCourse, ConvertReport
from .people import PeopleFound

AGENTS = frozenset({"guardian", "parent"})
AUDITOR_NAME_MAX = 24


def add_guardians(courses: list[ConvertedCourse], enrolled: dict[int, set[str]],
                  users: Mapping[str, Any], report: ConvertReport, people: PeopleFound) -> None:
    """Guardians and parents of each course's enrolled students, as auditors (by
    person, with --people, when they have an account and no uid)."""
    children: dict[str, set[str]] = {}  # student -> agents (both directions)
    for key, u in users.items():
        for a in u.agents:
            if u.role in AGENTS:
                children.setdefault(a, set()).add(key)
            else:
                children.setdefault(key, set()).add(a)
    for course in courses:
        chosen: dict[int, tuple[str, str]] = {}
        for s in enrolled.get(course.id, ()):
            for a in children.get(s, ()):
                g = users.get(a)
                if g is None or g.role not in AGENTS:
                    continue
                if g.deleted:
                    report.skip(m.DELETED, f"user {a}")
                    continue
                if g.uid is None and g.account is None:
                    report.skip(m.NO_UID, f"user {a}")
                    continue
                why = auditor_problem(g, course)
                if why is not None:
                    report.skip(why, f"user {a}")
                    continue
                assert g.name is not None
                if g.uid is None:
                    pkey = people.add(a, g.account, g.name, report)
                    if pkey is not None and pkey not in course.people_auditors:
                        course.people_auditors.append(pkey)
                    continue
                had = chosen.get(g.uid)
                if had is None or a < had[0]:
                    chosen[g.uid] = (a, g.name)
        course.auditors = {u: name for u, (_, name) in sorted(chosen.items())}
        course.people_auditors.sort()


def auditor_problem(g: Any, course: ConvertedCourse) -> str | None:
    if g.uid in course.students:
        return m.GUARDIAN_IS_STUDENT
    if not g.name:
        return m.NO_NAME
    if UNSAFE.search(g.name):
        return m.UNSAFE_NAME
    if len(g.name) > AUDITOR_NAME_MAX:
        return m.LONG_NAME
    return None


