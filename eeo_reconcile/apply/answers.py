"""What one ClassIn answer means: a pure function from a call and its answer to
what to record and report. No threads, no journal, no tallies: `sending.Sender`
applies a `Reading` to the run.

How answers are read (see `classin.errnos.classify`):
  success / warning / already-converged    -> recorded as done
  per-member failure                       -> reported; the other members go on
  course failure (144, 147, 149, 153, 369) -> the rest of that course is skipped
  lesson failure (142, 143, 145, 212, 466) -> the rest of that lesson is skipped
  run failure (102 auth/clock; 100, 400 ... a bug) -> stop everything
  (no answer to a call sent: the rest of that course; `sending.Sender` stops the
  run only after calls in a row that could not connect at all)

Batch answers are matched to members by position: the documents do not
promise the order, so where an item echoes what was sent (a lesson student's
customColumn) the echo must match, and the number of items must be the
number sent; where nothing is echoed, position and count are all there is.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from ..classin.answers import ApiResult
from ..classin.api import Call, Subject
from ..classin.errnos import ErrClass, classify, meaning
from ..ids import as_id
from ..model import Action, Team
from ..never import assert_never
from ..state.ops import StateOp
from ..state.records import CourseRecord, Unconfirmed
from .record import forget_group, group_not_created, group_unconfirmed, member_op, set_group
from .result import Failure

ECHO_MISMATCH = -2  # an answer's items do not echo what was sent, in order
NO_ANSWER = -3  # a call sent without an answer (lost, or its retries ran out)
UNREACHABLE = -4  # a call that could not reach ClassIn at all
DONE = (ErrClass.SUCCESS, ErrClass.WARNING, ErrClass.CONVERGED)


@dataclass
class Reading:
    """What an answer (or the lack of one) means for the run."""

    ops: list[StateOp] = field(default_factory=list)  # to record, durably, first
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    added: int = 0
    removed: int = 0
    already: int = 0
    groups_created: int = 0
    groups_changed: int = 0
    groups_deleted: int = 0
    halt: str | None = None  # stop the whole run, saying why
    skip: tuple[str, int] | None = None  # ("course"|"lesson", errno): skip the rest of it
    deferred: list[int] = field(default_factory=list)  # positions answered an errno to retry
    member_failures: int = 0  # members an add could not add (228, 886, 129, ...)
    codes: list[int] = field(default_factory=list)  # the members' errnos
    # per member, when asked for: (address, action, errno, outcome)
    notes: list[tuple[str, str, int | None, str]] = field(default_factory=list)


def read_answer(call: Call, res: ApiResult, course: CourseRecord | None,
                defer: Collection[int] = (), notes: bool = False,
                secret_env: str = "EEO_SECRET", sid: int | None = None) -> Reading:
    """What `res`, ClassIn's answer to `call`, confirms and reports. `course`:
    the course as recorded (a grouping answer may depend on it); members
    answered an errno in `defer` are left out of the failures (the caller
    retries them); `notes`: keep an outcome per member."""
    ep = call.action
    creates = ep.creates
    top = classify(res.errno, ep, call.identity)
    out = Reading()
    if creates and top in (ErrClass.FATAL_RUN, ErrClass.FATAL_COURSE, ErrClass.FATAL_LESSON):
        out.ops.append(group_not_created(call))
    match top:
        case ErrClass.FATAL_RUN:
            fail_all(out, call, res.errno, notes=notes)
            if res.errno == 102:
                out.halt = (
                    f"ClassIn refused the credentials (errno {meaning(res.errno)}): check the "
                    f"SID ({sid}), the secret in ${secret_env}, and this machine's clock "
                    "(ClassIn allows 20 minutes of difference)")
            else:
                out.halt = (
                    f"ClassIn rejected a request as malformed (errno {meaning(res.errno)}): "
                    f"{ep.name} for course {call.course}. This is a bug in eeo-reconcile; "
                    "please report it.")
            return out
        case ErrClass.FATAL_COURSE | ErrClass.FATAL_LESSON:
            fail_all(out, call, res.errno, notes=notes)
            out.skip = ("course" if top is ErrClass.FATAL_COURSE else "lesson", res.errno)
            return out
        case (ErrClass.SUCCESS | ErrClass.WARNING | ErrClass.CONVERGED | ErrClass.MEMBER
              | ErrClass.TRANSIENT):
            pass
        case _:
            assert_never(top)
    match ep.subject:
        case Subject.GROUP:
            _group(out, call, res, top, course)
            return out
        case Subject.MEMBER | Subject.LESSON_STUDENT:
            pass
        case _:
            assert_never(ep.subject)
    if ep.is_batch:
        if top is not ErrClass.SUCCESS:  # the request itself failed (e.g. transient)
            fail_all(out, call, res.errno, notes=notes)
            return out
        codes = res.codes()
        if len(codes) != len(call.uids):
            out.halt = (f"ClassIn answered {len(codes)} items to {ep.name} with "
                        f"{len(call.uids)} members; nothing of it was recorded. Run plan and "
                        "apply again.")
            return out
        if _echo_mismatch(call, res):
            fail_all(out, call, None, why(ECHO_MISMATCH), notes=notes)
            out.skip = ("course", ECHO_MISMATCH)
            return out
    else:
        codes = [res.errno]
    _members(out, call, codes, defer, notes)
    out.codes = codes
    return out


def _members(out: Reading, call: Call, codes: list[int], defer: Collection[int],
             notes: bool) -> None:
    action = call.action.name
    adds = call.action.adds
    done: list[int] = []
    already = 0
    each = codes  # the codes to look at one by one
    if not notes and codes.count(1) == len(codes) \
            and classify(1, call.action, call.identity) is ErrClass.SUCCESS:
        done = list(range(len(codes)))  # all done: the usual answer, classified once
        each = []
    failures = 0
    for i, code in enumerate(each):
        cls = classify(code, call.action, call.identity)
        if cls in DONE:
            done.append(i)
            if cls is ErrClass.CONVERGED:
                already += 1
            if cls is ErrClass.WARNING:
                out.warnings.append(f"{call.address(call.uids[i])}: {meaning(code)}")
            what = "already" if cls is ErrClass.CONVERGED else (
                "warning" if cls is ErrClass.WARNING else "done")
        elif code in defer:
            out.deferred.append(i)
            what = "retry"
        else:
            out.failures.append(Failure(call.address(call.uids[i]), action, code,
                                        meaning(code)))
            failures += 1
            what = "failed"
        if notes:
            out.notes.append((call.address(call.uids[i]), action, code, what))
    if adds:
        out.member_failures = failures
    op = member_op(call, done)
    if op is not None:
        out.ops.append(op)
    n = len(done) - already
    if adds:
        out.added += n
    else:
        out.removed += n
    out.already += already


def _group(out: Reading, call: Call, res: ApiResult, cls: ErrClass,
           course: CourseRecord | None) -> None:
    """What a grouping call confirmed (by what the endpoint does)."""
    action = call.action.name
    does = call.action.does
    addr = call.address()
    note: Failure | None = None
    ok = cls in (ErrClass.SUCCESS, ErrClass.WARNING)
    match does:
        case Action.ADD:  # a create
            gid = as_id(res.data)
            if ok and gid is not None:
                # 898: saved without the uids it refused
                teams = _kept_teams(call, course) if cls is ErrClass.WARNING else None
                out.ops.append(set_group(call, gid, teams))
            elif ok:  # created, but its id did not come back: it stays unconfirmed
                note = Failure(addr, action, res.errno,
                               f"{meaning(res.errno)} but no group id came back: recorded "
                               "as probably created, id unknown (plan says what to do)")
            elif res.errno == 892:
                out.ops.append(group_unconfirmed(call, Unconfirmed.ALREADY_CREATED))
                note = Failure(addr, action, 892, meaning(892) + " Recorded as probably "
                               "created, id unknown; it is not sent again (plan says what "
                               "to do).")
            elif cls is ErrClass.TRANSIENT:  # not sent again: its outcome is unknown
                note = Failure(addr, action, res.errno, meaning(res.errno) + " Whether the "
                               "grouping was created is unknown: recorded as probably "
                               "created (plan says what to do).")
            else:
                out.ops.append(group_not_created(call))
                note = Failure(addr, action, res.errno, meaning(res.errno))
        case Action.CHANGE:  # an edit
            assert call.group_id is not None
            if ok:
                out.ops.append(set_group(call, call.group_id))
            elif res.errno == 893:
                # the grouping is gone from ClassIn: forget it, so the next plan
                # recreates it
                out.ops.append(forget_group(call))
                pending = course.unconfirmed.get(call.group_name or "") if course else None
                if pending is not None and pending.id == call.group_id:
                    # an id the operator gave that ClassIn does not know: the grouping
                    # itself may still exist, so the finding stays (without that id)
                    out.ops.append(group_unconfirmed(call, pending.reason, pending.teams))
                note = Failure(addr, action, 893, meaning(893) + " It was forgotten; if "
                               "it was adopted by id, check the id, else apply again to "
                               "create it.")
            else:
                note = Failure(addr, action, res.errno, meaning(res.errno))
        case Action.REMOVE:  # a delete
            if cls in DONE:
                out.ops.append(forget_group(call))
            else:
                note = Failure(addr, action, res.errno, meaning(res.errno))
        case _:
            assert_never(does)
    if note is not None:
        out.failures.append(note)
    if cls is ErrClass.WARNING:
        out.warnings.append(f"{addr}: {meaning(res.errno)}")
    if out.ops and note is None:
        match does:
            case Action.ADD:
                out.groups_created += 1
            case Action.CHANGE:
                out.groups_changed += 1
            case Action.REMOVE if cls is ErrClass.CONVERGED:
                out.already += 1
            case Action.REMOVE:
                out.groups_deleted += 1
            case _:
                assert_never(does)


def _kept_teams(call: Call, course: CourseRecord | None) -> tuple[Team, ...]:
    """What ClassIn kept of a grouping it answered 898 to: it leaves out the
    uids that are not students of the course, so record only the members
    this state knows as students (an add that failed earlier, say). The next
    plan then sees the difference and edits the grouping once they are in."""
    students = course.students if course is not None else set()
    return tuple(
        Team(t.leader, tuple(u for u in t.members if u in students)) for t in call.teams
    )


def fail_all(out: Reading, call: Call, errno: int | None, text: str | None = None,
             notes: bool = False) -> None:
    """The whole call failed: one failure, for all its members (a course-level
    errno is reported once, with the number of members it affected)."""
    if len(call.uids) == 1:
        addr = call.address(call.uids[0])
    elif call.action.subject is Subject.GROUP:
        addr = call.address()
    elif call.lesson is not None:
        addr = f"course/{call.course}/lesson/{call.lesson}"
    else:
        addr = f"course/{call.course}"
    out.failures.append(Failure(addr, call.action.name, errno, text or meaning(errno or 0),
                                members=max(1, len(call.uids))))
    if notes:
        for uid in call.uids or (None,):
            out.notes.append((call.address(uid), call.action.name, errno, "failed"))


def why(code: int) -> str:
    if code == NO_ANSWER:
        return ("no answer from ClassIn (whether that call took effect is unknown; the "
                "next plan shows what is left)")
    if code == UNREACHABLE:
        return "ClassIn could not be reached for that call"
    if code == ECHO_MISMATCH:
        return ("an answer whose items do not echo what was sent, in order: they cannot be "
                "matched to members, so nothing of it was recorded")
    return meaning(code)


def _echo_mismatch(call: Call, res: ApiResult) -> bool:
    """Whether an item's echo of what was sent (a lesson student's customColumn)
    does not match the member at its position: then the answer cannot be matched
    to members, and nothing of it is recorded."""
    for key, attr in call.action.echoes:
        sent = getattr(call, attr)
        for i, got in enumerate(res.echoed(key)):
            want = sent[i] if i < len(sent) else None
            if want is not None and got != want:
                return True
    return False
