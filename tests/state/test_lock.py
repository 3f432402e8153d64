"""The state lock across processes: refused with the holder's info, released
by the OS when the holder is killed, waited for with --lock-timeout."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from eeo_reconcile.errors import LockError
from eeo_reconcile.model import StateRef
from eeo_reconcile.state.local import LocalStore
from tests.helpers import write_tree

HOLDER = textwrap.dedent("""
    import sys, time
    from eeo_reconcile.model import StateRef
    from eeo_reconcile.state.local import LocalStore
    store = LocalStore(StateRef.of("local", path=sys.argv[1]))
    lock = store.lock("apply")
    print(lock.info.id, flush=True)
    time.sleep(float(sys.argv[2]))
    lock.release()
    print("released", flush=True)
""")


def _holder(path, seconds):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, path, str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    lock_id = proc.stdout.readline().strip()
    assert lock_id, "holder did not start"
    return proc, lock_id


def _config(tmp_path):
    write_tree(str(tmp_path), {"roster.yaml": """
        school: {sid: 1}
        state: {path: eeo.state.json}
        courses: [{id: 5, students: [1]}]
    """})
    return str(tmp_path / "eeo.state.json")


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "eeo_reconcile", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=60)


def test_second_process_is_refused_with_holder_info(tmp_path):
    path = _config(tmp_path)
    proc, lock_id = _holder(path, 30)
    try:
        r = _cli("plan", str(tmp_path))
        assert r.returncode == 1
        assert "held by another process" in r.stderr
        assert lock_id in r.stderr
        assert f"PID:       {proc.pid}" in r.stderr
        assert "Operation: apply" in r.stderr
        assert "@" in r.stderr  # who: user@host
        assert f"force-unlock {lock_id}" in r.stderr
    finally:
        proc.kill()
        proc.wait()


def test_killed_holder_releases_the_lock_at_once(tmp_path):
    path = _config(tmp_path)
    proc, _ = _holder(path, 300)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    r = _cli("plan", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "Plan: 1 to add" in r.stdout


def test_lock_timeout_waits_then_gets_it(tmp_path):
    path = _config(tmp_path)
    proc, _ = _holder(path, 1.5)
    try:
        t0 = time.monotonic()
        r = _cli("plan", str(tmp_path), "--lock-timeout", "20")
        waited = time.monotonic() - t0
        assert r.returncode == 0, r.stderr
        assert waited >= 0.8
    finally:
        proc.wait()


def test_lock_timeout_expires(tmp_path):
    path = _config(tmp_path)
    proc, lock_id = _holder(path, 30)
    try:
        t0 = time.monotonic()
        r = _cli("plan", str(tmp_path), "--lock-timeout", "0.5")
        assert r.returncode == 1
        assert time.monotonic() - t0 >= 0.5
        assert "after waiting 0.5s" in r.stderr and lock_id in r.stderr
    finally:
        proc.kill()
        proc.wait()


def test_force_unlock_clears_info_left_behind_but_not_a_live_lock(tmp_path):
    path = _config(tmp_path)
    store = LocalStore(StateRef.of("local", path=path))
    proc, lock_id = _holder(path, 30)
    try:
        with pytest.raises(LockError, match="held by a live process"):
            store.force_unlock(lock_id)
    finally:
        proc.kill()
        proc.wait()
    # the kernel lock is gone, the info is left behind (as on some network file systems)
    assert store.lock_info() is not None and store.lock_info().id == lock_id
    with pytest.raises(LockError, match="does not match"):
        store.force_unlock("not-the-id")
    r = _cli("force-unlock", lock_id, "--config", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert store.lock_info() is None


def test_lock_in_one_process_blocks_another_handle(tmp_path):
    store = LocalStore(StateRef.of("local", path=str(tmp_path / "s.json")))
    with store.lock("plan"), pytest.raises(LockError):
        LocalStore(StateRef.of("local", path=str(tmp_path / "s.json"))).lock("plan")
    with LocalStore(StateRef.of("local", path=str(tmp_path / "s.json"))).lock("plan"):
        pass


def test_deleting_the_lock_file_never_lets_a_second_holder_in(tmp_path):
    """A workspace clean-up or someone removing a "stale" lock file while an apply
    holds it: the next command still finds the lock held (the state's directory
    is locked too), and once the holder is gone, the lock is free again."""
    path = _config(tmp_path)
    proc, _ = _holder(path, 30)
    try:
        os.unlink(path + ".lock")
        r = _cli("plan", str(tmp_path))
        assert r.returncode == 1 and "held by another process" in r.stderr, r.stdout + r.stderr
        store = LocalStore(StateRef.of("local", path=path))
        with pytest.raises(LockError):
            store.lock("apply")
    finally:
        proc.kill()
        proc.wait()
    r = _cli("plan", str(tmp_path))
    assert r.returncode == 0, r.stderr
