"""A first day with registration (issue 23): 20,000 new pupils without a ClassIn
account, each in 10 of 2,000 courses (200,000 memberships), against the sandbox
at 50 ms a call, parallelism 16. The minimum is ceil(20,000 / 10) registerMultiple
calls plus the course calls of 2,000 courses of 100 students (30 a call); the
wall time is compared with calls x latency / parallelism, and the plan of that
configuration with a bare yaml.CSafeLoader parse of the same file.

    python bench/newpupils.py [PUPILS] [COURSES]
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from sandbox_proc import start_sandbox  # noqa: E402

LATENCY_MS, PARALLELISM, PER_PUPIL = 50.0, 16, 10


def config_text(pupils: int, courses: int) -> str:
    lines = ["school:", "  sid: 2339736", "  accounts: {register: true}",
             "state: {path: eeo.state.json}", "people:"]
    lines += [f"  - {{key: S{i}, account: '139{i:08d}', name: Pupil {i}}}"
              for i in range(pupils)]
    lines.append("courses:")
    per_course = pupils * PER_PUPIL // courses
    for c in range(courses):
        lines.append(f"  - id: {100000 + c}")
        first = c * per_course // PER_PUPIL
        keys = [f"S{(first + j) % pupils}" for j in range(per_course)]
        lines.append("    students: [" + ", ".join(f"{{person: {k}}}" for k in keys) + "]")
    return "\n".join(lines) + "\n"


def main() -> None:
    pupils = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    courses = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
    tmp = tempfile.mkdtemp(prefix="eeo-newpupils-")
    try:
        cfg = os.path.join(tmp, "cfg")
        os.makedirs(cfg)
        with open(os.path.join(cfg, "school.yaml"), "w", encoding="utf-8") as fh:
            fh.write(config_text(pupils, courses))
        world = {"school": {"sid": 2339736, "secret": "sandbox-secret"},
                 "courses": [{"id": 100000 + c, "capacity": 100000} for c in range(courses)]}
        wpath = os.path.join(tmp, "world.json")
        with open(wpath, "w", encoding="utf-8") as fh:
            json.dump(world, fh)
        per_course = pupils * PER_PUPIL // courses
        least = math.ceil(pupils / 10) + courses * math.ceil(per_course / 30)
        env = {**os.environ, "EEO_SECRET": "sandbox-secret"}
        cli = [sys.executable, "-m", "eeo_reconcile"]
        t0 = time.perf_counter()
        subprocess.run([*cli, "plan", cfg, "--summary"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        plan_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sys, yaml; yaml.load(open(sys.argv[1], "
                        "'rb'), Loader=yaml.CSafeLoader)", os.path.join(cfg, "school.yaml")],
                       check=True)
        parse_s = time.perf_counter() - t0
        print(f"plan {plan_s:.2f}s, bare CSafeLoader {parse_s:.2f}s: "
              f"{plan_s / parse_s:.2f}x (target <= 1.0x)")
        sb = start_sandbox(wpath, LATENCY_MS)
        try:
            env["EEO_API_URL"] = sb.url
            t0 = time.perf_counter()
            r = subprocess.run([*cli, "apply", cfg, "--auto-approve", "--parallelism",
                                str(PARALLELISM), "--format", "json"], env=env,
                               capture_output=True, text=True)
            wall = time.perf_counter() - t0
            sent = sb.stats()["total"]
        finally:
            sb.stop()
        report = json.loads(r.stdout) if r.stdout.strip() else {}
        ideal = sent * LATENCY_MS / 1000.0 / PARALLELISM
        print(f"apply: {pupils} pupils, {pupils * PER_PUPIL} memberships, {sent} calls "
              f"(minimum {least}: {'yes' if sent == least else 'NO'}), {wall:.2f}s, ideal "
              f"{ideal:.2f}s: {wall / ideal:.2f}x (target <= 1.15x); ok "
              f"{report.get('ok')}, exit {r.returncode}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
