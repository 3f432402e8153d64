"""The audit scenarios: the history command filtering 1,000,000 entries by
address prefix (local file; target well under 2 s), and `state diff` of two
200,000-membership states (1% churn, and every course different; target
< 5 s)."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile

from district import Shape, build, churn

HISTORY_OURS = """
import sys, time
from eeo_reconcile.cli import run as main
t = time.perf_counter()
try:
    main(["history", sys.argv[2], "--state", sys.argv[1], "--format", "json"],
         standalone_mode=False)
finally:
    sys.stderr.write(f"__T__ {time.perf_counter() - t}\\n")
"""

DIFF_OURS = """
import sys, time
from eeo_reconcile.cli import run as main
t = time.perf_counter()
try:
    main(["state", "diff", sys.argv[1], sys.argv[2], "--state", sys.argv[2]],
         standalone_mode=False)
finally:
    sys.stderr.write(f"__T__ {time.perf_counter() - t}\\n")
"""


def _inner(argv: list[str], repeat: int) -> float:
    import subprocess

    best = float("inf")
    for _ in range(repeat):
        r = subprocess.run(argv, capture_output=True, text=True)
        for line in r.stderr.splitlines():
            if line.startswith("__T__ "):
                best = min(best, float(line.split()[1]))
    return best


def write_history(path: str, entries: int = 1_000_000, per_batch: int = 500) -> None:
    rnd = random.Random(3)
    with open(path, "w", encoding="utf-8") as fh:
        serial = 1
        for start in range(0, entries, per_batch):
            lines = []
            for i in range(start, min(entries, start + per_batch)):
                cid = 600000 + rnd.randrange(5000)
                uid = 10_000_000 + rnd.randrange(200_000)
                lines.append(json.dumps({
                    "time": "2026-11-25T01:00:00Z", "operation": "apply",
                    "action": "add" if i % 3 else "remove",
                    "address": f"course/{cid}/student/{uid}", "old": None,
                    "new": {"name": "学生"}, "serial": serial, "who": "ci@runner",
                    "commit": "0" * 40, "run": None}, ensure_ascii=False,
                    separators=(",", ":")))
            lines.append(json.dumps({"end": serial, "lineage": "L"}, separators=(",", ":")))
            fh.write("\n".join(lines) + "\n")
            serial += 1


def write_bulk_history(path: str, courses: int = 5000, per_course: int = 200) -> None:
    """1,000,000 entries as imports and first-day applies write them: a bulk
    line of a course's students per change (see state/historyfile.py)."""
    from eeo_reconcile.provenance import Provenance
    from eeo_reconcile.state import historyfile
    from eeo_reconcile.state.history import Bulk
    from eeo_reconcile.state.store import TimedAt

    rnd = random.Random(4)
    prov = Provenance("import", "ci@runner", "0" * 40, None)
    for serial, first in enumerate(range(0, courses, 500), start=1):
        changes = []
        for c in range(first, min(courses, first + 500)):
            uids = sorted(rnd.sample(range(10_000_000, 10_200_000), per_course))
            changes.append(Bulk("add", f"course/{600000 + c}/student", uids, None,
                                ["学生"] * per_course))
        historyfile.append_events(path, serial, "L", TimedAt("2026-11-25T01:00:00Z", changes),
                                  prov)


def scenario_audit(repeat: int, line, state_for, write_state) -> None:  # type: ignore[no-untyped-def]
    tmp = tempfile.mkdtemp(prefix="eeo-bench-audit-")
    try:
        state = os.path.join(tmp, "eeo.state.json")
        write_history(os.path.join(tmp, "eeo.state.history.jsonl"))
        size = os.path.getsize(os.path.join(tmp, "eeo.state.history.jsonl")) / 1e6
        for prefix in ("course/600042", "course/600042/student/10000042"):
            t = _inner([sys.executable, "-c", HISTORY_OURS, state, prefix], repeat)
            line("history filter", {"entries": 1_000_000, "file": f"{size:.0f}MB",
                                    "prefix": prefix, "wall": f"{t:.2f}s", "target": "<2s",
                                    "met": "yes" if t < 2 else "NO"})
        bulk = os.path.join(tmp, "bulk")
        os.mkdir(bulk)
        write_bulk_history(os.path.join(bulk, "eeo.state.history.jsonl"))
        size = os.path.getsize(os.path.join(bulk, "eeo.state.history.jsonl")) / 1e6
        with open(os.path.join(bulk, "eeo.state.history.jsonl"), encoding="utf-8") as fh:
            a_student = json.loads(fh.readline())["keys"][42]
        for prefix in ("course/600000", f"course/600000/student/{a_student}", "course/6000"):
            t = _inner([sys.executable, "-c", HISTORY_OURS, os.path.join(bulk, "eeo.state.json"),
                        prefix], repeat)
            line("history filter, bulk lines", {
                "entries": 1_000_000, "file": f"{size:.0f}MB", "prefix": prefix,
                "wall": f"{t:.2f}s", "target": "<2s", "met": "yes" if t < 2 else "NO"})
        courses = build(Shape(courses=2000))
        a = os.path.join(tmp, "a.json")
        b = os.path.join(tmp, "b.json")
        write_state(a, state_for(courses, names=True))
        changed, _ = churn(courses)
        for label, other in (("1% churn", state_for(changed, names=True)),
                             ("every course different", _shifted(state_for(courses)))):
            write_state(b, other)
            t = _inner([sys.executable, "-c", DIFF_OURS, a, b], repeat)
            line("state diff", {"memberships": 216_000, "case": label, "wall": f"{t:.2f}s",
                                "target": "<5s", "met": "yes" if t < 5 else "NO"})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _shifted(st):  # type: ignore[no-untyped-def]
    """Every course's members replaced (the worst case for a diff)."""
    for rec in st.courses.values():
        rec.students = {u + 1_000_000 for u in rec.students}
        rec.labels = {}
    return st
