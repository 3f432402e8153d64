"""Apply's first step: register the people whose uid is not recorded, set console
names, and give the members named by those people their uids.

`registerMultiple` takes 10 users a call, each with `addToSchoolMember=1`: a
new account is registered and becomes a student of the school; an existing
one answers 135/461 with its uid and becomes a school student all the same.
Each uid an answer gives is journaled (a `p=` op) before anything uses it; an
account that existed gets one `editSchoolStudent` so that the school's
console shows the configured name. A person whose registration failed fails
alone (their course adds are not sent); a lost answer, or 101003002 (the
same request within 5 s), leaves the person unregistered here, and the next
apply registers them again (idempotent: one account, one uid). The accounts
come from the configuration (the plan holds them masked); the passwords of
new accounts are random per account unless `school.accounts.password_env`
names one, and are never kept, logged or shown.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..classin.accounts import (
    EDIT_SCHOOL_STUDENT,
    EXISTED,
    REGISTER_BATCH,
    REGISTER_MULTIPLE,
    SAME_REQUEST,
    SCHOOL_STUDENT,
    Account,
    account_digest,
    parse_account,
)
from ..classin.answers import TransportError, errno_of
from ..classin.errnos import ERRNOS
from ..errors import ApiError, PlanFileError
from ..ids import as_id
from ..model import Action, Config, SchoolConfig
from ..never import assert_never
from ..plan.plan import Plan
from ..state.model import State
from ..state.ops import person_op
from ..state.records import PersonRecord
from .observe import CallLog
from .result import Failure
from .sending import Sender


@dataclass(frozen=True, slots=True)
class Registration:
    """A person to register: the key, the account (from the configuration), the
    console name, and the uid the configuration gives, if any."""

    key: str
    account: Account
    name: str
    uid: int | None = None


@dataclass(frozen=True, slots=True)
class Rename:
    key: str
    uid: int
    name: str
    account: str  # the recorded digest, kept


def register_people(run: Sender, todo: Sequence[Registration], renames: Sequence[Rename],
                    key: bytes, password: str | None, parallelism: int) -> dict[str, int]:
    """Register `todo` and set the `renames`; the uids learned, by key (also
    journaled). `key` keys the account digests; `password` (None: random per
    account) is sent as md5pass."""
    learned: dict[str, int] = {}
    existed: list[Rename] = []
    batches = [todo[i:i + REGISTER_BATCH] for i in range(0, len(todo), REGISTER_BATCH)]
    with ThreadPoolExecutor(max_workers=max(1, parallelism),
                            thread_name_prefix="register") as pool:
        for found, again in pool.map(lambda b: _batch(run, b, key, password), batches):
            learned.update(found)
            existed.extend(again)
        list(pool.map(lambda r: _rename(run, r), [*existed, *renames]))
    return learned


def _batch(run: Sender, batch: Sequence[Registration], key: bytes, password: str | None
           ) -> tuple[dict[str, int], list[Rename]]:
    users = [_user(r, password) for r in batch]
    found: dict[str, int] = {}
    existed: list[Rename] = []
    if run.stop.is_set():
        return found, existed
    t0 = time.perf_counter()
    try:
        res = run.client.call(REGISTER_MULTIPLE, {"userJson": users})
    except TransportError as exc:
        _log(run, REGISTER_MULTIPLE, len(batch), None, exc.attempts, t0)
        with run.lock:
            run.result.requests += exc.attempts
        for r in batch:
            _fail(run, r.key, None, "no answer: whether the account was registered is "
                                    "unknown; the next apply registers it again (one account, "
                                    "one uid)")
        return found, existed
    _log(run, REGISTER_MULTIPLE, len(batch), res.errno, res.attempts, t0)
    with run.lock:
        run.result.requests += res.attempts
        run.result.accounts_calls += 1
    if res.errno != 1 or not isinstance(res.data, list) or len(res.data) != len(batch):
        why = ERRNOS[res.errno].text if res.errno in ERRNOS else f"errno {res.errno}"
        if res.errno in (100, 102, 400, 450, 155):
            raise ApiError(f"ClassIn refused registerMultiple: {why} (errno {res.errno})")
        for r in batch:
            _fail(run, r.key, res.errno, _later(res.errno, why))
        return found, existed
    ops = []
    for r, item in zip(batch, res.data, strict=True):
        code = errno_of(item.get("errno")) if isinstance(item, dict) else -1
        uid = as_id(item.get("data")) if isinstance(item, dict) else None
        if (code == 1 or code in EXISTED) and uid is not None:
            if r.uid is not None and r.uid != uid:
                _fail(run, r.key, code, f"the account belongs to uid {uid}, not the uid "
                                        f"{r.uid} the configuration gives: check both")
                continue
            found[r.key] = uid
            record = PersonRecord(uid, r.name, account_digest(key, r.account))
            ops.append(person_op(r.key, record))
            if code in EXISTED:
                existed.append(Rename(r.key, uid, r.name, record.account))
            continue
        why = ERRNOS[code].text if code in ERRNOS else f"errno {code}"
        _fail(run, r.key, code, _later(code, why))
    if ops:
        run.record(ops)  # durable before any course call uses these uids
        with run.lock:
            run.result.registered += len(ops) - len(existed)
            run.result.accounts_existed += len(existed)
    return found, existed


def _later(code: int | None, why: str) -> str:
    if code == SAME_REQUEST:
        return why + " It may have been registered: the next apply registers it again."
    return why


def _user(r: Registration, password: str | None) -> dict[str, Any]:
    pw = password if password is not None else secrets.token_urlsafe(12)[:16]
    return {r.account.kind.value: r.account.value, "nickname": r.name[:24],
            "md5pass": hashlib.md5(pw.encode()).hexdigest(),  # noqa: S324 - ClassIn's format
            "addToSchoolMember": SCHOOL_STUDENT}


def _rename(run: Sender, r: Rename) -> None:
    if run.stop.is_set():
        return
    t0 = time.perf_counter()
    try:
        res = run.client.call(EDIT_SCHOOL_STUDENT, {"studentUid": r.uid, "studentName": r.name})
    except TransportError as exc:
        _log(run, EDIT_SCHOOL_STUDENT, 1, None, exc.attempts, t0)
        with run.lock:
            run.result.requests += exc.attempts
        _fail(run, r.key, None, "no answer to editSchoolStudent: the next apply sets the "
                                "console name again")
        return
    _log(run, EDIT_SCHOOL_STUDENT, 1, res.errno, res.attempts, t0)
    with run.lock:
        run.result.requests += res.attempts
        run.result.accounts_calls += 1
    if res.errno != 1:
        why = ERRNOS[res.errno].text if res.errno in ERRNOS else f"errno {res.errno}"
        _fail(run, r.key, res.errno, f"the console name was not set: {why}")
        return
    run.record([person_op(r.key, PersonRecord(r.uid, r.name, r.account))])
    with run.lock:
        run.result.renamed += 1


def _log(run: Sender, action: str, items: int, errno: int | None, attempts: int,
         t0: float) -> None:
    """The call in the apply's log and timings (school-wide: course 0)."""
    outcome = "no-answer" if errno is None else "ok" if errno == 1 else "failed"
    run.observer.call(CallLog(action, 0, None, items, errno, attempts,
                              (time.perf_counter() - t0) * 1000, outcome))


