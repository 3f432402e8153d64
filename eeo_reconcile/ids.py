"""The one place that decides what a ClassIn id looks like.

uids, course ids, lesson (class) ids, group ids and the SID are positive
integers. Files and answers also carry them as strings of digits (the vendor's
own examples send `"uid": "1001001"`), and YAML may give `12.0`. `as_id` is
used by the configuration loader, the executor (group ids in answers) and the
sandbox (ids in requests) alike.
"""

from __future__ import annotations

from typing import Any

MAX_ID = (1 << 63) - 1  # ClassIn's ids are signed 64-bit; the schemas say so too


def as_id(value: Any) -> int | None:
    """`value` as a positive int id, or None when it is not one.

    Accepted: an int from 1 to MAX_ID (not a bool), a string of ASCII digits
    (surrounding blanks ignored) worth that, a float with such an integral
    value. A larger number is not an id (it would pass import and convert and
    then fail validate)."""
    t = type(value)
    if t is int:
        return value if 1 <= value <= MAX_ID else None
    if t is str:
        text = value.strip()
        if text.isdigit() and text.isascii() and len(text) <= 40:
            n = int(text)
            return n if 1 <= n <= MAX_ID else None
        return None
    if t is float and value.is_integer() and 1 <= value <= MAX_ID:
        return int(value)
    return None
