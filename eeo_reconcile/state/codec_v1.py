"""Checking version 1 state files (uid-keyed objects), the first format.

Checked against `schemas/state.v1.schema.json`; `state.codec` reads them
once and writes them back as version 2.
"""

from __future__ import annotations

from typing import Any

from ..schemas import is_valid, validator

V1_SCHEMA = "state.v1.schema.json"


def problem(data: dict[str, Any]) -> tuple[str, str] | None:
    """Where and what is wrong in a version 1 document, by its schema (None: fine)."""
    if is_valid(V1_SCHEMA, data):
        return None
    errors = sorted(validator(V1_SCHEMA).iter_errors(data), key=lambda e: list(e.absolute_path))
    e = errors[0]
    return ".".join(str(p)[:40] for p in e.absolute_path), _message(e)


def _message(err: Any) -> str:
    kind = err.validator
    if kind == "type":
        return f"must be of type {err.validator_value}"
    if kind == "minimum":
        return f"must be at least {err.validator_value}"
    if kind == "pattern":
        return "is not a positive whole number"
    if kind == "uniqueItems":
        return "lists a uid twice"
    if kind == "additionalProperties":
        return "has an unknown key"
    if kind == "required":
        return "misses a required key"
    return f"breaks the rule {kind!r} of the version 1 schema"
