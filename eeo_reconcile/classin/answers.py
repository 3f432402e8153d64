"""What a call to ClassIn came back with: an answer, or no usable answer.

Kept apart from the HTTP client so that the planner and the executor can use
these types without importing `requests`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ApiError


@dataclass(frozen=True)
class ApiResult:
    """A parsed answer: the top-level errno, and `data` (per-item list, or an id)."""

    errno: int
    error: str
    data: Any
    attempts: int

    def echoed(self, key: str) -> list[Any]:
        """Per item of a batch answer, the value it carries under `key` (None if absent)."""
        return [it.get(key) if isinstance(it, dict) else None for it in self.data or []]

    def codes(self) -> list[int]:
        """Per-item errnos of a batch answer, in request order (-1: malformed item)."""
        return [errno_of(it.get("errno")) if type(it) is dict else -1
                for it in self.data or []]


def errno_of(v: Any) -> int:
    if type(v) is int:  # as ClassIn usually answers
        return v
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return -1


class TransportError(ApiError):
    """No usable answer: whether the call took effect is unknown (unless
    `sent` is False: the request never reached ClassIn)."""

    def __init__(self, message: str, attempts: int, sent: bool = True,
                 interrupted: bool = False):
        super().__init__(message)
        self.attempts = attempts
        self.sent = sent
        self.interrupted = interrupted


