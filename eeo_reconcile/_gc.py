"""Pause the cyclic garbage collector around bulk object creation.

Loading a roster or a state creates hundreds of thousands of small acyclic
objects (dicts, lists, ints, frozen changes); each allocation burst makes the
collector rescan everything alive, which costs more than the work itself
(measured: 1.71 s -> 1.24 s to load a 216,000-membership configuration).
Reference counting still frees everything; the collector runs again after.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
