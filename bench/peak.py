"""Run `python -m MODULE ...` or `python -c CODE ...` and report this process's
own peak memory (VmHWM) on stderr at exit, and the largest ru_maxrss of the
children it waited for.

ru_maxrss from wait4() is not usable for a child: Linux carries the forked copy
of the parent's resident pages into it across exec, so a benchmark holding a
large district in memory would inflate every child's figure. VmHWM belongs to
the new address space only.
"""

import atexit
import os
import resource
import runpy
import sys


def _report() -> None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    os.write(2, f"\n__PEAK_KB__ {line.split()[1]}\n".encode())
                    break
    except OSError:
        pass
    # children this process forked and waited for (none of ours today)
    kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    os.write(2, f"__CHILD_PEAK_KB__ {kb}\n".encode())


atexit.register(_report)
mode, target, *rest = sys.argv[1:]
if mode == "-m":
    sys.argv = [target, *rest]
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    sys.argv = ["-c", *rest]
    exec(compile(target, "<bench>", "exec"), {"__name__": "__main__"})
