"""Saved plan files: the plan, what it was made against, and a checksum.

The body is canonical JSON (sorted keys, compact), so saving a loaded plan
again yields the same bytes; the checksum covers the body, so any edit to
the file is detected before apply runs it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from typing import Any

from ..errors import PlanFileError
from ..fileio import atomic_write
from ..state.model import State
from .plan import Plan

PLAN_FILE_FORMAT = "eeo-reconcile-plan"


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def plan_file_bytes(plan: Plan, created: str | None = None) -> bytes:
    created = created or _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
    body = {"format": PLAN_FILE_FORMAT, "created": created, "plan": plan.to_json()}
    canon = _canonical(body)
    checksum = "sha256:" + hashlib.sha256(canon).hexdigest()
    # body keys sort before "~checksum"? keep the checksum last and outside the body
    return canon[:-1] + b',"checksum":' + json.dumps(checksum).encode() + b"}\n"


def save_plan(plan: Plan, path: str, created: str | None = None) -> None:
    try:
        atomic_write(os.path.abspath(path), plan_file_bytes(plan, created))
    except OSError as exc:
        raise PlanFileError(f"cannot write the plan file {path}: {exc.strerror}") from None


def looks_like_plan_file(path: str) -> bool:
    if not os.path.isfile(path) or path.endswith((".yaml", ".yml")):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return False
    return head.startswith(b'{"created"') or PLAN_FILE_FORMAT.encode() in head


def load_plan_file(path: str) -> tuple[Plan, str]:
    """The plan and its creation time; refuses an altered or unreadable file."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise PlanFileError(f"cannot read the plan file {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
    except ValueError:
        raise PlanFileError(f"{path} is not a saved plan (not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != PLAN_FILE_FORMAT:
        raise PlanFileError(f"{path} is not an eeo-reconcile saved plan")
    checksum = data.pop("checksum", None)
    expected = "sha256:" + hashlib.sha256(_canonical(data)).hexdigest()
    if checksum != expected:
        raise PlanFileError(
            f"the saved plan {path} was altered after it was made (checksum mismatch): "
            "refusing to use it. Run plan --out again."
        )
    try:
        plan = Plan.from_json(data["plan"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PlanFileError(f"the saved plan {path} is malformed: {exc!r}") from None
    return plan, str(data.get("created", ""))


def check_fresh(plan: Plan, state: State) -> None:
    """Refuse a saved plan made against another state version."""
    if plan.lineage != state.lineage or plan.serial != state.serial:
        raise PlanFileError(
            "saved plan is stale: run plan again. It was made against state "
            f"lineage {plan.lineage} serial {plan.serial}; the state is now lineage "
            f"{state.lineage} serial {state.serial}."
        )
