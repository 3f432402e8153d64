"""The ClassIn partner API as data: the one description of every action we use.

Each `Endpoint` says, in one place:
  - its action name, what it acts on (`subject`) and what it does (`does`, an
    `Action`, the vocabulary of the plan: a grouping added is created, changed
    is edited, removed is deleted);
  - its parameters, in the order they are sent (each described in
    `params.py`: how it is encoded from a `Call` and decoded back; arrays go
    as JSON strings, the client encodes);
  - its batch limit (which `school.batch` size applies), and for a batch
    endpoint which single-member endpoint carries a batch of one;
  - which errnos mean "already as wanted" for it (drift that converges);
  - how an answer maps back to members: one per-item answer per uid, in the
    order sent, for batch endpoints (the documents do not promise the order;
    where an item echoes what was sent, the echo is checked); the top-level
    errno for the others;
  - whether sending it twice does it twice (`idempotent`).

The planner builds `Call`s from these, the executor sends and records them
(generically, by subject and what it does), `classin.errnos.classify` asks them about
convergence, and the sandbox serves exactly these actions.

Adding an endpoint: describe it here (a new parameter in `params.py`); teach
the planner when to use it (`plan/calls.py`); give the sandbox its behaviour
(`sandbox/engine.py`); add any new errnos to `classin/errnos.py`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import Action, BatchSizes, Team
from ..never import assert_never
from .params import (
    AUDITOR,
    CLASS_ID,
    COURSE_ID,
    GROUP_ID,
    GROUP_LIST,
    GROUP_NAME,
    IDENTITY,
    LESSON_IDENTITY,
    LESSON_MEMBER_JSON,
    MEMBER_JSON,
    STUDENT,
    STUDENT_NAME,
    STUDENT_UID,
    UID_JSON,
    Fields,
    Param,
    json_string,
)

API_PATH = "/partner/api/course.api.php"
MIN_SECRET_LENGTH = 8  # a shorter SECRET cannot be a school's



class Subject(enum.Enum):
    """What a call acts on."""

    MEMBER = "member"  # a course student (identity 1) or auditor (identity 2)
    LESSON_STUDENT = "lesson-student"  # a lesson-only (transfer) student
    GROUP = "group"  # a course grouping


@dataclass(frozen=True, slots=True)
class Call:
    """One ClassIn request, minus credentials. `params()` is what is sent
    (arrays as Python lists; the client encodes them as JSON strings).

    Members are parallel tuples: `uids[i]` with `names[i]` (auditors and lesson
    students) and `customs[i]` (lesson students); item i of a batch answer
    belongs to `uids[i]`. `labels[i]` is a student's label: recorded with the
    student once added, never sent (like `hold`, not part of the request)."""

    action: Endpoint
    course: int
    identity: int | None = None  # course member calls: 1 student, 2 auditor
    lesson: int | None = None  # lesson calls: classId
    uids: tuple[int, ...] = ()
    names: tuple[str | None, ...] = ()
    customs: tuple[str | None, ...] = ()
    group_id: int | None = None
    group_name: str | None = None
    teams: tuple[Team, ...] = ()
    # a plain removal, sent after the course's adds: held back when an add failed
    # for a member reason (the plan's structure, not part of the request)
    hold: bool = field(default=False, compare=False)
    labels: tuple[str | None, ...] = field(default=(), compare=False)

    def params(self) -> dict[str, Any]:
        return self.action.encode(self)

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action.name, "params": self.params()}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Call:
        return endpoint(str(d["action"])).decode(d["params"])

    def address(self, uid: int | None = None) -> str:
        """The address of member `uid` of this call (or of its grouping)."""
        return self.action.address(self, uid)


# -- endpoints -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Endpoint:
    """One ClassIn action. Compared by identity: there is one object per action."""

    name: str
    subject: Subject
    does: Action
    params: tuple[Param, ...]
    # errnos meaning "already as wanted", by identity (None: whatever the identity)
    converged: Mapping[int | None, frozenset[int]] = field(default_factory=dict)
    # batch endpoints: the batch size that applies, given the call's identity
    batch_size: Callable[[BatchSizes, int | None], int] | None = None
    single: Endpoint | None = None  # the endpoint for a batch of one, if any
    # False: sending it twice does it twice (a create): never sent again after an
    # unknown outcome, and its intent is recorded before it is sent
    idempotent: bool = True
    # per-item fields of the answer that echo what was sent, as (answer key, Call
    # attribute): checked before an item is recorded against its member
    echoes: tuple[tuple[str, str], ...] = ()
    # the parameters in JSON key order: each one's key as JSON text, and what
    # writes its value as JSON text (None: left out)
    keyed: tuple[tuple[str, Callable[[Call], str | None]], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ordered = sorted(self.params, key=lambda p: p.name)
        object.__setattr__(self, "keyed", tuple(
            (f"{json_string(p.name)}:", p.text or p.json_text) for p in ordered))

    @property
    def is_batch(self) -> bool:
        """Answers one item per member in `data`, in the order sent."""
        return self.batch_size is not None

    @property
    def adds(self) -> bool:
        return self.does is Action.ADD

    @property
    def creates(self) -> bool:
        """Makes a new object whose id the answer carries (a grouping)."""
        return self.subject is Subject.GROUP and self.does is Action.ADD

    def already(self, code: int, identity: int | None) -> bool:
        """Whether `code` means this call's wish already holds."""
        c = self.converged
        return code in c.get(None, ()) or (identity is not None and code in c.get(identity, ()))

    def json_text(self, call: Call) -> str:
        """`{"action": ..., "params": ...}` of `call` as canonical JSON text."""
        parts = [key + v for key, text in self.keyed if (v := text(call)) is not None]
        return f'{{"action":{json_string(self.name)},"params":{{{",".join(parts)}}}}}'

    def encode(self, call: Call) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p in self.params:
            v = p.encode(call)
            if v is not None:
                out[p.name] = v
        return out

    def decode(self, params: Mapping[str, Any]) -> Call:
        fields: Fields = {}
        for p in self.params:
            p.decode(params, fields)
        return Call(self, **fields)

    def address(self, call: Call, uid: int | None = None) -> str:
        base = f"course/{call.course}"
        match self.subject:
            case Subject.LESSON_STUDENT:
                return f"{base}/lesson/{call.lesson}/student/{uid}"
            case Subject.GROUP:
                return f"{base}/group/{call.group_name or call.group_id}"
            case Subject.MEMBER:
                return f"{base}/{'student' if call.identity == STUDENT else 'auditor'}/{uid}"
            case _:
                assert_never(self.subject)

    def __repr__(self) -> str:
        return f"<Endpoint {self.name}>"


