"""JSON Schema validation of one roster file, with errors placed on the user's line.

The schema (`schemas/roster.schema.json`) is the single definition of the
file format: editors use it, and so do we. Its `x-hint` annotations carry the
"how to fix it" text shown next to each error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

from ..errors import Diagnostic
from ..schemas import is_valid, validator
from ..text import token
from .source import Document

ROSTER_SCHEMA = "roster.schema.json"

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        # a short single token is shown; a longer text never is (a file that is not a
        # roster, say a credentials file, must not be echoed)
        if len(value) <= 24 and "\n" not in value:
            return f"the text {token(value)!r}"
        return f"a text of {len(value):,} characters"
    return f"{type(value).__name__} {token(repr(value))}"


def _where(data: Any, path: list[Any]) -> str:
    """A readable name for a path, e.g. `course 442447 › students[3]`."""
    parts: list[str] = []
    prefix = ""
    node = data
    for i, p in enumerate(path):
        if isinstance(p, int):
            if parts:
                parts[-1] += f"[{p}]"
            else:
                parts.append(f"[{p}]")
        else:
            parts.append(token(p))
        if i == 1 and path[0] == "courses" and isinstance(p, int):
            try:
                cid = node[p].get("id")
                if cid is not None:
                    prefix = f"course {token(cid)}: "
                    parts = []
            except (AttributeError, IndexError, KeyError, TypeError):
                pass
        try:
            node = node[p]
        except (IndexError, KeyError, TypeError):
            node = None
    if not parts:
        return prefix[:-2] if prefix else "the top level"
    return prefix + ".".join(parts)


def _expected_types(v: Any) -> str:
    types = v if isinstance(v, list) else [v]
    words = [_TYPE_WORDS.get(str(t), str(t)) for t in types]
    return " or ".join(words)


def _diagnostics_for(doc: Document, err: ValidationError) -> Iterable[Diagnostic]:
    path = list(err.absolute_path)
    where = _where(doc.data, path)
    schema: dict[str, Any] = err.schema if isinstance(err.schema, dict) else {}
    hint = schema.get("x-hint")
    kind = err.validator
    inst: Any = err.instance
    v: Any = err.validator_value
    if kind == "additionalProperties" and isinstance(inst, dict):
        allowed = list((schema.get("properties") or {}).keys())
        for key in inst:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1)
            h = f"did you mean `{close[0]}`? " if close else ""
            h += hint or ("allowed keys: " + ", ".join(allowed))
            yield Diagnostic(
                doc.locate([*path, key], key=True), f"unknown key {token(key)!r} in {where}", h
            )
        return
    loc = doc.locate(path)
    if kind == "required":
        missing = [r for r in v if isinstance(inst, dict) and r not in inst]
        for r in missing:
            yield Diagnostic(loc, f"{where} is missing the required key `{r}`", hint)
        return
    if kind == "anyOf" and all(isinstance(b, dict) and b.keys() == {"required"} for b in v):
        # a member by uid or by person: say what is missing of the first way, and the other
        shown = isinstance(inst, dict)
        first = [r for r in v[0]["required"] if shown and r not in inst]
        others = " or ".join(f"`{r}`" for b in v[1:] for r in b["required"])
        key = first[0] if first else v[0]["required"][0]
        yield Diagnostic(loc, f"{where} is missing the required key `{key}` (or give {others})",
                         hint)
        return
    if kind == "not" and isinstance(v, dict) and "required" in v:  # {type: object, required}
        yield Diagnostic(loc, f"{where} gives both " + " and ".join(
            f"`{r}`" for r in v["required"]) + ": give one", hint)
        return
    if kind == "type":
        msg = f"{where} must be {_expected_types(v)}, not {_describe(inst)}"
    elif kind in ("minimum", "exclusiveMinimum"):
        msg = f"{where} is {inst}, which is too small (minimum {v}{', exclusive' if kind == 'exclusiveMinimum' else ''})"  # noqa: E501
    elif kind in ("maximum", "exclusiveMaximum"):
        msg = f"{where} is {inst}, which is too large (maximum {v})"
    elif kind == "pattern":
        msg = f"{where} has the wrong format: {_describe(inst)}"
    elif kind == "minLength":
        msg = f"{where} is empty" if inst == "" else f"{where} is shorter than {v} characters"
    elif kind == "maxLength":
        msg = f"{where} is {len(inst)} characters long; at most {v} are allowed"
    elif kind == "enum":
        msg = f"{where} is {_describe(inst)}; expected one of: " + ", ".join(map(str, v))
    elif kind == "minItems":
        msg = f"{where} is empty; at least {v} item{'s' if v != 1 else ''} needed"
    else:  # pragma: no cover - schema keywords not used above
        msg = f"{where}: {err.message}"
    yield Diagnostic(loc, msg, hint)


def schema_diagnostics(doc: Document, schema: str = ROSTER_SCHEMA) -> list[Diagnostic]:
    """Every schema violation of one parsed file, located."""
    if doc.data is None or is_valid(schema, doc.data):
        return []
    out: list[Diagnostic] = []
    for err in validator(schema).iter_errors(doc.data):
        out.extend(_diagnostics_for(doc, err))
    return out
