"""An apply as the documented JSON (`schemas/apply-report.schema.json`): what
was sent, each member's outcome, what was held back or skipped, timings."""

from __future__ import annotations

import datetime as _dt
import statistics
from typing import Any

from ..privacy import PLAIN, Redactor
from .result import ApplyResult

REPORT_FORMAT_VERSION = 1


def _iso(t: float) -> str | None:
    if not t:
        return None
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ms(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    v = sorted(values)
    return {"count": len(v), "min_ms": round(v[0], 1),
            "median_ms": round(statistics.median(v), 1),
            "p95_ms": round(v[min(len(v) - 1, int(len(v) * 0.95))], 1),
            "max_ms": round(v[-1], 1)}


def report_json(r: ApplyResult | None, where: str, r_: Redactor = PLAIN,
                sid: int | None = None, lazy: bool = False) -> dict[str, Any]:
    """The report; `r` None: the plan had no changes, nothing was sent. With
    `lazy`, the per-member outcomes (one per member of an apply) are an
    iterator made as a streaming writer takes them (`cli.jsonout`), not a
    list."""
    if r is None:
        return {"format_version": REPORT_FORMAT_VERSION, "sid": sid, "ok": True,
                "changes": False, "state": {"where": where}}
    a = r_.address
    outcomes = ({"address": a(o.address), "action": o.action, "errno": o.errno,
                 "outcome": o.outcome} for o in r.outcomes)
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "sid": sid,
        "ok": r.ok,
        "changes": True,
        "interrupted": r.interrupted,
        "stopped": r.stopped,
        "calls": {"planned": r.calls_planned, "sent": r.calls_sent,
                  "sent_again": r.calls_resent, "requests": r.requests,
                  "not_sent": r.not_sent, "unanswered": r.unanswered,
                  "adds_sent_again": r.retried},
        "members": {"added": r.added, "removed": r.removed, "already": r.already,
                    "failed": sum(f.members for f in r.failures)},
        "groups": {"created": r.groups_created, "changed": r.groups_changed,
                   "deleted": r.groups_deleted},
        "accounts": {"registered": r.registered, "existed": r.accounts_existed,
                     "renamed": r.renamed, "calls": r.accounts_calls},
        "names_recorded": r.labels,
        "courses_forgotten": r.forgotten,
        "outcomes": outcomes if lazy else list(outcomes),
        "failures": [{"address": a(f.address), "action": f.action, "errno": f.errno,
                      "meaning": f.meaning, "members": f.members} for f in r.failures],
        "held": [{"course": h.course, "removals": h.removals, "calls": h.calls,
                  "failed_adds": h.failed_adds} for h in r.held],
        "skipped": [{"scope": s.scope, "errno": s.errno, "meaning": s.meaning,
                     "calls": s.calls} for s in r.skipped],
        "warnings": list(r.warnings),
        "timings": {"started": _iso(r.started), "finished": _iso(r.finished),
                    "seconds": round(r.finished - r.started, 3) if r.started else None,
                    "calls": _ms(r.call_ms)},
        "state": {"where": where, "serial": r.state.serial if r.state else None},
    }
