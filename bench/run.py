"""The benchmark suite: `make bench`, or `python bench/run.py [--only NAME ...]`.

Scenarios (one line of figures each; every ratio is against a limit measured
in the same run on the same files):

  plans    cold plan (empty state), no-op plan (state = config), churn plan
           (1% of memberships changed) at 216,000 and 1,000,000 memberships, in
           every output format (text, markdown, json, --out, show, show --format
           json; bench/formats.py): whole processes vs a bare
           `yaml.load(f, Loader=yaml.CSafeLoader)` of the same files in a fresh
           process (target <= 1.0x) and vs the text plan (json <= 1.15x and 2x
           peak, --out <= 1.2x, show <= 1.0x).
  apply    the churn applied against a sandbox with 20 ms latency, at
           parallelism 1, 4 and 16: calls sent vs the minimum (counted by the
           churn generator, not the planner; target: equal) and the executor's
           wall time vs calls x latency / parallelism (target <= 1.3x at 16).
  firstday a whole 216,000-membership district applied from an empty state
           against a sandbox with 50 ms latency at parallelism 16 and 64 (fresh
           processes; bench/firstday.py): calls sent = the minimum, wall <= 1.15x
           calls x latency / parallelism, client CPU and peak memory reported.
  backpressure  the churn at parallelism 16 against a sandbox that answers 464
           beyond 4 requests in flight: extra requests <= 10% of the minimum,
           wall <= 1.3x of calls x latency / 4 (the client adapts, AIMD).
  import   `eeo-reconcile import` of a 1,000,000-row roster CSV vs csv.reader over
           it plus writing the resulting state (target <= 3.5x).
  convert  `eeo-reconcile convert oneroster` of 200,000 students / 1,000,000
           enrollments vs csv.reader over the CSVs plus yaml.CSafeDumper writing
           the same files (target <= 2x, peak < 2 GB; bench/convert.py).
  audit    `history PREFIX` over 1,000,000 entries (target < 2 s) and `state diff`
           of two 216,000-membership states (target < 5 s; bench/audit.py).
  scaling  cold and no-op plan at 20,000, 200,000 and 1,000,000 memberships:
           the exponent of time against size (target <= 1.1) and peak memory
           (target < 1.5 GB at 1,000,000).
  state    a 1,000,000-membership state loaded and saved vs json.load /
           json.dump of the same document (target < 2x); and the postgres
           backend reading 200,000 memberships vs the local file.

Figures go to stdout; bench/RESULTS.md keeps a dated copy with the machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import shutil
import sys
import tempfile
import time

from audit import scenario_audit  # noqa: E402
from common import ROOT, bare_parse, best_of, machine, run_process  # noqa: E402
from convert import scenario_convert  # noqa: E402
from district import Shape, build, churn, world_for, write  # noqa: E402
from firstday import scenario_firstday  # noqa: E402
from formats import format_matrix  # noqa: E402

from eeo_reconcile.model import LessonMember, Team  # noqa: E402
from eeo_reconcile.state import codec  # noqa: E402
from eeo_reconcile.state.model import State  # noqa: E402
from eeo_reconcile.state.records import CourseRecord, GroupRecord  # noqa: E402

OUT = os.path.join(ROOT, "bench", "out")
LINEAGE = "00000000-0000-4000-8000-000000000000"


def group_ids(courses: dict[int, dict]) -> dict[tuple[int, str], int]:
    ids = {}
    n = 100_000
    for cid in sorted(courses):
        for g in courses[cid].get("groups", []):
            n += 1
            ids[(cid, g["name"])] = n
    return ids


def state_for(courses: dict[int, dict], sid: int = 2339736, names: bool = False) -> State:
    """The state a complete apply of the district would have recorded; `names`:
    with a label for every student and the names of courses and lessons (the
    worst case for the state's size)."""
    st = State(lineage=LINEAGE, serial=1, sid=sid)
    gids = group_ids(courses)
    for cid, c in courses.items():
        rec = CourseRecord()
        rec.students = set(c["students"])
        rec.auditors = {a["uid"]: a["name"] for a in c["auditors"]}
        rec.lessons = {
            lesson["id"]: {s["uid"]: LessonMember(s["name"], s.get("custom"))
                           for s in lesson["students"]}
            for lesson in c["lessons"] if lesson["students"]
        }
        if names:
            rec.name = c["name"]
            rec.labels = {u: f"学生{u % 9973}" for u in rec.students}
            rec.lesson_names = {lid: f"Week {lid % 40}" for lid in rec.lessons}
        for g in c.get("groups", []):
            rec.groups[g["name"]] = GroupRecord(
                gids[(cid, g["name"])],
                tuple(Team(t["leader"], tuple(t["members"])) for t in g["teams"]),
            )
        st.courses[cid] = rec
    return st


def prepare(shape: Shape, name: str, courses: dict[int, dict] | None = None) -> str:
    d = os.path.join(OUT, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    write(d, courses if courses is not None else build(shape), shape)
    return d


def write_state(path: str, state: State) -> None:
    with open(path, "wb") as fh:
        fh.write(codec.dumps(state))


def plan_argv(config: str, state: str) -> list[str]:
    return [sys.executable, "-m", "eeo_reconcile", "plan", config, "--state", state,
            "--no-color"]


def line(name: str, figures: dict[str, object]) -> str:
    text = f"{name:<30} " + "  ".join(f"{k}={v}" for k, v in figures.items())
    print(text, flush=True)
    return text


# -- scenarios -------------------------------------------------------------------------


def scenario_plans(shape: Shape, repeat: int) -> None:
    """Cold, no-op and churn plans in every output format (bench/formats.py),
    and the churn plan's changes and calls against the generator's own count."""
    courses = build(shape)
    n = shape.memberships
    tag = "" if n < 500_000 else f"-{n}"
    d = prepare(shape, f"plans{tag}", courses)
    empty = os.path.join(OUT, "empty.state.json")
    full = os.path.join(OUT, f"plans{tag}.state.json")
    write_state(full, state_for(courses))
    if os.path.exists(empty):
        os.unlink(empty)
    planfile = os.path.join(OUT, f"saved{tag}.plan")
    size = f"{n:,}"
    format_matrix(f"cold {size}", d, empty, planfile, repeat, line, n)
    format_matrix(f"no-op {size}", d, full, planfile, repeat, line, n)
    changed, stats = churn(courses)
    del courses
    d2 = prepare(shape, f"plans-churn{tag}", changed)
    format_matrix(f"churn {size}", d2, full, planfile, repeat, line, n)
    r = run_process(plan_argv(d2, full) + ["--format", "json"], stdout_to_null=False)
    plan = json.loads(r.stdout)
    line(f"churn {size}: counts", {
        "changes": len(plan["changes"]), "expected_changes": stats.changes,
        "calls": plan["summary"]["calls"], "min_calls": stats.min_calls,
        "met": "yes" if (len(plan["changes"]), plan["summary"]["calls"])
        == (stats.changes, stats.min_calls) else "NO",
    })


def scenario_apply(shape: Shape, parallelisms: list[int], latency_ms: float) -> None:
    """The churn against a sandbox process with latency, through the library's
    executor (the planning of 200,000 memberships is timed by `plans`)."""
    from sandbox_proc import start_sandbox

    from eeo_reconcile.apply import apply_plan
    from eeo_reconcile.classin.client import ClassInClient
    from eeo_reconcile.config.load import load_config
    from eeo_reconcile.model import RetryPolicy, StateRef
    from eeo_reconcile.plan.diff import make_plan
    from eeo_reconcile.state.local import LocalStore

    courses = build(shape)
    changed, stats = churn(courses)
    d = prepare(shape, "apply-churn", changed)
    tmp = tempfile.mkdtemp(prefix="eeo-bench-")
    world = os.path.join(tmp, "world.json")
    with open(world, "w", encoding="utf-8") as fh:
        json.dump(world_for(courses, group_ids=group_ids(courses)), fh)
    sb = start_sandbox(world, latency_ms)
    try:
        config = load_config(d)
        before = state_for(courses)
        for par in parallelisms:
            sb.reset()
            path = os.path.join(tmp, f"p{par}.state.json")
            if os.path.exists(path):
                os.unlink(path)
            store = LocalStore(StateRef.of("local", path=path))
            with store.lock("bench"):
                store.store_exact(before.copy())
                state = store.read()
                plan = make_plan(config, state)
                client = ClassInClient(sb.url, 2339736, "bench-secret",
                                       RetryPolicy(read_timeout=30), pool_size=par)
                t0 = time.perf_counter()
                result = apply_plan(plan, store, state, client, parallelism=par)
                wall = time.perf_counter() - t0
                client.close()
            sent = sb.stats()["total"]
            ideal = sent * latency_ms / 1000.0 / par
            ratio = wall / ideal
            ok = result.ok and not result.failures
            target = "<=1.30x" if par == 16 else "-"
            line(f"apply parallelism={par}", {
                "calls_sent": sent, "min_calls": stats.min_calls,
                "calls_met": "yes" if sent == stats.min_calls else "NO",
                "wall": f"{wall:.2f}s", "ideal": f"{ideal:.2f}s", "ratio": f"{ratio:.2f}x",
                "target": target,
                "met": ("yes" if ratio <= 1.3 else "NO") if par == 16 else "-",
                "all_ok": "yes" if ok else f"NO ({len(result.failures)} failures)",
            })
    finally:
        sb.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def scenario_backpressure(shape: Shape, parallelism: int, max_concurrent: int,
                          latency_ms: float) -> None:
    """ClassIn refusing a concurrent add of one course's students (464, beyond
    `max_concurrent` of them for that course): apply never sends two calls to one
    course at once, so the churn at a high parallelism draws no 464 at all and
    runs at the parallelism: extra requests <= 10% of the minimum, wall <= 1.3x
    of calls x latency / parallelism (ClassIn's 464 is per course; before
    2026-12-08 the sandbox answered it beyond N requests in flight in total,
    and the client shrank its parallelism for everyone)."""
    from sandbox_proc import start_sandbox

    from eeo_reconcile.apply import apply_plan
    from eeo_reconcile.classin.client import ClassInClient
    from eeo_reconcile.config.load import load_config
    from eeo_reconcile.model import RetryPolicy, StateRef
    from eeo_reconcile.plan.diff import make_plan
    from eeo_reconcile.state.local import LocalStore

    courses = build(shape)
    changed, stats = churn(courses)
    d = prepare(shape, "apply-backpressure", changed)
    tmp = tempfile.mkdtemp(prefix="eeo-bench-")
    world = os.path.join(tmp, "world.json")
    with open(world, "w", encoding="utf-8") as fh:
        json.dump(world_for(courses, group_ids=group_ids(courses)), fh)
    sb = start_sandbox(world, latency_ms, "--max-concurrent", str(max_concurrent))
    try:
        config = load_config(d)
        store = LocalStore(StateRef.of("local", path=os.path.join(tmp, "s.json")))
        with store.lock("bench"):
            store.store_exact(state_for(courses))
            state = store.read()
            plan = make_plan(config, state)
            client = ClassInClient(sb.url, 2339736, "bench-secret",
                                   RetryPolicy(read_timeout=30), pool_size=parallelism)
            t0 = time.perf_counter()
            result = apply_plan(plan, store, state, client, parallelism=parallelism)
            wall = time.perf_counter() - t0
            client.close()
        st = sb.stats()
        extra = st["total"] - stats.min_calls
        ideal = stats.min_calls * latency_ms / 1000.0 / parallelism
        line(f"backpressure p={parallelism} max={max_concurrent}", {
            "requests": st["total"], "min_calls": stats.min_calls,
            "extra": f"{extra} ({100.0 * extra / stats.min_calls:.1f}%)",
            "answered_464": st["congested"],
            "peak_in_flight": st["peak_in_flight"],
            "wall": f"{wall:.2f}s", "ideal": f"{ideal:.2f}s", "ratio": f"{wall / ideal:.2f}x",
            "target": "extra<=10%, <=1.30x",
            "met": "yes" if extra <= 0.1 * stats.min_calls and wall <= 1.3 * ideal
            and st["congested"] == 0 else "NO",
            "all_ok": "yes" if result.ok else f"NO ({len(result.failures)} failures)",
        })
    finally:
        sb.stop()
        shutil.rmtree(tmp, ignore_errors=True)


# with argv[4] and argv[5]: also write the history the import wrote (argv[4], read
# beforehand) to argv[5], fsync'd: the I/O the audit history (a line a member) demands
IMPORT_BASE = """
import csv, os, sys, time
from eeo_reconcile.state import codec
with open(sys.argv[2], 'rb') as fh:
    state = codec.loads(fh.read())  # the state the import writes, built beforehand
history = None
if len(sys.argv) > 5:
    with open(sys.argv[4], 'rb') as fh:
        history = fh.read()
t = time.perf_counter()
with open(sys.argv[1], newline='', encoding='utf-8') as fh:
    for row in csv.reader(fh):
        pass
with open(sys.argv[3], 'wb') as fh:
    fh.write(codec.dumps(state))
if history is not None:
    with open(sys.argv[5], 'wb') as fh:
        fh.write(history)
        fh.flush()
        os.fsync(fh.fileno())
print(time.perf_counter() - t)
"""
IMPORT_OURS = """
import sys, time
from eeo_reconcile.cli import run as main
t = time.perf_counter()
main(["import", sys.argv[1], "--state", sys.argv[2]], standalone_mode=False)
print(time.perf_counter() - t)
"""


def roster_csv(path: str, courses: int, seed: int = 1) -> int:
    """A roster export of `courses` courses x 100 memberships (94 students with
    names, 2 auditors, 4 lesson students)."""
    rnd = random.Random(seed)
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["course_id", "role", "uid", "name", "lesson_id", "custom"])
        for c in range(courses):
            cid = 500000 + c
            uids = rnd.sample(range(10_000_000, 10_100_000), 100)
            rows = [[cid, "student", u, f"学生{u % 10000}", "", ""] for u in uids[:94]]
            rows += [[cid, "auditor", u, f"家长{u % 1000}", "", ""] for u in uids[94:96]]
            rows += [[cid, "lesson_student", u, f"插{u % 100}", 9000000 + c, "C-1"]
                     for u in uids[96:]]
            w.writerows(rows)
            n += len(rows)
    return n


def scenario_import(courses: int, repeat: int) -> None:
    """`eeo-reconcile import` of a roster export vs reading it with csv.reader and
    writing the resulting state (target <= 3x)."""
    tmp = tempfile.mkdtemp(prefix="eeo-bench-import-")
    try:
        csv_path = os.path.join(tmp, "export.csv")
        rows = roster_csv(csv_path, courses)
        state = os.path.join(tmp, "s.json")
        argv = [sys.executable, "-m", "eeo_reconcile", "import", csv_path, "--state", state]

        def clean() -> None:
            for f in os.listdir(tmp):
                if f.startswith(("s.", ".s.")):  # the state, its backup, history, lock
                    os.unlink(os.path.join(tmp, f))

        clean()
        whole = run_process(argv)  # the whole command, for its peak memory
        times = []
        for _ in range(repeat):  # timed after the imports, as the baseline is
            clean()
            times.append(_timed_inner([sys.executable, "-c", IMPORT_OURS, csv_path, state], 1))
        ours = min(times)
        base = _timed_inner([sys.executable, "-c", IMPORT_BASE, csv_path, state,
                             os.path.join(tmp, "b.json")], repeat)
        history = os.path.join(tmp, "s.history.jsonl")
        base_h = _timed_inner([sys.executable, "-c", IMPORT_BASE, csv_path, state,
                               os.path.join(tmp, "b.json"), history,
                               os.path.join(tmp, "b.history.jsonl")], repeat)
        size = os.path.getsize(csv_path) / 1e6
        line("import roster CSV", {
            "rows": rows, "file": f"{size:.0f}MB", "ours": f"{ours:.2f}s",
            "whole process": f"{whole.seconds:.2f}s", "peak": f"{whole.peak_mb:.0f}MB",
            "history": f"{os.path.getsize(history) / 1e6:.0f}MB",
            "csv.reader+write state": f"{base:.2f}s", "ratio": f"{ours / base:.2f}x",
            "target": "<=3.5x", "met": "yes" if ours <= 3.5 * base else "NO",
            "+write history": f"{base_h:.2f}s", "ratio_with_history": f"{ours / base_h:.2f}x"})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def scenario_scaling(sizes: list[int], repeat: int) -> None:
    rows = []
    for courses in sizes:
        shape = Shape(courses=courses)
        data = build(shape)
        d = prepare(shape, f"scale-{shape.memberships}", data)
        full = os.path.join(OUT, f"scale-{shape.memberships}.state.json")
        write_state(full, state_for(data))
        empty = os.path.join(OUT, "empty.state.json")
        base = bare_parse(d, 1 if shape.memberships > 500_000 else repeat)
        reps = 1 if shape.memberships > 500_000 else repeat
        cold = best_of(reps, plan_argv(d, empty))
        noop = best_of(reps, plan_argv(d, full))
        rows.append((shape.memberships, cold, noop, base))
        line(f"scale {shape.memberships}", {
            "cold": f"{cold.seconds:.2f}s", "cold_peak": f"{cold.peak_mb:.0f}MB",
            "noop": f"{noop.seconds:.2f}s", "noop_peak": f"{noop.peak_mb:.0f}MB",
            "bare_parse": f"{base.seconds:.2f}s",
            "cold_ratio": f"{cold.seconds / base.seconds:.2f}x",
            "noop_ratio": f"{noop.seconds / base.seconds:.2f}x",
        })
        del data
    if len(rows) >= 2:
        xs = [math.log(r[0]) for r in rows]
        for label, idx in (("cold", 1), ("no-op", 2)):
            ys = [math.log(r[idx].seconds) for r in rows]
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
                (x - mx) ** 2 for x in xs)
            peak = max(r[idx].peak_mb for r in rows)
            steps = ", ".join(
                f"{a[0]}->{b[0]}: "
                f"{math.log(b[idx].seconds / a[idx].seconds) / math.log(b[0] / a[0]):.3f}"
                for a, b in zip(rows, rows[1:], strict=False))
            line(f"scaling exponent ({label})", {
                "sizes": "/".join(str(r[0]) for r in rows), "exponent": f"{slope:.3f}",
                "per_step": f"[{steps}]",
                "target": "<=1.10", "met": "yes" if slope <= 1.1 else "NO",
                "peak_at_largest": f"{peak:.0f}MB", "peak_target": "<1536MB",
                "peak_met": "yes" if peak < 1536 else "NO",
            })


