"""The one place that decides what a ClassIn id looks like.

uids, course ids, lesson (class) ids, group ids and the SID are positive
integers. Files and answers also carry them as strings of digits (the vendor's
own examples send `"uid": "1001001"`), and YAML may give `12.0`. `as_id` is
used by the configuration loader, the executor (group ids in answers) and the
sandbox (ids in requests) alike.
"""

from __future__ import annotations

from typing import Any


def as_id(value: Any) -> int | None:
    """`value` as a positive int id, or None when it is not one.

    Accepted: an int >= 1 (not a bool), a string of ASCII digits (surrounding
    blanks ignored) worth >= 1, a float with an integral value >= 1."""
    t = type(value)
    if t is int:
        return value if value >= 1 else None
    if t is str:
        text = value.strip()
        if text.isdigit() and text.isascii():
            n = int(text)
            return n if n >= 1 else None
        return None
    if t is float and value.is_integer() and value >= 1:
        return int(value)
    return None
