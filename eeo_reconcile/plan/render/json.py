"""The plan as the documented JSON (`schemas/plan.schema.json`), canonical and
compact (`plan.encode`), redacted as the view says (`plan.redact`)."""

from __future__ import annotations

from collections.abc import Iterator

from ..encode import plan_json, plan_json_pieces
from ..plan import Plan
from .common import View


def render_json(plan: Plan, view: View = View()) -> str:
    return plan_json(plan, view.redactor) + "\n"


def render_json_pieces(plan: Plan, view: View = View()) -> Iterator[str]:
    """`render_json` in pieces, for writing as they are made."""
    yield from plan_json_pieces(plan, view.redactor)
    yield "\n"