# Each side runs in a fresh process and times only the load or the save itself
# (after its imports); the best of N runs is kept. Ours runs as the eeo-reconcile
# process does (cli/entry.py: what the imports made frozen, the collector off);
# the library itself never touches the collector.
AS_THE_CLI = "import gc\ngc.freeze()\ngc.disable()\n"
LOAD_BASE = ("import json, sys, time\nt = time.perf_counter()\n"
             "with open(sys.argv[1]) as f: json.load(f)\nprint(time.perf_counter() - t)")
LOAD_OURS = (AS_THE_CLI + "import sys, time\nfrom eeo_reconcile.model import StateRef\n"
             "from eeo_reconcile.state.local import LocalStore\n"
             "s = LocalStore(StateRef.of('local', path=sys.argv[1]))\n"
             "with s.lock('bench'):\n    t = time.perf_counter(); s.read()\n"
             "    print(time.perf_counter() - t)")
SAVE_BASE = ("import json, sys, time\nwith open(sys.argv[1]) as f: d = json.load(f)\n"
             "t = time.perf_counter()\n"
             "with open(sys.argv[2], 'w') as f: json.dump(d, f)\n"
             "print(time.perf_counter() - t)")
SAVE_OURS = (AS_THE_CLI + "import sys, time\nfrom eeo_reconcile.model import StateRef\n"
             "from eeo_reconcile.state.local import LocalStore\n"
             "s = LocalStore(StateRef.of('local', path=sys.argv[1]))\n"
             "t = LocalStore(StateRef.of('local', path=sys.argv[2]))\n"
             "with s.lock('bench'): st = s.read()\n"
             "with t.lock('bench'):\n    t0 = time.perf_counter(); t.store_exact(st)\n"
             "    print(time.perf_counter() - t0)")


