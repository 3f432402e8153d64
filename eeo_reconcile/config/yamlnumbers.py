"""Numbers YAML 1.1 reads otherwise than their digits say.

`0442447` is octal (148775), `1:20` is base 60 (80), `1_000`, `0x1F` and `+5`
are numbers too. No number in a roster is written so, and an id or uid read
so would be another course or another child: the loader makes each a located
error (`yamlload`), with the number it would have been.
"""

from __future__ import annotations

from typing import Any

from ..text import token

FLOAT_TAG = "tag:yaml.org,2002:float"


class OddNumber(Exception):
    """A number YAML 1.1 reads otherwise than its digits say (`0442447` is octal,
    `1:20` is 80): no number in a roster is written so, and an id or uid read
    so would be another child's."""

    def __init__(self, text: str, value: Any):
        super().__init__(text)
        self.text = text
        self.value = value


def odd_number(text: str, value: Any) -> tuple[str, str]:
    """The message and hint for a number YAML 1.1 reads otherwise."""
    digits = text.lstrip("+-").replace("_", "")
    if ":" in text:
        why = "has a colon: YAML 1.1 reads it in base 60"
    elif digits[:2].lower() in ("0x", "0o", "0b"):
        why = "has a base prefix"
    elif "_" in text:
        why = "has underscores"
    elif text[:1] in "+-":
        why = "has a sign"
    else:
        why = "starts with 0: YAML 1.1 reads it as an octal number"
    plain = digits.lstrip("0") if digits.isdigit() else None
    hint = (f"write {plain} (without the leading zero), or quote it ('{text}') if the "
            "zero is part of a text" if plain and digits[:1] == "0"
            else f"write the number in plain decimal digits, or quote it ('{text}') if it "
                 "is a text")
    return (f"the number {token(text)!r} {why} (it would be read as {token(str(value))}): "
            "ids, uids and counts are written in plain decimal digits", hint)
