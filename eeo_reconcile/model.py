"""The desired state: what the school's YAML says, normalised and typed.

These are values; the loader (`eeo_reconcile.config`) builds them, the
planner reads them. Member collections are plain dicts keyed by uid because
the planner does set arithmetic on them; everything else is frozen.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from .errors import Location

DEFAULT_API_URL = "https://api.eeo.cn"
DEFAULT_SECRET_ENV = "EEO_SECRET"
DEFAULT_STATE_PATH = "eeo.state.json"


class Action(enum.Enum):
    """What happens to a member or a grouping, from plan to history: the one
    vocabulary of the plan's changes, the endpoints (what a call does) and the
    state's ops. A grouping added is created, changed is edited, removed is
    deleted. The order of members is the display order."""

    REMOVE = "remove"
    ADD = "add"
    CHANGE = "change"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_SYMBOLS = {Action.REMOVE: "-", Action.ADD: "+", Action.CHANGE: "~"}


class Role(enum.Enum):
    """A course membership identity, with its ClassIn `identity` number."""

    STUDENT = "student"
    AUDITOR = "auditor"

    @property
    def identity(self) -> int:
        return 1 if self is Role.STUDENT else 2


@dataclass(frozen=True, slots=True)
class BatchSizes:
    students: int = 30
    auditors: int = 20
    removals: int = 30
    lesson_students: int = 30


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6
    deadline_seconds: float = 120.0
    backoff_seconds: float = 0.5
    connect_timeout: float = 5.0
    read_timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class Limits:
    """What ClassIn allows the school; 20 auditors a course is ClassIn's default,
    which a school can have raised."""

    auditors_per_course: int = 20


class Redact(enum.Enum):
    """What plans, summaries and logs hide: nothing, people's names, or names and uids."""

    NONE = "none"
    NAMES = "names"
    ALL = "all"


class OnNameChange(enum.Enum):
    """What a changed auditor or lesson-student name does (ClassIn cannot rename)."""

    NOTE = "note"  # say so; send nothing
    REPLACE = "replace"  # remove and add again with the new name


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # school.apply_windows' days


@dataclass(frozen=True, slots=True)
class AccountsPolicy:
    """school.accounts: whether ClassIn accounts may be registered for the people
    of the configuration (the account holders consented), and the initial
    password (from a variable; default: a random one per account, never kept)."""

    register: bool = False
    password_env: str | None = None


@dataclass(frozen=True, slots=True)
class SchoolConfig:
    sid: int
    api_url: str = DEFAULT_API_URL
    secret_env: str = DEFAULT_SECRET_ENV
    batch: BatchSizes = BatchSizes()
    retry: RetryPolicy = RetryPolicy()
    limits: Limits = Limits()
    redact: Redact = Redact.NONE  # school.privacy.redact
    on_name_change: OnNameChange = OnNameChange.NOTE  # school.names.on_change
    accounts: AccountsPolicy = AccountsPolicy()  # school.accounts
    # school.apply_windows: (days 0-6, "HH:MM" from, "HH:MM" to) when removals may be
    # sent, in school.timezone (apply/windows.py)
    apply_windows: tuple[tuple[frozenset[int], str, str], ...] = ()
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class Safety:
    max_removal_fraction: float = 0.25
    max_removals: int = 500
    min_course_size: int = 10
    # of every membership the state records, removed by one plan (like Clever's and
    # Canvas's change thresholds); weighed once the state records MIN_TOTAL_SIZE
    max_removal_fraction_total: float = 0.10


MIN_TOTAL_SIZE = 100  # recorded memberships from which the plan-wide fraction applies


@dataclass(frozen=True, slots=True)
class StateRef:
    """Where the state lives: a backend's name and its options (for example
    `local` with `path`, or `postgres` with `dsn_env` and `workspace`). Never
    holds a secret: a DSN is named by the variable that holds it. Options are
    kept sorted by name, so equal places compare equal."""

    backend: str
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, backend: str, **options: str | None) -> StateRef:
        return cls(backend, tuple(sorted((k, v) for k, v in options.items() if v is not None)))

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.options:
            if k == key:
                return v
        return default

    def with_options(self, **options: str | None) -> StateRef:
        return StateRef.of(self.backend, **{**dict(self.options), **options})

    def to_json(self) -> dict[str, object]:
        return {"backend": self.backend, **dict(self.options)}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> StateRef:
        return cls.of(str(data["backend"]),
                      **{k: str(v) for k, v in data.items() if k != "backend" and v is not None})


class LessonMember(NamedTuple):
    """A lesson-only (transfer) student: the name and custom column sent.

    A NamedTuple (immutable, typed) rather than a dataclass: a district's state
    holds tens of thousands of them and a tuple is built four times faster."""

    name: str
    custom: str | None = None


class Team(NamedTuple):
    """One team of a grouping: its leader and the other members (immutable)."""

    leader: int
    members: tuple[int, ...] = ()

    def uids(self) -> tuple[int, ...]:
        return (self.leader, *self.members)


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A named grouping of teams inside a course; `id` adopts an existing one."""

    name: str
    teams: tuple[Team, ...]
    id: int | None = None


@dataclass(frozen=True)
class CourseSpec:
    id: int
    name: str | None
    students: Mapping[int, str | None]  # uid -> label (never sent)
    auditors: Mapping[int, str]  # uid -> name sent as studentName
    lessons: Mapping[int, Mapping[int, LessonMember]]  # classId -> uid -> member
    groups: tuple[GroupSpec, ...] = ()
    max_removal_fraction: float | None = None
    location: Location | None = field(default=None, compare=False)
    auditor_locations: tuple[Location, ...] = field(default=(), compare=False)
    lesson_names: Mapping[int, str] = field(default_factory=dict)  # classId -> label
    # uid changes the reviewers acknowledged (old uid, new uid): not a typo
    uid_changes: frozenset[tuple[int, int]] = frozenset()

    def member_count(self) -> int:
        return (
            len(self.students)
            + len(self.auditors)
            + sum(len(m) for m in self.lessons.values())
        )


class Retire(enum.Enum):
    """What happens to a course listed under `retired_courses` (term end)."""

    REMOVE_MEMBERS = "remove_members"  # remove everyone recorded (the guard is acknowledged)
    FORGET = "forget"  # stop managing it: drop it from the state, no ClassIn call


@dataclass(frozen=True, slots=True)
class Person:
    """One of the school's students (`people:`): the school's own key for them,
    their ClassIn account (a mobile number or an email: personal data, never
    shown whole), the name the school's console shows, and the uid when known."""

    key: str
    account: str
    name: str
    uid: int | None = None
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class PersonRef:
    """A course member named by person (`{person: KEY}`) rather than by uid: as a
    student (label: the person's name), an auditor (name: the entry's, else the
    person's) or a student of one lesson (name and custom likewise)."""

    course: int
    role: Role
    key: str
    name: str | None = None
    lesson: int | None = None
    custom: str | None = None
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Config:
    """A whole configuration (one file or a directory of files)."""

    root: str  # the configuration path as given (file or directory), absolute
    base_dir: str  # directory relative paths resolve against
    files: tuple[str, ...]
    school: SchoolConfig
    state: StateRef
    safety: Safety
    courses: Mapping[int, CourseSpec]
    digest: str  # sha256 over the files' bytes, in order
    retired: Mapping[int, Retire] = field(default_factory=dict)  # retired_courses
    people: Mapping[str, Person] = field(default_factory=dict)  # people:, by key
    person_refs: tuple[PersonRef, ...] = ()  # members named by person, in file order

    def membership_count(self) -> int:
        return sum(c.member_count() for c in self.courses.values())