def _timed_inner(argv: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        r = run_process(argv, stdout_to_null=False)
        best = min(best, float(r.stdout.decode().strip().splitlines()[-1]))
    return best


def scenario_state(repeat: int, big_courses: int = 10_000, pg_courses: int = 2000) -> None:
    courses = build(Shape(courses=big_courses))
    for label, names in (("", False), (" with names", True)):
        st = state_for(courses, names=names)
        tmp = tempfile.mkdtemp(prefix="eeo-bench-state-")
        try:
            path = os.path.join(tmp, "big.state.json")
            write_state(path, st)
            n = st.membership_count()
            py = sys.executable
            base_load = _timed_inner([py, "-c", LOAD_BASE, path], repeat)
            our_load = _timed_inner([py, "-c", LOAD_OURS, path], repeat)
            base_save = _timed_inner([py, "-c", SAVE_BASE, path, os.path.join(tmp, "b.json")],
                                     repeat)
            our_save = _timed_inner([py, "-c", SAVE_OURS, path, os.path.join(tmp, "o.json")],
                                    repeat)
            size = os.path.getsize(path) / 1e6
            line(f"state load (local){label}", {
                "memberships": n, "file": f"{size:.0f}MB", "ours": f"{our_load:.3f}s",
                "json.load": f"{base_load:.3f}s", "ratio": f"{our_load / base_load:.2f}x",
                "target": "<=2x", "met": "yes" if our_load <= 2 * base_load else "NO"})
            line(f"state save (local){label}", {
                "memberships": n, "ours": f"{our_save:.3f}s", "json.dump": f"{base_save:.3f}s",
                "ratio": f"{our_save / base_save:.2f}x", "target": "<=1x",
                "met": "yes" if our_save <= base_save else "NO",
                "note": "ours includes fsync+rename+backup"})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    scenario_pg_read(pg_courses, repeat)


def scenario_pg_read(courses: int, repeat: int) -> None:
    sys.path.insert(0, ROOT)
    try:
        from tests.pg import PgCluster
    except Exception as exc:  # pragma: no cover
        line("state read (postgres)", {"skipped": repr(exc)})
        return
    from eeo_reconcile.model import StateRef
    from eeo_reconcile.state.local import LocalStore
    from eeo_reconcile.state.postgres import PostgresStore

    st = state_for(build(Shape(courses=courses)))
    n = st.membership_count()
    cluster = PgCluster()
    tmp = tempfile.mkdtemp(prefix="eeo-bench-pg-")
    try:
        pg = PostgresStore(StateRef.of("postgres", workspace="bench"), cluster.dsn())
        with pg.lock("bench"):
            t0 = time.perf_counter()
            pg.store_exact(st.copy())
            write_s = time.perf_counter() - t0
        local = LocalStore(StateRef.of("local", path=os.path.join(tmp, "s.json")))
        with local.lock("bench"):
            local.store_exact(st.copy())
        pg_read = local_read = float("inf")
        for _ in range(repeat):
            with pg.lock("bench"):
                t0 = time.perf_counter()
                got = pg.read()
                pg_read = min(pg_read, time.perf_counter() - t0)
            with local.lock("bench"):
                t0 = time.perf_counter()
                local.read()
                local_read = min(local_read, time.perf_counter() - t0)
        assert got.same_content(st)
        # one recorded result: one small transaction, whatever the state's size
        from eeo_reconcile.state.ops import OpKind, StateOp

        with pg.lock("bench"):
            j = pg.open_journal(pg.read())
            t0 = time.perf_counter()
            for i in range(200):
                j.record([StateOp(OpKind.ADD_STUDENTS, 1, uids=(i + 1,))])
            per_op = (time.perf_counter() - t0) / 200
        pg.close()
        line("state read (postgres)", {
            "memberships": n, "postgres": f"{pg_read:.3f}s", "local": f"{local_read:.3f}s",
            "ratio": f"{pg_read / local_read:.2f}x", "full_write": f"{write_s:.2f}s",
            "record_one_result": f"{per_op * 1000:.2f}ms"})
    finally:
        cluster.destroy()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", action="append",
                    choices=["plans", "apply", "firstday", "backpressure", "import", "convert",
                             "audit", "scaling", "state"],
                    help="run only these scenarios (repeatable)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs (plans)")
    ap.add_argument("--quick", action="store_true",
                    help="smaller sizes: 20k/100k scaling, no 1M (a smoke run)")
    ap.add_argument("--latency-ms", type=float, default=20.0)
    a = ap.parse_args()
    only = set(a.only or ["plans", "apply", "firstday", "backpressure", "import", "convert",
                          "audit", "scaling", "state"])
    os.makedirs(OUT, exist_ok=True)
    print(f"# machine: {machine()}")
    print(f"# date: {time.strftime('%Y-%m-%d %H:%M')}")
    if "plans" in only:
        scenario_plans(Shape(courses=2000), a.repeat)
        if not a.quick:
            scenario_plans(Shape(courses=9260), 2)
    if "apply" in only:
        scenario_apply(Shape(courses=2000), [1, 4, 16], a.latency_ms)
    if "firstday" in only:
        scenario_firstday(Shape(courses=200 if a.quick else 2000), [16, 64], 50.0, OUT, line)
    if "backpressure" in only:
        scenario_backpressure(Shape(courses=2000), 16, 1, a.latency_ms)
    if "import" in only:
        scenario_import(1000 if a.quick else 10_000, a.repeat)
    if "convert" in only:
        scenario_convert(a.repeat, line, _timed_inner)
    if "audit" in only:
        scenario_audit(a.repeat, line, state_for, write_state)
    if "scaling" in only:
        scenario_scaling([185, 925] if a.quick else [185, 1850, 9260], a.repeat)
    if "state" in only:
        scenario_state(a.repeat, big_courses=2000 if a.quick else 9260)


if __name__ == "__main__":
    main()
