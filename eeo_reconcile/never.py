"""`assert_never` for every `match` over a kind (Python 3.10 has no typing.assert_never).

mypy refuses a call whose argument is not narrowed to nothing, so a kind added
to an enum or a union without a branch of its own is a type error, not a
silent default."""

from __future__ import annotations

from typing import NoReturn


def assert_never(value: NoReturn) -> NoReturn:
    raise AssertionError(f"unhandled kind: {value!r}")
