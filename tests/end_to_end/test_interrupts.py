"""Ctrl-C and SIGTERM during apply, with a real process: the calls in flight finish
and are recorded, the journal is folded, the lock is released, the summary says
how many calls were not sent; exit 130 / 143. A second signal exits at once."""

import os
import re
import signal
import time

import pytest

from tests.e2e import E2E
from tests.end_to_end.test_apply import _big_config, _big_world
from tests.helpers import wait_for


@pytest.fixture
def env(tmp_path):
    e = E2E(tmp_path, _big_world(), "--latency-ms", "60", "--quiet")
    e.school = e.school.replace("retry:", "batch: {students: 3}\n  retry:")
    e.write(_big_config(courses=6, students=45))
    yield e
    e.close()


def _interrupt(e, sig, after_calls=10):
    """Signal an apply once `after_calls` of its calls reached the sandbox (an
    observed event: it is sending, so a signal stops it cleanly)."""
    p = e.popen("apply", e.dir, "--auto-approve", "--parallelism", "2")
    wait_for(lambda: e.sb.stats()["total"] >= after_calls or p.poll() is not None,
             what=f"{after_calls} calls at the sandbox")
    assert p.poll() is None, "the apply finished before it could be interrupted"
    os.kill(p.pid, sig)
    out, err = p.communicate(timeout=60)
    e.outputs.extend([out, err])
    return p.returncode, out, err


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_one_signal_stops_cleanly(env, sig, code):
    total = env.plan_json()["summary"]["calls"]
    rc, out, err = _interrupt(env, sig)
    assert rc == code, out + err
    assert "Apply interrupted" in out
    m = re.search(r"interrupted \((SIGINT|SIGTERM)\): (\d+) call\(s\) not sent; run apply "
                  r"again to finish", out)
    assert m and m.group(1) == signal.Signals(sig).name
    not_sent = int(m.group(2))
    sent = int(re.search(r"(\d+) of \d+ call\(s\) sent", out).group(1))
    assert 0 < not_sent < total and sent + not_sent <= total
    assert not os.path.exists(env.state_path + ".journal")  # folded
    env.assert_state_matches_roster()  # what was confirmed is recorded, nothing more
    r = env.plan("--lock-timeout", "0")  # the lock was released
    assert r.returncode == 0, r.stderr
    r = env.apply()
    assert r.returncode == 0, r.stdout + r.stderr
    env.assert_converged()
    env.assert_no_secret_leaked()


def test_a_second_signal_exits_at_once_and_the_journal_keeps_what_was_confirmed(tmp_path):
    env = E2E(tmp_path, _big_world(), "--latency-ms", "2000", "--quiet")
    env.write(_big_config(courses=1, students=5))
    try:
        p = env.popen("apply", env.dir, "--auto-approve")
        journal = env.state_path + ".journal"
        # the apply has begun: a call is at the sandbox, in flight for 2 s
        wait_for(lambda: env.sb.stats()["in_flight"] >= 1, what="a call in flight")
        t0 = time.monotonic()
        os.kill(p.pid, signal.SIGINT)
        errs = []
        # the first signal was taken (it says so), then the second
        wait_for(lambda: errs.append(p.stderr.readline()) or "Stopping" in errs[-1],
                 what="the first signal taken")
        os.kill(p.pid, signal.SIGINT)
        out, err = p.communicate(timeout=30)
        err = "".join(errs) + err
        env.outputs.extend([out, err])
        assert p.returncode == 130 and "Stopped at once" in err
        assert time.monotonic() - t0 < 1.5  # it did not wait for the call in flight
        assert os.path.exists(journal)  # left for the next command to fold
        # the next command folds the journal: the state holds what ClassIn confirmed,
        # and nothing it did not (the call in flight may have taken effect unrecorded)
        wait_for(lambda: env.sb.stats()["in_flight"] == 0, what="the call in flight done")
        assert env.plan().returncode == 0 and not os.path.exists(journal)
        for cid, rec in env.state().courses.items():
            assert rec.students <= set(env.sb.roster(cid)["students"])
        assert env.apply().returncode == 0
        env.assert_converged()
    finally:
        env.close()
