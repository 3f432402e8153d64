"""The process entry point: the one place that tunes the host process.

The library never touches the collector (a program that imports it keeps its
own). The `eeo-reconcile` process is ours: it builds hundreds of thousands of
small acyclic objects (the configuration, the state, the plan) and exits, and
the cyclic collector's rescans of them cost more than the work. So the
command runs with the collector off, after what the imports made is moved out
of its way (`gc.freeze`). Nothing eeo-reconcile builds makes reference
cycles; the few a long apply's connections may make are freed at exit.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

from .app import main


def run(args: Sequence[str] | None = None, **extra: Any) -> Any:
    """`eeo-reconcile` as a process runs it (console script, `python -m`)."""
    gc.freeze()
    gc.disable()
    return main.main(args=args, prog_name="eeo-reconcile", **extra)