def _member_adds(b: BatchSizes, identity: int | None) -> int:
    return b.students if identity == STUDENT else b.auditors


_ALREADY_MEMBER: Mapping[int | None, frozenset[int]] = {
    STUDENT: frozenset({163}), AUDITOR: frozenset({164}),
}

ADD_COURSE_STUDENT = Endpoint(
    "addCourseStudent", Subject.MEMBER, Action.ADD,
    (COURSE_ID, IDENTITY, STUDENT_UID, STUDENT_NAME), converged=_ALREADY_MEMBER,
)
ADD_COURSE_STUDENT_MULTIPLE = Endpoint(
    "addCourseStudentMultiple", Subject.MEMBER, Action.ADD,
    (COURSE_ID, IDENTITY, MEMBER_JSON), converged=_ALREADY_MEMBER,
    batch_size=_member_adds, single=ADD_COURSE_STUDENT,
)
DEL_COURSE_STUDENT = Endpoint(
    "delCourseStudent", Subject.MEMBER, Action.REMOVE,
    (COURSE_ID, IDENTITY, STUDENT_UID), converged={None: frozenset({162})},
)
DEL_COURSE_STUDENT_MULTIPLE = Endpoint(
    "delCourseStudentMultiple", Subject.MEMBER, Action.REMOVE,
    (COURSE_ID, IDENTITY, UID_JSON), converged={None: frozenset({162})},
    batch_size=lambda b, _: b.removals, single=DEL_COURSE_STUDENT,
)
ADD_CLASS_STUDENT_MULTIPLE = Endpoint(
    "addClassStudentMultiple", Subject.LESSON_STUDENT, Action.ADD,
    (COURSE_ID, CLASS_ID, LESSON_IDENTITY, LESSON_MEMBER_JSON),
    converged={None: frozenset({166})}, batch_size=lambda b, _: b.lesson_students,
    echoes=(("customColumn", "customs"),),
)
DEL_CLASS_STUDENT_MULTIPLE = Endpoint(
    "delClassStudentMultiple", Subject.LESSON_STUDENT, Action.REMOVE,
    (COURSE_ID, CLASS_ID, LESSON_IDENTITY, UID_JSON),
    converged={None: frozenset({167})}, batch_size=lambda b, _: b.lesson_students,
)
ADD_COURSE_GROUP = Endpoint(
    "addCourseGroup", Subject.GROUP, Action.ADD, (COURSE_ID, GROUP_NAME, GROUP_LIST),
    idempotent=False,
)
EDIT_COURSE_GROUP = Endpoint(
    "editCourseGroup", Subject.GROUP, Action.CHANGE,
    (COURSE_ID, GROUP_ID, GROUP_NAME, GROUP_LIST),
)
DEL_COURSE_GROUP = Endpoint(
    "delCourseGroup", Subject.GROUP, Action.REMOVE, (COURSE_ID, GROUP_ID),
    converged={None: frozenset({893})},
)

ENDPOINTS: tuple[Endpoint, ...] = (
    ADD_COURSE_STUDENT, ADD_COURSE_STUDENT_MULTIPLE, DEL_COURSE_STUDENT,
    DEL_COURSE_STUDENT_MULTIPLE, ADD_CLASS_STUDENT_MULTIPLE, DEL_CLASS_STUDENT_MULTIPLE,
    ADD_COURSE_GROUP, EDIT_COURSE_GROUP, DEL_COURSE_GROUP,
)
BY_NAME: Mapping[str, Endpoint] = {e.name: e for e in ENDPOINTS}


def endpoint(name: str) -> Endpoint:
    """The endpoint called `name`; ValueError for an action we do not use."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown ClassIn action {name!r}") from None
