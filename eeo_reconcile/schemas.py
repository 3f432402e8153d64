"""Access to the JSON Schemas shipped in `schemas/` (roster, state, plan)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent


def schema_path(name: str) -> Path:
    """Path of a schema file, in an installed wheel or in a source checkout."""
    for candidate in (_HERE / "_schemas" / name, _HERE.parent / "schemas" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"schema {name} is missing from this installation")


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    with open(schema_path(name), encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@functools.cache
def validator(name: str) -> Any:
    """The reference validator (jsonschema): complete, and the source of every
    error message. Imported on first use: valid files never need it."""
    from jsonschema import Draft202012Validator

    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@functools.cache
def _fast(name: str) -> Any:
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - optional accelerator missing
        return None
    return jsonschema_rs.validator_for(load_schema(name))


def is_valid(name: str, instance: Any) -> bool:
    """Whether `instance` is valid, using the compiled validator when present.

    Only a "valid" answer from the fast validator is trusted on its own; any
    "invalid" (or any trouble) sends the caller to the reference validator,
    which produces the errors. The test suite checks that both agree.
    """
    fast = _fast(name)
    if fast is not None:
        try:
            if fast.is_valid(instance):
                return True
        except Exception:  # pragma: no cover - e.g. a value it cannot convert
            pass
    return validator(name).is_valid(instance) if fast is None else False
