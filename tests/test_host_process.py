"""The library never changes its host process: the collector, the signal
handlers and the working directory are as the caller left them after loading,
planning and applying from Python. Only the CLI's entry point tunes its own
process."""

import json
import subprocess
import sys
import textwrap

import pytest

from tests.e2e import E2E
from tests.sandbox_proc import world_doc

COURSES = """
courses:
  - id: 523689
    name: Algebra
    students: [11, 12, 13]
    auditors: [{uid: 21, name: Aud 21}]
    lessons:
      - id: 1419695
        students: [{uid: 50, name: Fifty, custom: A-1}]
    groups:
      - name: A
        teams: [{leader: 11, members: [12]}]
"""

SCRIPT = textwrap.dedent("""
    import gc, json, os, signal, sys
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    cwd = os.getcwd()
    from eeo_reconcile import load_config, open_config_store, plan_config
    from eeo_reconcile.workflow import ApplyOptions, apply_config
    config = load_config(sys.argv[1])
    store = open_config_store(config)
    plan = plan_config(config, store)
    outcome = apply_config(config, store, options=ApplyOptions())
    again = plan_config(config, store)
    print(json.dumps({
        "freeze": gc.get_freeze_count(), "enabled": gc.isenabled(),
        "handlers": all(signal.getsignal(s) is h for s, h in handlers.items()),
        "cwd": os.getcwd() == cwd, "planned": len(plan.calls),
        "ok": outcome.ok, "again": len(again.calls),
    }))
""")


@pytest.fixture
def env(tmp_path):
    e = E2E(tmp_path, world_doc())
    yield e
    e.close()


def test_load_plan_apply_from_python_leave_the_process_as_it_was(env):
    env.write(COURSES)
    out = subprocess.run([sys.executable, "-c", SCRIPT, env.dir], env=env.env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["planned"] > 0 and got["ok"] and got["again"] == 0, got
    assert got["freeze"] == 0 and got["enabled"], got
    assert got["handlers"] and got["cwd"], got


def test_the_command_line_entry_point_is_the_one_that_tunes_its_process():
    code = ("import gc; from eeo_reconcile.cli import run; "
            "run(['--version'], standalone_mode=False); "
            "print(gc.isenabled(), gc.get_freeze_count() > 0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.split()[-2:] == ["False", "True"], out.stdout + out.stderr
