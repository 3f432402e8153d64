"""eeo-reconcile: roster-as-code for ClassIn (EEO).

The library plans and applies; it never prints. Entry points:

    load_config(path)                 -> Config (raises ConfigError with every problem)
    open_config_store(config)         -> StateStore (local file or PostgreSQL)
    plan_config(config, store)        -> Plan (takes the state lock for the read)
    make_plan(config, state)          -> Plan (pure: no lock, no I/O)
    apply_config(config, store, ...)  -> ApplyOutcome (lock, plan, guard, confirm, apply)
    render_text / render_json / render_markdown (plan) -> str
"""

__version__ = "0.1.0"

from .config.load import load_config  # noqa: E402
from .errors import EeoError  # noqa: E402
from .plan.diff import make_plan  # noqa: E402
from .plan.render import render_json, render_markdown, render_text  # noqa: E402
from .workflow import (  # noqa: E402
    ApplyOptions,
    ApplyOutcome,
    apply_config,
    apply_saved_plan,
    open_config_store,
    plan_config,
)

__all__ = [
    "ApplyOptions",
    "ApplyOutcome",
    "EeoError",
    "apply_config",
    "apply_saved_plan",
    "load_config",
    "make_plan",
    "open_config_store",
    "plan_config",
    "render_json",
    "render_markdown",
    "render_text",
]
