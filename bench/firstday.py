"""The first-day apply: a whole district applied from an empty state, as a
school's first apply after adopting the tool, against the sandbox with
latency, at several parallelisms. The sandbox's own CPU during the apply is
reported too: on a 2-core machine it competes with the client.

Each run is a fresh process (FIRSTDAY below) that loads the configuration,
plans against an empty state and then times only the executor: wall time,
the process's CPU time during the apply (user + system, all threads), and
its peak memory (VmHWM, planning included). The sandbox is a separate
process with a fresh world each time: the courses and lessons exist, empty,
and every pupil is a student of the school.

Calls sent are the sandbox's own count; the minimum is counted here from the
district alone: per course, students in batches of 30, auditors in batches of
20, each lesson's lesson-only students in batches of 30, and one creation per
grouping. Targets: calls sent = minimum; wall <= 1.15x calls x latency /
parallelism.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable

from common import run_process
from district import Shape, build, world_for, write

FIRSTDAY = """
import gc, json, os, sys, time
gc.freeze()  # as the eeo-reconcile process runs (cli/entry.py)
gc.disable()
from eeo_reconcile.apply import apply_plan
from eeo_reconcile.classin.client import ClassInClient
from eeo_reconcile.config.load import load_config
from eeo_reconcile.model import RetryPolicy, StateRef
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.state.local import LocalStore

config_dir, state_path, url, par = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
config = load_config(config_dir)
store = LocalStore(StateRef.of("local", path=state_path))
with store.lock("bench"):
    state = store.read()
    plan = make_plan(config, state)
    client = ClassInClient(url, config.school.sid, "bench-secret",
                           RetryPolicy(read_timeout=30), pool_size=par)
    t0, c0 = time.perf_counter(), os.times()
    result = apply_plan(plan, store, state, client, parallelism=par)
    wall, c1 = time.perf_counter() - t0, os.times()
    user, system = c1.user - c0.user, c1.system - c0.system
    client.close()
print(json.dumps({"wall": wall, "user": user, "system": system, "planned": len(plan.calls),
                  "ok": result.ok and not result.failures,
                  "failures": len(result.failures)}))
"""

BATCH = {"students": 30, "auditors": 20, "lesson": 30}


def minimum_calls(courses: dict[int, dict]) -> int:
    """The fewest calls that enrol the whole district, counted from the district."""
    n = 0
    for c in courses.values():
        n += -(-len(c["students"]) // BATCH["students"])
        n += -(-len(c["auditors"]) // BATCH["auditors"])
        n += sum(-(-len(le["students"]) // BATCH["lesson"]) for le in c["lessons"])
        n += len(c.get("groups", []))
    return n


def _cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system; Linux /proc, else 0)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def scenario_firstday(shape: Shape, parallelisms: list[int], latency_ms: float,
                      out: str, line: Callable[[str, dict[str, object]], str]) -> None:
    from sandbox_proc import start_sandbox

    courses = build(shape)
    least = minimum_calls(courses)
    d = os.path.join(out, "firstday")
    if os.path.isdir(d):
        shutil.rmtree(d)
    write(d, courses, shape)
    tmp = tempfile.mkdtemp(prefix="eeo-firstday-")
    world = os.path.join(tmp, "world.json")
    with open(world, "w", encoding="utf-8") as fh:
        json.dump(world_for(courses, applied=False), fh)
    del courses
    try:
        for par in parallelisms:
            sb = start_sandbox(world, latency_ms)
            try:
                state = os.path.join(tmp, f"p{par}.state.json")
                cpu0 = _cpu_seconds(sb.proc.pid)
                r = run_process([sys.executable, "-c", FIRSTDAY, d, state, sb.url, str(par)],
                                stdout_to_null=False)
                sent = sb.stats()["total"]
                sandbox_cpu = _cpu_seconds(sb.proc.pid) - cpu0
            finally:
                sb.stop()
            got = json.loads(r.stdout.decode().strip().splitlines()[-1])
            ideal = sent * latency_ms / 1000.0 / par
            ratio = got["wall"] / ideal
            line(f"first-day apply parallelism={par}", {
                "memberships": shape.memberships, "calls_sent": sent,
                "min_calls": least, "calls_met": "yes" if sent == least else "NO",
                "wall": f"{got['wall']:.2f}s", "ideal": f"{ideal:.2f}s",
                "ratio": f"{ratio:.2f}x", "target": "<=1.15x",
                "met": "yes" if ratio <= 1.15 else "NO",
                "client_cpu": f"{got['user'] + got['system']:.2f}s "
                              f"(user {got['user']:.2f}s, system {got['system']:.2f}s)",
                "cpu_per_call": f"{(got['user'] + got['system']) / max(sent, 1) * 1000:.2f}ms",
                "peak": f"{r.peak_mb:.0f}MB",
                # the sandbox runs on the same cores: its CPU is taken from the client's
                "sandbox_cpu": f"{sandbox_cpu:.2f}s ({sandbox_cpu / max(sent, 1) * 1000:.2f}ms "
                               "a call)",
                "all_ok": "yes" if got["ok"] else f"NO ({got['failures']} failures)",
            })
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
