"""High-level operations composed from config, state and plan (no printing).

The CLI is a thin layer over these; scripts can call them directly:

    from eeo_reconcile import load_config, open_config_store, plan_config
    config = load_config("rosters/")
    store = open_config_store(config)
    plan = plan_config(config, store)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace as dc_replace
from typing import TYPE_CHECKING

from .errors import ApiError, SafetyError, StateError
from .model import Config, SchoolConfig, StateRef
from .plan.diff import make_plan
from .plan.model import Plan
from .state.model import State
from .state.store import StateStore, open_store

API_URL_ENV = "EEO_API_URL"

if TYPE_CHECKING:  # requests is imported only when something is applied
    from .classin.client import ClassInClient


def state_ref_for(
    base: StateRef | None,
    state_path: str | None = None,
    dsn: str | None = None,
    workspace: str | None = None,
) -> StateRef:
    """Where the state lives: `base` (a config's `state` block, or a saved plan's
    state) with the command line's overrides. --state FILE picks a local file;
    --state-dsn or --workspace pick the postgres backend."""
    if state_path:
        if dsn or workspace:
            raise StateError("give either --state FILE (local) or --state-dsn/--workspace "
                             "(postgres), not both")
        return StateRef(backend="local", path=os.path.abspath(state_path))
    ref = base if base is not None else StateRef(
        backend="local", path=os.path.abspath("eeo.state.json")
    )
    if (dsn or workspace) and ref.backend != "postgres":
        ref = StateRef(backend="postgres")
    if workspace:
        ref = dc_replace(ref, workspace=workspace)
    return ref


def open_config_store(
    config: Config | None,
    state_path: str | None = None,
    dsn: str | None = None,
    workspace: str | None = None,
    env: Mapping[str, str] | None = None,
) -> StateStore:
    """The store for a configuration, with the command line's overrides."""
    ref = state_ref_for(config.state if config else None, state_path, dsn, workspace)
    return open_store(ref, env=env, dsn=dsn)


def plan_config(
    config: Config,
    store: StateStore,
    targets: Sequence[str] = (),
    replace: Sequence[str] = (),
    lock_timeout: float = 0.0,
) -> Plan:
    """Take the lock, read (and recover) the state, plan, release the lock."""
    with store.lock("plan", lock_timeout):
        state = store.read()
        plan = make_plan(config, state, targets=targets, replace=replace)
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
    secret = environ.get(school.secret_env)
    if not secret:
        raise ApiError(
            f"the ClassIn secret is not set: put the school's SECRET in the environment "
            f"variable {school.secret_env} (named by school.secret_env); it is never read "
            "from a file"
        )
    url = environ.get(API_URL_ENV) or school.api_url
    return ClassInClient(url, school.sid, secret, school.retry, pool_size=parallelism)


def check_guard(plan: Plan, allow_mass_removal: bool = False) -> None:
    """Refuse a plan that trips the mass-removal guard (exit code 3 in the CLI)."""
    if plan.safety.tripped and not allow_mass_removal:
        lines = ["refusing to apply: the plan trips the mass-removal guard."]
        lines.extend(f"  - {f.message()}" for f in plan.safety.findings)
        lines.append("Nothing was sent to ClassIn.")
        raise SafetyError("\n".join(lines))


def migrate_state(source: StateStore, target: StateStore, force: bool = False,
                  lock_timeout: float = 0.0) -> State:
    """Move a state to another backend: same lineage, serial + 1. Both are locked;
    a target that already holds a state is refused unless `force`."""
    with source.lock("state migrate", lock_timeout), target.lock("state migrate", lock_timeout):
        st = source.read()
        if st.lineage is None:
            raise StateError(f"{source.describe()} holds no state to migrate")
        current = target.read()
        if current.lineage is not None and not force:
            raise StateError(
                f"{target.describe()} already holds a state (lineage {current.lineage}, serial "
                f"{current.serial}): refusing to overwrite it without --force"
            )
        new = st.copy()
        new.serial = max(st.serial, current.serial) + 1
        return target.store_exact(new)
