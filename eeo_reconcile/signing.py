"""Which key signs a saved plan here, and whether apply takes a saved plan's
signature (see plan/planfile.py and the README, "Saved plans")."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .classin.api import MIN_SECRET_LENGTH
from .errors import ApiError, PlanFileError
from .model import SchoolConfig
from .never import assert_never
from .plan.planfile import (
    MIN_PLAN_KEY_LENGTH,
    PLAN_KEY_ENV,
    KeyKind,
    SavedPlan,
    SigningKey,
)


def plan_signer(school: SchoolConfig, env: Mapping[str, str] | None = None
                ) -> SigningKey | None:
    """What signs a saved plan here: the plan key ($EEO_PLAN_KEY, for this
    school), else the school's secret, else nothing. A value too short to be
    what it claims is an error, not a weak signature apply would refuse."""
    environ = os.environ if env is None else env
    plan_key = environ.get(PLAN_KEY_ENV)
    if plan_key:
        if len(plan_key) < MIN_PLAN_KEY_LENGTH:
            raise PlanFileError(f"${PLAN_KEY_ENV} is shorter than {MIN_PLAN_KEY_LENGTH} "
                                "characters: make a long random one (e.g. openssl rand -hex 32)")
        return SigningKey.from_plan_key(plan_key, school.sid)
    if environ.get(school.secret_env):
        return SigningKey.from_secret(school_secret(school, environ))
    return None


def verify_signature(saved: SavedPlan, school: SchoolConfig, env: Mapping[str, str] | None,
                      allow_unsigned: bool) -> None:
    """Apply takes a saved plan signed by this school's key, or (told) an unsigned one."""
    environ = os.environ if env is None else env
    match saved.kind:
        case None:
            if not allow_unsigned:
                raise PlanFileError(
                    "the saved plan is not signed (no signing key was set where plan --out "
                    "ran), so whoever could write the file could have changed it: refusing "
                    f"to apply it. Set ${PLAN_KEY_ENV} in the job that runs plan --out and "
                    "in this one, or, if you trust whoever could write the file, pass "
                    "--allow-unsigned")
        case KeyKind.PLAN_KEY:
            if not environ.get(PLAN_KEY_ENV):
                raise PlanFileError(f"the saved plan is signed with a plan key: set "
                                    f"${PLAN_KEY_ENV} here to check it")
            key = plan_signer(school, {PLAN_KEY_ENV: environ[PLAN_KEY_ENV]})
            assert key is not None
            saved.verify(key)
        case KeyKind.SECRET:
            saved.verify(SigningKey.from_secret(school_secret(school, environ)))
        case other:
            assert_never(other)


def school_secret(school: SchoolConfig, env: Mapping[str, str] | None = None) -> str:
    """The school's SECRET, from the variable `school.secret_env` names."""
    environ = os.environ if env is None else env
    secret = environ.get(school.secret_env)
    if not secret:
        raise ApiError(
            f"the ClassIn secret is not set: put the school's SECRET in the environment "
            f"variable {school.secret_env} (named by school.secret_env); it is never read "
            "from a file"
        )
    if len(secret) < MIN_SECRET_LENGTH:
        raise ApiError(
            f"the ClassIn secret in {school.secret_env} is shorter than {MIN_SECRET_LENGTH} "
            "characters: it cannot be the school's SECRET; check the variable"
        )
    return secret
