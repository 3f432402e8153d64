"""The operations a user runs, composed from config, state, plan and apply (no printing).

The CLI is a thin layer over these; scripts can call them directly:

    from eeo_reconcile import load_config, open_config_store, plan_config
    config = load_config("rosters/")
    store = open_config_store(config)
    plan = plan_config(config, store)

`apply_config` and `apply_saved_plan` take the lock, read (and recover) the
state, plan or check the saved plan, apply the guard, and run the calls; what
the user sees and answers comes in through callbacks (`on_plan`, `confirm`,
`progress`), and what happened comes back as an `ApplyOutcome`.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING

from .apply import ApplyResult, apply_plan
from .apply.accounts import people_work
from .apply.observe import CallLog, Observer
from .apply.sending import Progress
from .apply.windows import is_open, next_open, without_removals
from .config.load import load_config
from .errors import ApplyRefused, PlanFileError, SafetyError, StateError
from .model import Config, SchoolConfig, StateRef
from .plan.changes import Change
from .plan.diff import make_plan
from .plan.people import account_changes, registrations
from .plan.plan import Plan
from .plan.planfile import (
    PLAN_KEY_ENV,
    SavedPlan,
    check_fresh,
)
from .plan.safety import Allow, check_safety
from .privacy import PLAIN, Redactor
from .roster.importing import ImportReport, import_people, import_roster
from .roster.read import read_rosters
from .signing import school_secret, verify_signature
from .state import backends
from .state.history import course_changes
from .state.model import State
from .state.store import StateStore

API_URL_ENV = "EEO_API_URL"

if TYPE_CHECKING:  # requests is imported only when something is applied
    from .classin.client import ClassInClient



def _overrides(state_path: str | None, dsn: str | None,
               workspace: str | None) -> dict[str, str | None]:
    return {"state_path": state_path, "dsn": dsn, "workspace": workspace}


def state_ref_for(
    base: StateRef | None,
    state_path: str | None = None,
    dsn: str | None = None,
    workspace: str | None = None,
    base_dir: str | None = None,
) -> StateRef:
    """Where the state lives: `base` (a configuration's `state` block) with the
    command line's overrides (--state FILE, --state-dsn, --workspace)."""
    return backends.resolve_ref(base, _overrides(state_path, dsn, workspace), base_dir)


def open_config_store(
    config: Config | None,
    state_path: str | None = None,
    dsn: str | None = None,
    workspace: str | None = None,
    env: Mapping[str, str] | None = None,
) -> StateStore:
    """The store for a configuration, with the command line's overrides."""
    ref = state_ref_for(config.state if config else None, state_path, dsn, workspace)
    store = backends.open_store(ref, env, _overrides(state_path, dsn, workspace))
    store.origin_dir = config.base_dir if config else os.getcwd()  # its commit, in the history
    return store


def open_state_and_config(
    config_path: str | None = None,
    state_path: str | None = None,
    dsn: str | None = None,
    workspace: str | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[StateStore, Config | None]:
    """The store the state commands work on: the configuration's (PATH, default
    the current directory), unless --state FILE or --state-dsn alone name it;
    and the configuration read (None when they do)."""
    config = None
    if config_path is not None or not (state_path or dsn):
        config = load_config(config_path or ".")
    return open_config_store(config, state_path, dsn, workspace, env), config


def plan_config(
    config: Config,
    store: StateStore,
    targets: Sequence[str] = (),
    replace: Sequence[str] = (),
    lock_timeout: float = 0.0,
    allow: Allow = Allow(),
    lock: bool = True,
) -> Plan:
    """Take the lock, read (and recover) the state, plan, release the lock.
    `lock=False` plans against a snapshot read without the lock (a preview while
    an apply runs); a plan saved from it is still checked against the state's
    version when applied."""
    if not lock:
        return _with_ref(make_plan(config, store.snapshot(), targets, replace, allow), store)
    with store.lock("plan", lock_timeout):
        state = store.read()
        plan = make_plan(config, state, targets, replace, allow)
    return _with_ref(plan, store)


def _with_ref(plan: Plan, store: StateStore) -> Plan:
    if plan.state_ref != store.ref:
        plan = dc_replace(plan, state_ref=store.ref)
    return plan


def make_client(
    school: SchoolConfig,
    parallelism: int = 4,
    env: Mapping[str, str] | None = None,
) -> ClassInClient:
    """A client for the school: the secret from `school.secret_env`, the URL from
    EEO_API_URL or `school.api_url`."""
    from .classin.client import ClassInClient

    environ = os.environ if env is None else env
    secret = school_secret(school, environ)
    url = environ.get(API_URL_ENV) or school.api_url
    return ClassInClient(url, school.sid, secret, school.retry, pool_size=parallelism)


def check_guard(plan: Plan, allow: Allow = Allow(), redactor: Redactor = PLAIN) -> None:
    """Refuse a plan the guard stops -- mass removals, likely uid typos -- unless
    the YAML or these flags allow each finding (exit code 3 in the CLI)."""
    refused = plan.safety.refused(allow)
    if refused:
        lines = ["refusing to apply: the plan trips the guard."]
        lines.extend(f"  - {f.message(redactor)}" for f in refused)
        lines.append("Nothing was sent to ClassIn.")
        raise SafetyError("\n".join(lines))


@dataclass
class ApplyOutcome:
    """What `apply_config` / `apply_saved_plan` did: the plan, and the result of
    carrying it out (None when the plan had no changes)."""

    plan: Plan
    result: ApplyResult | None
    store: str  # where the state lives, for people
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result is None or self.result.ok


@dataclass(frozen=True)
class ApplyOptions:
    allow_mass_removal: bool = False
    parallelism: int = 4
    lock_timeout: float = 0.0
    env: Mapping[str, str] | None = None
    stop: threading.Event | None = None  # set it to stop sending new calls
    on_start: Callable[[], None] | None = None  # called just before the first call is sent
    allow_uid_change: bool = False  # apply although removed and added uids share a name
    hold: bool = True  # False: send a course's removals even when one of its adds failed
    on_call: Callable[[CallLog], None] | None = None  # each call's result, as it comes
    member_outcomes: bool = False  # keep each member's outcome in the result (a report)
    # how refusals show names and uids, given the plan (its state's salt keys the hashes)
    redactor_for: Callable[[Plan], Redactor] = lambda _plan: PLAIN
    allow_unsigned: bool = False  # apply a saved plan nobody signed (its writer is trusted)
    ignore_windows: bool = False  # send removals outside school.apply_windows too

    @property
    def allow(self) -> Allow:
        return Allow(self.allow_mass_removal, self.allow_uid_change)


def _run(
    store: StateStore,
    make: Callable[[State], Plan],
    config: Config,
    options: ApplyOptions,
    on_plan: Callable[[Plan], None] | None,
    confirm: Callable[[Plan], bool] | None,
    progress: Progress | None,
) -> ApplyOutcome:
    closed = bool(config.school.apply_windows) and not is_open(
        config.school.apply_windows, config.school.timezone, _dt.datetime.now(_dt.timezone.utc))
    operation = "apply --ignore-windows" if closed and options.ignore_windows else "apply"
    with store.lock(operation, options.lock_timeout):
        state = store.read()
        plan = make(state)
        if on_plan is not None:
            on_plan(plan)
        if plan.empty:
            return ApplyOutcome(plan, None, store.describe())
        check_guard(plan, options.allow, options.redactor_for(plan))
        held = 0
        if closed and not options.ignore_windows:  # teaching hours: no one taken out now
            plan, held = without_removals(plan)
        people = people_work(config, plan, state, options.env)
        client = make_client(config.school, options.parallelism, options.env)
        try:
            if confirm is not None and not confirm(plan):
                raise ApplyRefused("apply cancelled: nothing was sent to ClassIn.")
            if options.on_start is not None:
                options.on_start()
            result = apply_plan(plan, store, state, client, options.parallelism,
                                progress=progress, stop=options.stop, hold=options.hold,
                                observer=Observer(options.on_call, options.member_outcomes),
                                people=people)
        finally:
            client.close()
    if held:
        when = next_open(config.school.apply_windows, config.school.timezone,
                         _dt.datetime.now(_dt.timezone.utc))
        result.warnings.append(
            f"{held} removal(s) held: outside school.apply_windows (the next window opens "
            f"{when:%a %Y-%m-%d %H:%M %Z}); run apply then, or --ignore-windows"
            if when else f"{held} removal(s) held: outside school.apply_windows")
    elif closed:
        result.warnings.append("removals sent outside school.apply_windows (--ignore-windows)")
    return ApplyOutcome(plan, result, store.describe())


def apply_config(
    config: Config,
    store: StateStore,
    targets: Sequence[str] = (),
    replace: Sequence[str] = (),
    options: ApplyOptions | None = None,
    on_plan: Callable[[Plan], None] | None = None,
    confirm: Callable[[Plan], bool] | None = None,
    progress: Progress | None = None,
) -> ApplyOutcome:
    """Plan under the lock, show it (`on_plan`), refuse what trips the guard, ask
    (`confirm`, None: approved), and apply. The store is not closed."""
    options = options or ApplyOptions()
    allow = options.allow
    return _run(store, lambda st: make_plan(config, st, targets, replace, allow),
                config, options, on_plan, confirm, progress)


def apply_saved_plan(
    saved: SavedPlan,
    config: Config,
    store: StateStore,
    options: ApplyOptions | None = None,
    on_plan: Callable[[Plan], None] | None = None,
    progress: Progress | None = None,
) -> ApplyOutcome:
    """Apply a saved plan exactly as it was made. The school's settings and where
    the state lives come from `config` (never from the file); a signed plan must
    carry this school's signature; under the lock, the state must be the version
    the plan was made against."""
    options = options or ApplyOptions()
    plan = saved.plan
    if plan.sid != config.school.sid:
        raise PlanFileError(f"the saved plan is for school {plan.sid}, but the configuration "
                            f"is for school {config.school.sid}")
    verify_signature(saved, config.school, options.env, options.allow_unsigned)

    def fresh(state: State) -> Plan:
        check_fresh(plan, state)
        # the guard is worked out again from the plan's changes against the state it
        # applies to, never read from the file (which someone could have rewritten)
        per_course: dict[int, list[Change]] = {}
        for c in plan.changes:
            per_course.setdefault(c.course, []).append(c)
        return dc_replace(plan, safety=check_safety(per_course, config, state,
                                                     options.allow,
                                                     registrations(plan.accounts),
                                                     [(a.key, a.old_uid) for a in
                                                      account_changes(plan.accounts)
                                                      if a.old_uid is not None]))

    outcome = _run(store, fresh, config, options, on_plan, None, progress)
    if not saved.signed:
        outcome.warnings.append(
            f"the saved plan is not signed (--allow-unsigned): set ${PLAN_KEY_ENV} in the "
            "job that runs plan --out and in this one"
        )
    return outcome


# -- import ---------------------------------------------------------------------------


def import_rosters(
    paths: Sequence[str],
    store: StateStore,
    config: Config | None = None,
    merge: bool = False,
    only: Sequence[int] = (),
    dry_run: bool = False,
    encoding: str | None = None,
    sheet: str | None = None,
    lock_timeout: float = 0.0,
) -> ImportReport:
    """Record what roster files say is in ClassIn, under the lock, without any
    ClassIn call (see `roster.importing`). The serial moves by one when anything
    changed; nothing is written on a dry run or when the state already matches."""
    roster = read_rosters(paths, encoding, sheet)
    missing = sorted(set(only) - roster.courses.keys())
    if missing:
        raise StateError("--course " + ", ".join(map(str, missing)) + " is not in the files: "
                         "nothing was imported")
    with store.lock("import", lock_timeout):  # a member is a few objects
        state = store.read()
        sid = config.school.sid if config is not None else None
        if sid is not None and state.sid is not None and state.sid != sid:
            raise StateError(f"the state belongs to school {state.sid}, but the configuration "
                             f"is for school {sid}: point --state at the right file")
        serial = state.serial
        touched = [cid for cid in roster.courses if not only or cid in only]
        before = {cid: state.courses[cid].copy() for cid in touched if cid in state.courses}
        courses = import_roster(state, roster, merge, only)  # ours: read for this import
        people = import_people(state, roster.people)
        report = ImportReport(courses, merge, dry_run, roster.rows, list(roster.files),
                              roster.ignored_columns, serial, serial, roster.encodings,
                              len(people), roster.people_without_key)
        if report.changed and not dry_run:
            if state.sid is None:
                state.sid = sid
            after = state.courses

            changes = [c for cid in sorted(touched)
                       for c in course_changes(cid, before.get(cid), after.get(cid))]
            changes.extend(people)
            report.serial_after = store.write(state, changes).serial
    return report
