"""apply through the PostgreSQL backend, end to end against a sandbox process."""

import os
import time
import uuid

from tests.e2e import E2E
from tests.end_to_end.test_apply import STEP1, STEP2, _big_config, _big_world, lifecycle_world


def _env(tmp_path, pg, world, *opts, workspace=None, batch=None):
    ws = workspace or "ws-" + uuid.uuid4().hex[:10]
    e = E2E(tmp_path, world, *opts, dsn=pg.dsn(), workspace=ws)
    if batch:
        e.school = e.school.replace("retry:", f"batch: {{students: {batch}}}\n  retry:")
    return e


def test_plan_apply_replan_through_postgres(pg, tmp_path):
    e = _env(tmp_path, pg, lifecycle_world())
    try:
        e.write(STEP1)
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        assert "postgres workspace" in r.stdout
        e.assert_converged()
        e.write(STEP2)
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        e.assert_converged()
        assert not os.path.exists(e.state_path)  # nothing local
        e.assert_no_secret_leaked()
    finally:
        e.close()


def test_two_applies_on_one_workspace(pg, tmp_path):
    e = _env(tmp_path, pg, _big_world(), "--latency-ms", "80", "--quiet", batch=5)
    try:
        e.write(_big_config(courses=4, students=30))
        first = e.popen("apply", e.dir, "--auto-approve", "--parallelism", "1")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and e.sb.stats()["total"] == 0:
            time.sleep(0.05)
        r = e.apply()
        assert r.returncode == 1
        assert "held by another process" in r.stderr
        assert f"PID:       {first.pid}" in r.stderr
        waited = e.apply("--lock-timeout", "120")
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, out + err
        assert waited.returncode == 0, waited.stdout + waited.stderr
        assert "No changes." in waited.stdout
        e.assert_converged()
        e.assert_no_secret_leaked()
    finally:
        e.close()


def test_two_workspaces_apply_at_once_without_blocking(pg, tmp_path):
    world = _big_world()
    a = _env(tmp_path / "a", pg, world, "--latency-ms", "60", "--quiet", batch=5)
    b = E2E.__new__(E2E)
    try:
        a.write(_big_config(courses=3, students=30))
        # the second configuration: other courses, another workspace, the same sandbox
        b.__dict__.update(a.__dict__)
        b.dir = str(tmp_path / "b-cfg")
        os.makedirs(b.dir)
        b.workspace = "ws-" + uuid.uuid4().hex[:10]
        b.school = a.school.replace(a.workspace, b.workspace)
        b.outputs = []
        b.write(_big_config(courses=3, students=30, first_course=105))
        pa = a.popen("apply", a.dir, "--auto-approve", "--parallelism", "1")
        # start B only once A holds its lock and is sending: with --lock-timeout 0
        # (the default), B would be refused at once if the workspaces shared a lock
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and a.sb.stats()["total"] == 0:
            time.sleep(0.05)
        assert pa.poll() is None, "A finished before B could start"
        pb = b.popen("apply", b.dir, "--auto-approve", "--parallelism", "1")
        ob, eb = pb.communicate(timeout=120)
        oa, ea = pa.communicate(timeout=120)
        assert pb.returncode == 0, ob + eb
        assert "held by another process" not in eb
        assert pa.returncode == 0, oa + ea
        a.assert_converged()
        b.assert_converged()
    finally:
        a.close()


def test_database_stopped_mid_apply(pg, tmp_path):
    e = _env(tmp_path, pg, _big_world(), "--latency-ms", "60", "--quiet", batch=3)
    try:
        e.write(_big_config(courses=4, students=30))
        p = e.popen("apply", e.dir, "--auto-approve", "--parallelism", "2")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and e.sb.stats()["total"] < 8:
            time.sleep(0.05)
        pg.stop("immediate")
        try:
            out, err = p.communicate(timeout=120)
        finally:
            pg.start()
        e.outputs += [out, err]
        assert p.returncode == 1
        text = out + err
        assert "state database" in text or "PostgreSQL state" in text
        assert "Everything" in text or "recorded" in text
        # what was confirmed before is in the state, and nothing recorded is false
        st = e.state()
        recorded = 0
        for cid, rec in st.courses.items():
            roster = e.sb.roster(cid)
            assert rec.students <= set(roster["students"])
            recorded += len(rec.students)
        assert recorded > 0
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        e.assert_converged()
        e.assert_no_secret_leaked()
    finally:
        e.close()
