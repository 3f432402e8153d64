"""The guard: mass removals and likely uid typos, and how to allow each.

Mass removals: per course, removals are weighed against the course's recorded
members (courses with at least `min_course_size`); a course that left the
configuration without being listed under `retired_courses` trips the guard
whatever its size; across the plan, against `max_removals` and against
`max_removal_fraction_total` of every membership the state records. Identity
switches and replacements do not count (the member stays), nor do grouping
deletes (they are not members). A course listed under `retired_courses` with
`remove_members` is reviewed in the YAML: its removals are shown as allowed
and do not count towards the totals.

Uid typos: a uid removed and another added in the same course (or lesson)
under the same name -- compared without case and width differences -- or
one keystroke apart whatever their names (a digit changed, inserted, deleted
or two adjacent digits swapped) is most likely a mistyped uid; the real
student would lose the class. The finding is located at the added entry. It is
allowed by listing the pair under the course's `safety.uid_changes`, or by
--allow-uid-change.

A finding says what tripped, where the limit comes from and how to allow it;
when something allows it, `allowed_by` says what, and apply does not refuse.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import MIN_TOTAL_SIZE, Config, Retire, Safety
from ..privacy import PLAIN, Redactor
from ..state.model import State
from .changes import Action, Change, GroupChange, Reason
from .typos import locate_uid, uid_changes

MASS, TOTAL, SHARE, UID = "course", "total", "total-fraction", "uid-change"
ACCOUNTS = "accounts"  # registrations without school.accounts.register: true
ACCOUNT_CHANGE = "account-change"  # a person's account changed: another ClassIn account
_REMOVE = Action.REMOVE
FLAG = {MASS: "--allow-mass-removal", TOTAL: "--allow-mass-removal",
        SHARE: "--allow-mass-removal", UID: "--allow-uid-change"}


@dataclass(frozen=True)
class Allow:
    """What the command line allows (the plan shows it; apply needs the same flags)."""

    mass_removal: bool = False
    uid_change: bool = False

    def flag_for(self, scope: str) -> str | None:
        if scope == ACCOUNTS:
            return None  # only the configuration allows it (a change reviewers see)
        if scope == ACCOUNT_CHANGE:
            return "--allow-uid-change" if self.uid_change else None
        on = self.uid_change if scope == UID else self.mass_removal
        return FLAG[scope] if on else None


@dataclass(frozen=True, slots=True)
class SafetyFinding:
    """One thing the guard stops: a removal limit exceeded, or a likely uid typo."""

    scope: str  # "course", "total" or "uid-change"
    removals: int
    limit: float  # a fraction (course) or a count (total); 0 for uid-change
    setting: str  # where the limit comes from, for the message
    course: int | None = None
    course_name: str | None = None
    recorded: int | None = None
    vanished: bool = False  # the course left the configuration
    old_uid: int | None = None  # uid-change: removed
    new_uid: int | None = None  # uid-change: added
    label: str | None = None  # uid-change: the name both carry
    lesson: int | None = None  # uid-change between lesson students
    allowed_by: str | None = None  # what allows it (None: apply refuses)
    where: str | None = None  # uid-change: file:line:col of the added entry, when found

    def _course(self) -> str:
        return f"course {self.course}" + (f" ({self.course_name})" if self.course_name else "")

    def message(self, r: Redactor = PLAIN) -> str:
        if self.scope == ACCOUNTS:
            if self.allowed_by is not None:
                return (f"{self.removals} ClassIn account(s) will be registered and made "
                        "students of the school (the account holders consented).")
            return (
                f"{self.removals} ClassIn account(s) would be registered for people of the "
                "configuration, and `school.accounts.register` is not true. Registering an "
                "account on someone's behalf needs the account holder (for a child, a "
                "parent) to know of it and agree. When they have, set `school: {accounts: "
                "{register: true}}` in the configuration (a change reviewers see); until "
                "then, give these people's uids."
            )
        if self.scope == ACCOUNT_CHANGE:
            return (
                f"person {r.key(self.label or '')}: the account changed, so they move to "
                "another ClassIn account: the new one is registered and uid "
                f"{r.uid(self.old_uid or 0)} leaves their courses (it stays a student of the "
                "school). A typo in the account? Fix it; if the pupil really has a new "
                "account, pass --allow-uid-change (apply needs it too)."
            )
        if self.scope == UID:
            where = self._course() + (f" lesson {self.lesson}" if self.lesson else "")
            if self.where is not None:
                where = f"{self.where}: {where}"
            old, new = r.uid(self.old_uid or 0), r.uid(self.new_uid or 0)
            if self.label is not None:
                label = r.person(self.label)
                what = f"uid {old} ({label}) is removed and uid {new} ({label}) is added"
            else:  # bare uids one keystroke apart
                what = (f"uid {old} is removed and uid {new} is added, one keystroke apart "
                        "(a digit changed, added, dropped or two swapped)")
            return (
                f"{where}: {what}: a typo? The real student would lose the class. If the "
                f"uid really changed, acknowledge it under the course: `safety: "
                f"{{uid_changes: [{{from: {old}, to: {new}}}]}}`, or pass --allow-uid-change."
            )
        if self.scope == MASS:
            pct = 100.0 * self.removals / max(1, self.recorded or 0)
            head = (f"{self._course()}: {self.removals} of {self.recorded} recorded members "
                    f"would be removed ({pct:.0f}%)")
            if self.setting == "retired_courses":
                return head + ", as retired_courses (remove_members) says."
            if self.vanished:  # whatever its size and the fraction
                return head + (
                    ": the course left the configuration without being listed under "
                    "retired_courses (the limit that tripped: a course never leaves "
                    "unreviewed). If it ended, list it under `retired_courses:` with "
                    f"`- {{id: {self.course}, action: remove_members}}` (remove everyone, "
                    "reviewed in the YAML) or `action: forget` (stop managing it; nothing is "
                    "sent to ClassIn); if it was dropped by mistake, put it back; or pass "
                    "--allow-mass-removal."
                )
            head += f", above max_removal_fraction {self.limit:g} ({self.setting})."
            return head + (
                f" To allow it, set `safety: {{max_removal_fraction: "
                f"{_ceil2(self.removals / max(1, self.recorded or 0))}}}` on the course in "
                "the configuration, or pass --allow-mass-removal."
            )
        if self.scope == SHARE:
            pct = 100.0 * self.removals / max(1, self.recorded or 0)
            return (
                f"the plan removes {self.removals} of the {self.recorded} memberships the "
                f"state records ({pct:.1f}%), above max_removal_fraction_total "
                f"{self.limit:g} ({self.setting}). To allow it, set `safety: "
                f"{{max_removal_fraction_total: "
                f"{_ceil2(self.removals / max(1, self.recorded or 0))}}}` in the "
                "configuration, or pass --allow-mass-removal. Courses that ended can be "
                "listed under `retired_courses:` instead."
            )
        return (
            f"the plan removes {self.removals} members in all, above max_removals "
            f"{int(self.limit)} ({self.setting}). To allow it, raise `safety: {{max_removals: "
            f"{self.removals}}}` in the configuration, or pass --allow-mass-removal. Courses "
            "that ended can be listed under `retired_courses:` instead."
        )

    def to_json(self, r: Redactor = PLAIN) -> dict[str, Any]:
        d: dict[str, Any] = {
            "scope": self.scope, "removals": self.removals, "limit": self.limit,
            "setting": self.setting, "message": self.message(r),
            "allowed_by": self.allowed_by,
        }
        if self.course is not None:
            d["course"] = self.course
            d["course_name"] = self.course_name
        if self.recorded is not None:
            d["recorded"] = self.recorded
        if self.vanished:
            d["vanished"] = True
        if self.scope == UID:
            d["old_uid"] = self.old_uid if not r.uids else r.uid(self.old_uid or 0)
            d["new_uid"] = self.new_uid if not r.uids else r.uid(self.new_uid or 0)
            d["label"] = r.person(self.label) if self.label is not None else None
            if self.lesson is not None:
                d["lesson"] = self.lesson
            if self.where is not None:
                d["location"] = self.where
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SafetyFinding:
        return cls(
            d["scope"], int(d["removals"]), d["limit"], d["setting"],
            d.get("course"), d.get("course_name"), d.get("recorded"),
            bool(d.get("vanished", False)), d.get("old_uid"), d.get("new_uid"),
            d.get("label"), d.get("lesson"), d.get("allowed_by"), d.get("location"),
        )


def _ceil2(x: float) -> str:
    return f"{min(1.0, math.ceil(x * 100) / 100):g}"


@dataclass(frozen=True)
class SafetyReport:
    total_removals: int
    max_removals: int
    findings: tuple[SafetyFinding, ...] = ()

    @property
    def tripped(self) -> bool:
        """Whether some finding is not allowed: apply refuses the plan."""
        return any(f.allowed_by is None for f in self.findings)

    def refused(self, allow: Allow = Allow()) -> list[SafetyFinding]:
        """The findings apply refuses given the flags it runs with: those the YAML
        does not allow (a flag the plan was made with must be given to apply too)."""
        return [
            f for f in self.findings
            if (f.allowed_by is None or f.allowed_by.startswith("--"))
            and allow.flag_for(f.scope) is None
        ]

    def to_json(self, r: Redactor = PLAIN) -> dict[str, Any]:
        return {
            "ok": not self.tripped,
            "total_removals": self.total_removals,
            "max_removals": self.max_removals,
            "findings": [f.to_json(r) for f in self.findings],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SafetyReport:
        return cls(
            int(d["total_removals"]), int(d["max_removals"]),
            tuple(SafetyFinding.from_json(f) for f in d["findings"]),
        )


def removal_count(changes: Iterable[Change]) -> int:
    """Removals that take a member away (not switches, replacements or groupings)."""
    n = 0
    for c in changes:
        if (
            c.action is Action.REMOVE
            and type(c) is not GroupChange
            and c.reason is not Reason.SWITCH
            and c.reason is not Reason.REPLACE
            and c.reason is not Reason.FORGET
        ):
            n += 1
    return n


def check_safety(
    per_course: Mapping[int, Sequence[Change]],
    config: Config,
    state: State,
    allow: Allow = Allow(),
    register: int = 0,
    changed: Sequence[tuple[str, int]] = (),
) -> SafetyReport:
    """What the guard finds in this plan, per course and in all."""
    safety: Safety = config.safety
    defaults = Safety()
    findings: list[SafetyFinding] = []
    read: dict[str, list[str] | None] = {}  # the files a finding was located in
    total = counted = 0
    for cid, changes in per_course.items():
        spec = config.courses.get(cid)
        rec = state.courses.get(cid)
        name = (spec.name if spec else None) or (rec.name if rec else None)
        rms = [c for c in changes if c.action is _REMOVE]
        if not rms:
            continue
        if spec is not None:
            for old, new, label, lesson in uid_changes(changes, rms):
                by = "safety.uid_changes on the course" if (old, new) in spec.uid_changes \
                    else allow.flag_for(UID)
                findings.append(SafetyFinding(UID, 1, 0, "the uid-change check", cid, name,
                                              old_uid=old, new_uid=new, label=label,
                                              lesson=lesson, allowed_by=by,
                                              where=locate_uid(spec.location, new, read)))
        removals = removal_count(rms)
        if not removals:
            continue
        total += removals
        retired = config.retired.get(cid) is Retire.REMOVE_MEMBERS
        if not retired:
            counted += removals
        recorded = rec.member_count() if rec else 0
        if retired:
            limit, setting = 0.0, "retired_courses"
        elif spec is not None and spec.max_removal_fraction is not None:
            limit, setting = spec.max_removal_fraction, f"set on course {cid}"
        elif safety.max_removal_fraction != defaults.max_removal_fraction:
            limit, setting = safety.max_removal_fraction, "the `safety` block"
        else:
            limit, setting = safety.max_removal_fraction, "the default"
        vanished = spec is None and not retired  # left the YAML without review
        if vanished or (recorded >= safety.min_course_size and removals > limit * recorded):
            by = "retired_courses (remove_members)" if retired else allow.flag_for(MASS)
            findings.append(SafetyFinding(
                MASS, removals, limit, setting, cid, name, recorded,
                vanished=vanished, allowed_by=by,
            ))
    recorded_total = sum(c.member_count() for c in state.courses.values())
    share = safety.max_removal_fraction_total
    if recorded_total >= MIN_TOTAL_SIZE and counted > share * recorded_total:
        setting = ("the `safety` block" if share != defaults.max_removal_fraction_total
                   else "the default")
        findings.append(SafetyFinding(SHARE, counted, share, setting,
                                      recorded=recorded_total,
                                      allowed_by=allow.flag_for(SHARE)))
    if counted > safety.max_removals:
        setting = (
            "the `safety` block" if safety.max_removals != defaults.max_removals
            else "the default"
        )
        findings.append(SafetyFinding(TOTAL, counted, float(safety.max_removals), setting,
                                      allowed_by=allow.flag_for(TOTAL)))
    for key, old in changed:
        findings.append(SafetyFinding(ACCOUNT_CHANGE, 1, 0, "the account-change check",
                                      old_uid=old, label=key,
                                      allowed_by=allow.flag_for(ACCOUNT_CHANGE)))
    if register:
        findings.append(SafetyFinding(
            ACCOUNTS, register, 0, "school.accounts.register",
            allowed_by="school.accounts.register" if config.school.accounts.register
            else None))
    return SafetyReport(total, safety.max_removals, tuple(findings))
