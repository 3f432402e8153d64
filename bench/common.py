"""Shared benchmark plumbing: fresh-process timing with peak memory."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


@dataclass
class Run:
    seconds: float
    peak_mb: float
    returncode: int
    stdout: bytes
    child_peak_mb: float = 0.0


PEAK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peak.py")


def run_process(argv: list[str], cwd: str | None = None, env: dict | None = None,
                stdout_to_null: bool = True) -> Run:
    """Run a command in a fresh process: wall time, and for Python commands
    (`python -m ...` / `python -c ...`) the process's own peak memory (VmHWM)."""
    if argv and argv[0] == sys.executable and len(argv) > 2 and argv[1] in ("-m", "-c"):
        argv = [sys.executable, PEAK, *argv[1:]]
    t0 = time.perf_counter()
    proc = subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL if stdout_to_null else subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seconds = time.perf_counter() - t0
    err = proc.stderr.decode(errors="replace")
    peak = child = 0.0
    for line in err.splitlines():
        if line.startswith("__PEAK_KB__ "):
            peak = int(line.split()[1]) / 1024.0
        elif line.startswith("__CHILD_PEAK_KB__ "):
            child = int(line.split()[1]) / 1024.0
    if proc.returncode not in (0, 2):
        sys.stderr.write(err[-2000:])
    return Run(seconds, peak, proc.returncode, proc.stdout or b"", child)


def best_of(n: int, argv: list[str], **kw) -> Run:
    runs = [run_process(argv, **kw) for _ in range(n)]
    return min(runs, key=lambda r: r.seconds)


BARE_PARSE = """
import sys, yaml
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as fh:
        yaml.load(fh, Loader=yaml.CSafeLoader)
"""


def yaml_files(root: str) -> list[str]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out.extend(os.path.join(dirpath, f) for f in sorted(filenames)
                   if f.endswith((".yaml", ".yml")))
    return out


def bare_parse(root: str, repeat: int = 3) -> Run:
    return best_of(repeat, [sys.executable, "-c", BARE_PARSE, *yaml_files(root)])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{cpu}, {os.cpu_count()} CPUs{mem}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")
