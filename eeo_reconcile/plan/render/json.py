"""The plan as the documented JSON (`schemas/plan.schema.json`)."""

from __future__ import annotations

import json

from ..plan import Plan


def render_json(plan: Plan) -> str:
    return json.dumps(plan.to_json(), ensure_ascii=False, indent=2) + "\n"
