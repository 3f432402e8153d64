"""State backends register here; the rest of the code asks here.

A backend (`state.local`, `state.postgres`, or a new one) is an object with a
name, the command-line overrides that select it, and five functions: read its
`state:` block of the configuration into a `StateRef` and write one back, give
its default ref, apply command-line overrides to a ref, and open a
`StateStore` for a ref. It
calls `register()` when its module is imported (`state.backends` imports the
built-in ones). Nothing else in the code names a backend.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol

from ..errors import StateError
from ..model import StateRef
from .store import StateStore

DEFAULT_BACKEND = "local"

Overrides = Mapping[str, str]


class Backend(Protocol):
    name: str
    overrides: tuple[str, ...]  # the command-line overrides that select this backend
    flags: str  # how they are spelled on the command line, for messages
    left_as_is: str  # said of a state of this backend that was migrated away

    def config_block(self, ref: StateRef, base_dir: str) -> dict[str, str]:
        """The `state:` block that names `ref` (paths relative to base_dir)."""

    def ref_from_config(self, block: Mapping[str, Any], base_dir: str) -> StateRef:
        """The ref a configuration's `state:` block names (paths relative to base_dir)."""

    def default_ref(self, base_dir: str) -> StateRef:
        """The ref when nothing more is said."""

    def with_overrides(self, ref: StateRef, overrides: Overrides) -> StateRef:
        """`ref` with this backend's command-line overrides applied."""

    def open(self, ref: StateRef, env: Mapping[str, str], overrides: Overrides) -> StateStore:
        """A store for `ref` (secrets such as a DSN come from env or overrides)."""


_BACKENDS: dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    _BACKENDS[backend.name] = backend
    return backend


def names() -> list[str]:
    return list(_BACKENDS)


def get(name: str) -> Backend:
    b = _BACKENDS.get(name)
    if b is None:
        raise StateError(f"unknown state backend {name!r}: use {' or '.join(_BACKENDS)}")
    return b


def given(overrides: Mapping[str, str | None]) -> dict[str, str]:
    """The overrides that were actually given."""
    return {k: v for k, v in overrides.items() if v}


def selected_by(overrides: Mapping[str, str | None]) -> Backend | None:
    """The backend the command-line overrides select, if any; StateError when they
    name two backends at once."""
    ov = given(overrides)
    claims = [b for b in _BACKENDS.values() if any(k in ov for k in b.overrides)]
    if len(claims) > 1:
        a, b = claims[0], claims[1]
        raise StateError(f"give either {a.flags} ({a.name}) or {b.flags} ({b.name}), not both")
    return claims[0] if claims else None


def resolve_ref(
    base: StateRef | None,
    overrides: Mapping[str, str | None],
    base_dir: str | None = None,
) -> StateRef:
    """Where the state lives: `base` (a configuration's `state` block) with the
    command line's overrides. An override of another backend switches to that
    backend's default place, then applies the override."""
    base_dir = base_dir or os.getcwd()
    chosen = selected_by(overrides)
    if chosen is None:
        return base if base is not None else get(DEFAULT_BACKEND).default_ref(base_dir)
    start = base if base is not None and base.backend == chosen.name else \
        chosen.default_ref(base_dir)
    return chosen.with_overrides(start, given(overrides))


def ref_for_backend(name: str, base: StateRef | None, overrides: Mapping[str, str | None],
                    base_dir: str) -> StateRef:
    """The ref of backend `name`: `base` when it is of that backend, else the
    backend's default; then that backend's own overrides."""
    b = get(name)
    start = base if base is not None and base.backend == name else b.default_ref(base_dir)
    mine = {k: v for k, v in given(overrides).items() if k in b.overrides}
    return b.with_overrides(start, mine)


def open_store(
    ref: StateRef,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, str | None] | None = None,
) -> StateStore:
    """The store for `ref` (a secret such as a DSN may come in `overrides`)."""
    environ = os.environ if env is None else env
    return get(ref.backend).open(ref, environ, given(overrides or {}))
