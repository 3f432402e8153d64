"""Text that is safe to show: no control characters, no bidirectional tricks.

File names, YAML keys and values, names from rosters can all come from a pull
request. Whatever of them a message or a plan shows goes through `printable`
(invisible and reordering characters become visible escapes) and, for a
token quoted from a file, `token` (also cut to a short length).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, line/paragraph separators, bidirectional controls
# (embeddings, overrides, isolates, marks) and lone surrogates (undecodable bytes)
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f"
    "\u061c\ud800-\udfff]"
)


def _escape(m: re.Match[str]) -> str:
    ch = m.group(0)
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every unsafe character shown as an escape (\\n, \\u202e, ...)."""
    return UNSAFE.sub(_escape, text)


def safe_json(text: str) -> str:
    """JSON text with every unsafe character left in it (C1 controls, bidi marks,
    line separators: json escapes only C0) written as a `\\uXXXX` escape: the
    same JSON value, shown safely."""
    return UNSAFE.sub(lambda m: m.group(0) if m.group(0) == "\n"  # its layout
                      else f"\\u{ord(m.group(0)):04x}", text)


def token(text: object, limit: int = 40) -> str:
    """A value quoted from a file: printable, and cut to `limit` characters."""
    s = printable(str(text))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def unsafe_characters(text: str) -> list[str]:
    """The unsafe characters in `text`, as their escapes (for error messages)."""
    return sorted({_escape(m) for m in UNSAFE.finditer(text)})
