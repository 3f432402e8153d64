"""The plan as canonical JSON, fast: what `plan --format json` prints.

Canonical: keys sorted at every level, no spaces (the form a saved plan's
checksum and signature cover; `canonical` writes any value so). The
document is the one `Plan.to_json` describes (a test checks that they parse
to equal values on every plan case); it is written here without building it
first: the course members and lesson students that make up almost all of a
plan are formatted straight into text (their names escaped by json's C escaper), the rest goes
through json's C encoder. (`bench/RESULTS.md` has what building the
document first and encoding it with `indent=` cost.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..model import Role
from ..privacy import PLAIN, Redactor
from .changes import Action, Change, LessonChange, MemberChange
from .plan import Plan
from .redact import redact_change, redact_params, redact_plan_json

_enc = json.encoder.encode_basestring  # the C escaper, as json.dumps(..., ensure_ascii=False)
_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def canonical(obj: Any) -> str:
    """Any JSON value in the canonical form (sorted keys, no spaces)."""
    return _dumps(obj)


_ADD, _REMOVE = Action.ADD, Action.REMOVE
_FIRST = ',"first":true'  # sorts between "course"/"custom" and "lesson"/"name"
_STUDENT = Role.STUDENT


def _action(a: Action) -> str:
    return "add" if a is _ADD else "remove" if a is _REMOVE else "change"


def _uid(uid: int, r: Redactor) -> tuple[str, str]:
    """The uid as shown in an address and as a JSON value."""
    if r.uids:
        shown = r.uid(uid)
        return shown, _enc(shown)
    return str(uid), str(uid)


def _tail(c: MemberChange | LessonChange, r: Redactor) -> str:
    out = ',"name":' + _enc(r.mask(c.name)) if c.name is not None else ""
    if c.reason is not None:
        out += f',"reason":"{c.reason.value}"'
    return out


def _member(c: MemberChange, r: Redactor) -> str:
    kind = "student" if c.role is _STUDENT else "auditor"
    shown, uid = _uid(c.uid, r)
    out = (f'{{"action":"{_action(c.action)}","address":"course/{c.course}/{kind}/{shown}",'
           f'"course":{c.course}{_FIRST if c.first else ""}')
    return f'{out}{_tail(c, r)},"type":"{kind}","uid":{uid}}}'


def _lesson(c: LessonChange, r: Redactor) -> str:
    shown, uid = _uid(c.uid, r)
    out = (f'{{"action":"{_action(c.action)}","address":"course/{c.course}/lesson/'
           f'{c.lesson}/student/{shown}","course":{c.course}')
    if c.custom is not None:
        out += ',"custom":' + _enc(r.mask(c.custom))
    if c.first:
        out += _FIRST
    out += f',"lesson":{c.lesson}'
    return f'{out}{_tail(c, r)},"type":"lesson-student","uid":{uid}}}'


def _change(c: Change, r: Redactor) -> str:
    t = type(c)
    if t is MemberChange:
        return _member(c, r)  # type: ignore[arg-type]
    if t is LessonChange:
        return _lesson(c, r)  # type: ignore[arg-type]
    d = c.to_json()  # groupings and courses: few
    if r.active:
        redact_change(d, r)
    return canonical(d)


def _changes(changes: tuple[Change, ...], r: Redactor) -> str:
    """The changes array's items, joined. Unredacted course members -- nearly all
    of a plan -- take a short path: the text they share with the member before
    (course, action, identity) is made once per run of them."""
    if r.active:
        return ",".join([_change(c, r) for c in changes])
    out: list[str] = []
    append = out.append
    course: int | None = None
    action: Action | None = None
    role: Role | None = None
    head = mid = tail = midtail = ""
    for c in changes:
        if type(c) is not MemberChange:
            append(_change(c, r))
            continue
        m: MemberChange = c
        if m.course != course or m.action is not action or m.role is not role:
            course, action, role = m.course, m.action, m.role
            kind = "student" if role is _STUDENT else "auditor"
            head = f'{{"action":"{_action(action)}","address":"course/{course}/{kind}/'
            mid = f'","course":{course}'
            tail = f',"type":"{kind}","uid":'
            midtail = mid + tail
        u = str(m.uid)
        if m.name is None and m.reason is None and not m.first:
            append(f"{head}{u}{midtail}{u}}}")  # one string built, not five
            continue
        append(f"{head}{u}{mid}{_FIRST if m.first else ''}{_tail(m, r)}{tail}{u}}}")
    return ",".join(out)


def _chunks(plan: Plan, r: Redactor) -> Iterator[str]:
    doc = plan.to_json(changes=False, calls=False)
    if r.active:
        doc = redact_plan_json(doc, r)
        calls = [c.to_json() for c in plan.calls]
        for call in calls:
            call["params"] = redact_params(call["params"], r)
        calls_text = canonical(calls)
    else:
        calls_text = "[" + ",".join([c.action.json_text(c) for c in plan.calls]) + "]"
    keys = sorted([*doc, "changes", "calls"])
    yield "{"
    for i, key in enumerate(keys):
        yield ("," if i else "") + _enc(key) + ":"
        if key == "changes":
            yield "["
            changes = plan.changes
            for at in range(0, len(changes), _CHANGES_A_PIECE):  # pieces: bounded memory
                yield ("," if at else "") + _changes(changes[at:at + _CHANGES_A_PIECE], r)
            yield "]"
        elif key == "calls":
            yield calls_text
        else:
            yield canonical(doc[key])
    yield "}"


_CHANGES_A_PIECE = 20_000


def plan_json(plan: Plan, r: Redactor = PLAIN) -> str:
    """The plan document in canonical JSON (redacted when `r` says so)."""
    return "".join(_chunks(plan, r))


def plan_json_pieces(plan: Plan, r: Redactor = PLAIN) -> Iterator[str]:
    """`plan_json` in consecutive pieces, to be written as they come: a large
    plan's document is never one string (nor one encoded copy of it)."""
    return _chunks(plan, r)
