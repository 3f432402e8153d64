"""The built-in state backends: importing them registers them (`state.registry`)."""

from __future__ import annotations

from . import local, postgres  # noqa: F401 - imported for their registration
from .registry import DEFAULT_BACKEND, get, names, open_store, ref_for_backend, resolve_ref

__all__ = [
    "DEFAULT_BACKEND", "get", "names", "open_store", "ref_for_backend", "resolve_ref",
]
