"""The plan as the documented JSON (`schemas/plan.schema.json`), canonical and
compact (`plan.encode`), redacted as the view says (`plan.redact`)."""

from __future__ import annotations

from ..._gc import paused_gc
from ..encode import plan_json
from ..plan import Plan
from .common import View


def render_json(plan: Plan, view: View = View()) -> str:
    with paused_gc():
        return plan_json(plan, view.redactor) + "\n"
