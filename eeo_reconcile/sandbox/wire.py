"""The sandbox's side of the wire: refusals, answers, and reading form parameters.

A `Form` is the request's parameters (the last value of each key, as PHP
reads them) plus the names of array parameters that arrived in another shape
than one JSON string (repeated keys, `key[]`), which ClassIn answers with 155.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..classin.errnos import text
from ..ids import as_id

ARRAY_PARAMS = ("studentJson", "studentUidJson", "groupList", "userJson")


class Form(dict[str, str]):
    """Form parameters; `bad_arrays` names arrays sent as repeated keys."""

    bad_arrays: frozenset[str] = frozenset()


def form_from_pairs(pairs: Mapping[str, list[str]]) -> Form:
    form = Form({k.strip(): v[-1].strip() for k, v in pairs.items()})
    bad = set()
    for name in ARRAY_PARAMS:
        if len(pairs.get(name, ())) > 1 or any(
            k.strip().startswith(name + "[") for k in pairs
        ):
            bad.add(name)
    form.bad_arrays = frozenset(bad)
    return form


class Refuse(Exception):
    """A top-level answer other than success."""

    def __init__(self, errno: int):
        super().__init__(errno)
        self.errno = errno


def answer(errno: int, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict(extra)
    out["error_info"] = {"errno": errno, "error": text(errno)}
    return out


def item(errno: int, custom: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if custom is not None:
        d["customColumn"] = custom
    d["errno"] = errno
    d["error"] = text(errno)
    return d


def num(form: Mapping[str, str], key: str) -> int:
    v = form.get(key)
    if v is None or not v.isdigit() or int(v) <= 0:
        raise Refuse(100)
    return int(v)


def array(form: Mapping[str, str], key: str, bad: int = 155) -> list[Any]:
    """A JSON array parameter. Missing, empty, not JSON or in another shape than one
    JSON string: `bad` (155 for the student arrays, as the basic errors page ties
    155 to an array in the wrong format; the grouping pages list no 155: 100)."""
    if key in getattr(form, "bad_arrays", ()):
        raise Refuse(bad)  # an array in another shape than one JSON string
    raw = form.get(key)
    if raw is None or raw == "":
        raise Refuse(bad)
    try:
        data = json.loads(raw)
    except ValueError:
        raise Refuse(bad) from None
    if not isinstance(data, list):
        raise Refuse(100)
    if not data:
        raise Refuse(bad)
    return data


def uid_of(v: Any) -> int:
    """An id in an array item, as ClassIn reads it (100 when it is not one)."""
    uid = as_id(v)
    if uid is None:
        raise Refuse(100)
    return uid
