"""API v2 (the LMS activity endpoints): JSON bodies, signed in headers.

`X-EEO-SIGN` is the lowercase md5 of the body's scalar parameters (arrays and
objects left out, and any value over 1024 bytes) plus `sid` and `timeStamp`,
sorted by name and joined as `k1=v1&k2=v2...`, then `&key=SECRET`; `X-EEO-UID`
is the SID and `X-EEO-TS` the time, which must be within 5 minutes of
ClassIn's. The body must not carry `sid`, `timeStamp` or `key`
(../shared/classin-api/README.md, "Lessons, classroom activities and API v2").
The signature and the secret never appear in any message.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..errors import ApiError

WINDOW_SECONDS = 5 * 60
MAX_SIGNED_VALUE = 1024  # bytes: longer values are left out of the signature
RESERVED = frozenset({"sid", "timeStamp", "key"})


def _text(v: Any) -> str | None:
    """A scalar as it is signed; None: left out (arrays, objects, long values)."""
    if isinstance(v, dict | list | tuple) or v is None:
        return None
    text = ("true" if v else "false") if isinstance(v, bool) else str(v)
    return text if len(text.encode("utf-8")) <= MAX_SIGNED_VALUE else None


def signature(body: Mapping[str, Any], sid: int, ts: int, secret: str) -> str:
    """X-EEO-SIGN of `body` (ApiError for a body with a reserved parameter)."""
    bad = RESERVED & body.keys()
    if bad:
        raise ApiError(f"an API v2 body must not carry {', '.join(sorted(bad))}")
    fields = {k: t for k, v in body.items() if (t := _text(v)) is not None}
    fields["sid"], fields["timeStamp"] = str(sid), str(ts)
    signed = "&".join(f"{k}={fields[k]}" for k in sorted(fields)) + f"&key={secret}"
    return hashlib.md5(signed.encode("utf-8")).hexdigest()  # noqa: S324 - ClassIn's scheme


def headers(body: Mapping[str, Any], sid: int, ts: int, secret: str) -> dict[str, str]:
    """The headers of one signed v2 request."""
    return {"Content-Type": "application/json", "X-EEO-UID": str(sid), "X-EEO-TS": str(ts),
            "X-EEO-SIGN": signature(body, sid, ts, secret)}


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