def _fail(run: Sender, key: str, errno: int | None, meaning: str) -> None:
    with run.lock:
        run.result.failures.append(Failure(f"person/{key}", "register", errno, meaning))


@dataclass(frozen=True)
class PeopleWork:
    """The registrations and console names of a plan, with the accounts (from the
    configuration), the uids already known by key, and the initial password
    (None: random per account)."""

    todo: Sequence[Registration] = ()
    renames: Sequence[Rename] = ()
    known: Mapping[str, int] = field(default_factory=dict)
    password: str | None = None



def people_work(config: Config, plan: Plan, state: State,
                env: Mapping[str, str] | None = None) -> PeopleWork | None:
    """The accounts the plan's registrations need, from the configuration (the
    plan holds them masked), and the initial password its policy names."""
    if not plan.accounts and not plan.pending:
        return None
    todo: list[Registration] = []
    renames: list[Rename] = []
    for a in plan.accounts:
        p = config.people.get(a.key)
        if p is None:
            raise PlanFileError(f"the plan registers person {a.key!r}, whom the configuration "
                                "no longer has: run plan again")
        match a.action:
            case Action.ADD:
                account, _ = parse_account(p.account)
                assert account is not None  # the configuration checked it
                todo.append(Registration(a.key, account, p.name, p.uid))
            case Action.CHANGE:
                rec = state.people.get(a.key)
                if rec is not None:
                    renames.append(Rename(a.key, rec.uid, p.name, rec.account))
            case Action.REMOVE:
                raise PlanFileError("no endpoint removes a student from the school")
            case other:
                assert_never(other)
    known = {k: p.uid for k, p in config.people.items() if p.uid is not None}
    known.update({k: r.uid for k, r in state.people.items()})
    for a in plan.accounts:  # an account changed: the recorded uid is the old account's
        if a.old_uid is not None and known.get(a.key) == a.old_uid:
            del known[a.key]
    return PeopleWork(todo, renames, known, _initial_password(config.school, env))


def _initial_password(school: SchoolConfig, env: Mapping[str, str] | None) -> str | None:
    name = school.accounts.password_env
    if name is None:
        return None
    value: str | None = (os.environ if env is None else env).get(name)
    if not value or not 6 <= len(value) <= 20:
        raise ApiError(f"school.accounts.password_env names {name}, which is not set to a "
                       "password of 6 to 20 characters here: set it, or remove password_env "
                       "(each new account then gets a random one)")
    return value



__all__ = ["PeopleWork", "Registration", "Rename", "people_work",
           "register_people"]
