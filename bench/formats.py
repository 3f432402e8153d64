"""Every output format of a plan, timed as whole processes against the bare
`yaml.load(..., CSafeLoader)` parse of the same files and against the text plan.

For each state (cold: empty state; no-op: state = config; churn: 1% of the
memberships changed) the matrix runs

  text        eeo-reconcile plan CONFIG --state S
  markdown    ... --format markdown
  json        ... --format json
  out         ... --out FILE              (prints the text plan and saves FILE)
  show        eeo-reconcile show FILE
  show-json   eeo-reconcile show FILE --format json

Targets (issue 15): every row <= 1.0x the bare parse; json and show-json <= 1.15x
the text plan's wall and <= 2x its peak; out <= 1.2x the text plan; show <= 1.0x
the text plan. Output goes to /dev/null for every row alike.

`plan --out` renders the plan, then writes the file, in one process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from common import Run, bare_parse, best_of

# name -> (extra plan arguments, or None for `show`; target vs text: wall, peak)
FORMATS: dict[str, tuple[list[str] | None, float | None, float | None]] = {
    "text": ([], None, None),
    "markdown": (["--format", "markdown"], None, None),
    "json": (["--format", "json"], 1.15, 2.0),
    "out": (["--out", "{plan}"], 1.2, None),
    "show": (None, 1.0, None),
    "show-json": (None, 1.15, 2.0),
}


def _argv(name: str, config: str, state: str, planfile: str) -> list[str]:
    extra, _, _ = FORMATS[name]
    if extra is None:
        argv = [sys.executable, "-m", "eeo_reconcile", "show", planfile, "--no-color"]
        return argv + (["--format", "json"] if name == "show-json" else [])
    return [sys.executable, "-m", "eeo_reconcile", "plan", config, "--state", state,
            "--no-color", *[a.replace("{plan}", planfile) for a in extra]]


def format_matrix(label: str, config: str, state: str, planfile: str, repeat: int,
                  line: Callable[[str, dict[str, object]], str],
                  memberships: int) -> dict[str, Run]:
    """Time every format for one (config, state); print a line per format."""
    base = bare_parse(config, repeat)
    line(f"{label}: bare CSafeLoader parse", {"memberships": memberships,
                                              "wall": f"{base.seconds:.3f}s",
                                              "peak": f"{base.peak_mb:.0f}MB"})
    runs: dict[str, Run] = {}
    for name in FORMATS:  # `out` runs before `show`: it makes the file show reads
        runs[name] = best_of(repeat, _argv(name, config, state, planfile))
    text = runs["text"]
    for name, r in runs.items():
        _, wall_t, peak_t = FORMATS[name]
        vs_bare = r.seconds / base.seconds
        figures: dict[str, object] = {
            "wall": f"{r.seconds:.3f}s", "peak": f"{r.peak_mb:.0f}MB",
            "vs_bare": f"{vs_bare:.2f}x", "bare_met": "yes" if vs_bare <= 1.0 else "NO",
        }
        if name == "out":
            figures["child_peak"] = f"{r.child_peak_mb:.0f}MB"
            figures["file"] = f"{os.path.getsize(planfile) / 1e6:.1f}MB"
        if wall_t is not None:
            ratio = r.seconds / text.seconds
            figures["vs_text"] = f"{ratio:.2f}x (<={wall_t:.2f}x)"
            ok = ratio <= wall_t
            if peak_t is not None:
                pr = r.peak_mb / text.peak_mb
                figures["peak_vs_text"] = f"{pr:.2f}x (<={peak_t:.0f}x)"
                ok = ok and pr <= peak_t
            figures["text_met"] = "yes" if ok else "NO"
        figures["exit"] = r.returncode
        line(f"{label}: {name}", figures)
    return runs
