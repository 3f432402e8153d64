"""Redacting the plan's JSON document (see `privacy`): people's names masked and,
at level all, uids replaced by their keyed hashes wherever they appear --
changes, calls' params, notes, guard findings, labels. A redacted document
says so in `redacted` and cannot be applied."""

from __future__ import annotations

from typing import Any

from ..privacy import Redactor
from .safety import SafetyReport

_UID_KEYS = frozenset({"uid", "studentUid"})
_UID_LIST_KEYS = frozenset({"studentUidJson"})
_NAME_KEYS = frozenset({"studentName", "customColumn"})


def redact_plan_json(doc: dict[str, Any], r: Redactor) -> dict[str, Any]:
    """The plan JSON with people's names masked and (level all) uids hashed."""
    doc["redacted"] = r.level.value
    if "targets" in doc:
        doc["targets"] = [r.address(t) for t in doc["targets"]]
    for c in doc.get("changes", ()):
        redact_change(c, r)
    for call in doc.get("calls", ()):
        call["params"] = redact_params(call["params"], r)
    for n in doc["notes"]:
        n["message"] = r.note(n["address"], n["message"], n.get("names", ()))
        n["address"] = r.address(n["address"])
        if "names" in n:
            n["names"] = [r.person(x) for x in n["names"]]
    for u in doc.get("labels", ()):
        if "uid" in u:
            u["name"] = r.person(u["name"])
            u["uid"] = _uid(u["uid"], r)
    for a in doc.get("accounts", ()):
        a["key"], a["account"], a["name"] = r.key(a["key"]), r.key(a["account"]), r.mask(a["name"])
        if "old_name" in a:
            a["old_name"] = r.mask(a["old_name"])
        if "uid" in a:
            a["uid"] = _uid(a["uid"], r)
    for m in doc.get("pending", ()):
        m["key"], m["name"] = r.key(m["key"]), r.mask(m["name"])
        if "custom" in m:
            m["custom"] = r.person(m["custom"])
    doc["safety"] = plan_safety(doc, r)
    return doc


def plan_safety(doc: dict[str, Any], r: Redactor) -> dict[str, Any]:
    return SafetyReport.from_json(doc["safety"]).to_json(r)


def _uid(v: Any, r: Redactor) -> Any:
    return r.uid(int(v)) if r.uids else v


def redact_change(c: dict[str, Any], r: Redactor) -> None:
    kind = c["type"]
    c["address"] = r.address(c["address"])
    if "uid" in c:
        c["uid"] = _uid(c["uid"], r)
    if kind in ("student", "auditor", "lesson-student") and "name" in c:
        c["name"] = r.person(c["name"])
    if "custom" in c:
        c["custom"] = r.person(c["custom"])
    for key in ("teams", "old_teams"):
        if key in c:
            c[key] = [[_uid(u, r) for u in t] for t in c[key]]
    if "labels" in c:
        c["labels"] = {str(_uid(u, r)): r.person(n) for u, n in c["labels"].items()}


def redact_params(v: Any, r: Redactor, key: str = "") -> Any:
    if isinstance(v, dict):
        return {k: redact_params(x, r, k) for k, x in v.items()}
    if isinstance(v, list):
        return [redact_params(x, r, key if key in _UID_LIST_KEYS else "") for x in v]
    if key in _UID_KEYS or key in _UID_LIST_KEYS:
        return r.uid(int(v)) if r.uids else v
    if key in _NAME_KEYS or key == "name":
        return r.person(v) if isinstance(v, str) else v
    return v
