"""The benchmark suite: `make bench` (or `python bench/run.py [--only NAME ...]`).

Each scenario prints one line of figures: wall time, peak memory, and the
ratio to its limit measured in the same run. Plans are timed as whole
processes (`eeo-reconcile plan ...`, output to /dev/null) against a bare
`yaml.load(f, Loader=yaml.CSafeLoader)` of the same files in a fresh process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from common import ROOT, bare_parse, best_of, machine  # noqa: E402
from district import Shape, build, write  # noqa: E402

from eeo_reconcile.model import LessonMember, Team  # noqa: E402
from eeo_reconcile.state.model import CourseRecord, GroupRecord, State  # noqa: E402

OUT = os.path.join(ROOT, "bench", "out")


def state_for(courses: dict[int, dict], sid: int = 2339736) -> State:
    """The state a complete apply of the district would have recorded."""
    st = State(lineage="00000000-0000-4000-8000-000000000000", serial=1, sid=sid)
    gid = 100_000
    for cid, c in courses.items():
        rec = CourseRecord()
        rec.students = set(c["students"])
        rec.auditors = {a["uid"]: a["name"] for a in c["auditors"]}
        rec.lessons = {
            lesson["id"]: {s["uid"]: LessonMember(s["name"], s.get("custom"))
                           for s in lesson["students"]}
            for lesson in c["lessons"] if lesson["students"]
        }
        for g in c.get("groups", []):
            gid += 1
            rec.groups[g["name"]] = GroupRecord(
                gid, tuple(Team(t["leader"], tuple(t["members"])) for t in g["teams"])
            )
        st.courses[cid] = rec
    return st


def prepare(shape: Shape, name: str) -> tuple[str, dict[int, dict]]:
    d = os.path.join(OUT, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    courses = build(shape)
    write(d, courses, shape)
    return d, courses


def write_state(path: str, state: State) -> None:
    with open(path, "wb") as fh:
        fh.write(state.dumps())


def plan_argv(config: str, state: str) -> list[str]:
    return [sys.executable, "-m", "eeo_reconcile", "plan", config, "--state", state,
            "--no-color"]


def line(name: str, figures: dict[str, str]) -> str:
    return f"{name:<28} " + "  ".join(f"{k}={v}" for k, v in figures.items())


def scenario_plans(shape: Shape, repeat: int) -> list[str]:
    """cold plan (empty state) and no-op plan (state equal to the config)."""
    d, courses = prepare(shape, f"district-{shape.memberships}")
    base = bare_parse(d, repeat)
    empty = os.path.join(d, "empty.state.json")
    full = os.path.join(d, "full.state.json")
    write_state(full, state_for(courses))
    out = [line("bare CSafeLoader parse", {
        "memberships": str(shape.memberships), "wall": f"{base.seconds:.3f}s",
        "peak": f"{base.peak_mb:.0f}MB",
    })]
    for label, state in (("cold plan", empty), ("no-op plan", full)):
        if os.path.exists(empty):
            os.unlink(empty)
        r = best_of(repeat, plan_argv(d, state))
        out.append(line(label, {
            "memberships": str(shape.memberships), "wall": f"{r.seconds:.3f}s",
            "peak": f"{r.peak_mb:.0f}MB", "ratio_to_parse": f"{r.seconds / base.seconds:.2f}x",
            "target": "<=1.50x", "exit": str(r.returncode),
        }))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--courses", type=int, default=2000)
    ap.add_argument("--students", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    print(f"# machine: {machine()}")
    shape = Shape(courses=a.courses, students=a.students)
    for text in scenario_plans(shape, a.repeat):
        print(text, flush=True)


if __name__ == "__main__":
    main()
