"""The PostgreSQL backend against a real PostgreSQL 15 server started by the tests."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

from eeo_reconcile.errors import LockError, StateError
from eeo_reconcile.model import LessonMember, StateRef, Team
from eeo_reconcile.state import codec
from eeo_reconcile.state.history import course_changes
from eeo_reconcile.state.local import LocalStore
from eeo_reconcile.state.model import State
from eeo_reconcile.state.ops import OpKind, StateOp
from eeo_reconcile.state.postgres import PostgresStore
from eeo_reconcile.state.records import GroupRecord
from tests.pg import PASSWORD, ROLE


def ws_name():
    return "ws-" + uuid.uuid4().hex[:10]


def store(pg, workspace=None, dsn=None):
    return PostgresStore(StateRef.of("postgres", workspace=workspace or ws_name()),
                         dsn or pg.dsn())


def sample() -> State:
    st = State(sid=2339736)
    st.apply(StateOp(OpKind.ADD_STUDENTS, 442447, uids=(12235, 12234, 99)))
    st.apply(StateOp(OpKind.ADD_AUDITORS, 442447, uids=(1001,), names=("张三",)))
    st.apply(StateOp(OpKind.ADD_LESSON_STUDENTS, 442447, uids=(1001001, 5), names=("小丫", "x"),
                     customs=("A-12", None), lesson=1419691))
    st.apply(StateOp(OpKind.SET_GROUP, 442447, group_name="课程分组",
                     group=GroupRecord(139, (Team(12234, (12235,)), Team(99)))))
    st.apply(StateOp(OpKind.ADD_STUDENTS, 7, uids=(1,)))
    return st


def test_empty_workspace_then_write_read_same_as_local(pg, tmp_path):
    s = store(pg)
    with s.lock("test"):
        first = s.read()
        assert first.lineage is None and first.serial == 0
        written = s.write(sample())
        got = s.read()
    assert written.serial == 1 and got.lineage == written.lineage
    assert got.same_content(sample())
    local = LocalStore(StateRef.of("local", path=str(tmp_path / "s.json")))
    with local.lock("t"):
        local.store_exact(got)
    with open(local.path, "rb") as fh:
        assert fh.read() == codec.dumps(got)
    s.close()


def test_journal_records_each_result_durably_and_folds_once(pg):
    s = store(pg)
    with s.lock("apply"):
        st = s.read()
        j = s.open_journal(st)
        serial0 = st.serial
        j.record([StateOp(OpKind.ADD_STUDENTS, 5, uids=(1, 2, 3))])
        j.record([StateOp(OpKind.REMOVE_STUDENTS, 5, uids=(2,))])
        j.record([StateOp(OpKind.ADD_AUDITORS, 5, uids=(9,), names=("n",))])
        j.record([StateOp(OpKind.SET_GROUP, 5, group_name="G",
                          group=GroupRecord(10, (Team(1, (3,)),)))])
        j.record([StateOp(OpKind.SET_GROUP, 5, group_name="G2",
                          group=GroupRecord(10, (Team(1),)))])  # renamed by id
        j.record([StateOp(OpKind.ADD_LESSON_STUDENTS, 5, lesson=70, uids=(4,), names=("l",),
                          customs=("c",))])
        # durable before close: another connection's snapshot (no lock) sees it at
        # once, from the journal; the version moves once, when the apply ends
        other = PostgresStore(s.ref, pg.dsn())
        mid = other.snapshot()
        assert mid.courses[5].students == {1, 3}
        assert mid.serial == serial0
        final = j.close()
        assert final.serial == serial0 + 1
    assert final.courses[5].students == {1, 3}
    assert final.courses[5].auditors == {9: "n"}
    assert final.courses[5].groups == {"G2": GroupRecord(10, (Team(1),))}
    assert final.courses[5].lessons == {70: {4: LessonMember("l", "c")}}
    j2_state = s.read()
    assert j2_state.same_content(final)
    other.close()
    s.close()


def test_schema_is_versioned_and_a_newer_one_is_refused(pg):
    db = "v" + uuid.uuid4().hex[:8]
    dsn = pg.create_db(db)
    s = store(pg, dsn=dsn)
    with s.lock("t"):
        pass
    from eeo_reconcile.state.postgres.schema import SCHEMA_VERSION

    version = pg.psql("SELECT value FROM eeo_meta WHERE key='schema_version'", db=db).strip()
    assert version == str(SCHEMA_VERSION)
    pg.psql("UPDATE eeo_meta SET value = '99' WHERE key='schema_version'", db=db)
    s2 = store(pg, dsn=dsn)
    with pytest.raises(StateError, match="schema version 99, newer"):
        s2.lock("t")
    s.close()
    s2.close()


def test_two_workspaces_never_block_each_other(pg):
    a, b = store(pg), store(pg)
    with a.lock("apply"), b.lock("apply"):
        with pytest.raises(LockError) as info:
            store(pg, workspace=a.workspace).lock("plan")
        assert info.value.info is not None and info.value.info.operation == "apply"
    a.close()
    b.close()


HOLDER = textwrap.dedent("""
    import sys, time
    from eeo_reconcile.model import StateRef
    from eeo_reconcile.state.postgres import PostgresStore
    s = PostgresStore(StateRef.of("postgres", workspace=sys.argv[1]), sys.argv[2])
    lock = s.lock("apply")
    print(lock.info.id, flush=True)
    time.sleep(float(sys.argv[3]))
    lock.release()
""")


def _holder(workspace, dsn, seconds):
    p = subprocess.Popen([sys.executable, "-c", HOLDER, workspace, dsn, str(seconds)],
                         stdout=subprocess.PIPE, text=True)
    lock_id = p.stdout.readline().strip()
    assert lock_id
    return p, lock_id


def _cli(*args, env):
    return subprocess.run([sys.executable, "-m", "eeo_reconcile", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def _cfg(tmp_path, workspace):
    d = tmp_path / "cfg"
    d.mkdir(exist_ok=True)
    (d / "r.yaml").write_text(textwrap.dedent(f"""
        school: {{sid: 2339736}}
        state: {{backend: postgres, dsn_env: EEO_STATE_DSN, workspace: {workspace}}}
        courses: [{{id: 5, students: [1]}}]
    """))
    return str(d)


def test_lock_refused_with_holder_info_waits_and_is_freed_by_sigkill(pg, tmp_path):
    ws = ws_name()
    cfg = _cfg(tmp_path, ws)
    env = {**os.environ, "EEO_STATE_DSN": pg.dsn()}
    p, lock_id = _holder(ws, pg.dsn(), 300)
    try:
        r = _cli("plan", cfg, env=env)
        assert r.returncode == 1
        assert lock_id in r.stderr and f"PID:       {p.pid}" in r.stderr
        assert "Operation: apply" in r.stderr and "@" in r.stderr
        assert PASSWORD not in r.stderr + r.stdout
        # SIGKILL the holder: its connection goes, the server frees the lock at once
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        t0 = time.monotonic()
        r = _cli("plan", cfg, "--lock-timeout", "10", env=env)
        assert r.returncode == 0, r.stderr
        assert time.monotonic() - t0 < 8
    finally:
        if p.poll() is None:
            p.kill()
    # --lock-timeout waits for a holder that finishes
    p, _ = _holder(ws, pg.dsn(), 1.5)
    t0 = time.monotonic()
    r = _cli("plan", cfg, "--lock-timeout", "30", env=env)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 >= 0.8
    p.wait()


def test_force_unlock_clears_info_left_behind(pg):
    s = store(pg)
    lock = s.lock("apply")
    with pytest.raises(LockError, match="live session"):
        store(pg, workspace=s.workspace).force_unlock(lock.info.id)
    s.close()  # the session ends without releasing: info is left behind, lock is free
    t = store(pg, workspace=s.workspace)
    assert t.lock_info().id == lock.info.id
    with pytest.raises(LockError, match="does not match"):
        t.force_unlock("other")
    assert t.force_unlock(lock.info.id).id == lock.info.id
    assert t.lock_info() is None
    t.close()


def test_connection_errors_never_show_the_password(pg):
    bad = pg.dsn().replace(PASSWORD, PASSWORD + "-wrong")
    s = store(pg, dsn=bad)
    with pytest.raises(StateError) as info:
        s.lock("t")
    text = str(info.value) + repr(s) + s.describe()
    assert PASSWORD not in text and "password" in text.lower()
    assert info.value.__cause__ is None


def test_state_commands_pull_push_migrate_round_trip(pg, tmp_path):
    ws = ws_name()
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "r.yaml").write_text("school: {sid: 2339736}\nstate: {path: eeo.state.json}\n")
    local = LocalStore(StateRef.of("local", path=str(cfg / "eeo.state.json")))
    with local.lock("t"):
        original = local.write(sample())
    original_bytes = (cfg / "eeo.state.json").read_bytes()
    env = {**os.environ, "EEO_STATE_DSN": pg.dsn()}

    r = _cli("state", "migrate", "--to", "postgres", "--workspace", ws, "--config", str(cfg),
             env=env)
    assert r.returncode == 0, r.stderr
    pulled = _cli("state", "pull", "--workspace", ws, "--config", str(cfg), env=env)
    assert pulled.returncode == 0, pulled.stderr
    bumped = codec.loads(original_bytes)
    bumped.serial = original.serial + 1
    bumped.salt = None  # pull never shows the salt
    assert pulled.stdout.encode() == codec.dumps(bumped)  # same lineage and content, serial + 1
    # migrating onto a workspace that holds a state is refused
    r = _cli("state", "migrate", "--to", "postgres", "--workspace", ws, "--config", str(cfg),
             env=env)
    assert r.returncode == 1 and "already holds a state" in r.stderr

    # pull -> push to another workspace -> pull: byte-identical
    f = tmp_path / "pulled.json"
    f.write_bytes(pulled.stdout.encode())
    ws2 = ws_name()
    r = _cli("state", "push", str(f), "--workspace", ws2, "--config", str(cfg), env=env)
    assert r.returncode == 0, r.stderr
    again = _cli("state", "pull", "--workspace", ws2, "--config", str(cfg), env=env)
    assert again.stdout == pulled.stdout
    # pushing an older serial or another lineage is refused without --force
    older = codec.loads(f.read_bytes())
    older.serial -= 1
    (tmp_path / "older.json").write_bytes(codec.dumps(older))
    r = _cli("state", "push", str(tmp_path / "older.json"), "--workspace", ws2, "--config",
             str(cfg), env=env)
    assert r.returncode == 1 and "lower than the stored serial" in r.stderr
    other = codec.loads(f.read_bytes())
    other.lineage = str(uuid.uuid4())
    (tmp_path / "other.json").write_bytes(codec.dumps(other))
    r = _cli("state", "push", str(tmp_path / "other.json"), "--workspace", ws2, "--config",
             str(cfg), env=env)
    assert r.returncode == 1 and "lineage" in r.stderr
    r = _cli("state", "push", str(tmp_path / "other.json"), "--workspace", ws2, "--force",
             "--config", str(cfg), env=env)
    assert r.returncode == 0
    assert json.loads(_cli("state", "pull", "--workspace", ws2, "--config", str(cfg),
                           env=env).stdout)["serial"] == other.serial + 1

    # and back to a local file: lineage kept, serial + 1
    back = tmp_path / "back.json"
    r = _cli("state", "migrate", "--to", "local", "--workspace", ws, "--state", str(back),
             "--config", str(cfg), env=env)
    assert r.returncode == 0, r.stderr
    bumped.serial += 1
    bumped.salt = codec.loads(original_bytes).salt  # migrate carries the salt
    assert back.read_bytes() == codec.dumps(bumped)
    for o in (r.stdout, r.stderr, pulled.stdout, pulled.stderr):
        assert PASSWORD not in o


def test_concurrent_writers_through_one_journal(pg):
    s = store(pg)
    with s.lock("apply"):
        j = s.open_journal(s.read())

        def worker(c):
            for u in range(1, 41):
                j.record([StateOp(OpKind.ADD_STUDENTS, c, uids=(u,))])

        threads = [threading.Thread(target=worker, args=(c,)) for c in range(1, 9)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = j.close()
    assert all(final.courses[c].students == set(range(1, 41)) for c in range(1, 9))
    s.close()


def test_a_version_1_database_is_migrated_and_keeps_its_state(pg):
    from eeo_reconcile.state.postgres.schema import _SCHEMA_V1, SCHEMA_VERSION

    db = "m" + uuid.uuid4().hex[:8]
    dsn = pg.create_db(db)
    pg.psql("CREATE TABLE eeo_meta (key text PRIMARY KEY, value text NOT NULL)", db=db)
    pg.psql(_SCHEMA_V1 + "INSERT INTO eeo_meta VALUES ('schema_version', '1');"
            "INSERT INTO eeo_workspaces (workspace, lineage, serial, sid) VALUES "
            "('old', '00000000-0000-4000-8000-000000000001', 4, 7);"
            "INSERT INTO eeo_members (ws, course, kind, lesson, uid) VALUES (1, 5, 1, 0, 9);",
            db=db)
    pg.psql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {ROLE}; "
            f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {ROLE}", db=db)
    s = PostgresStore(StateRef.of("postgres", workspace="old"), dsn)
    with s.lock("t"):
        st = s.read()
    s.close()
    assert st.serial == 4 and st.courses[5].students == {9}
    version = pg.psql("SELECT value FROM eeo_meta WHERE key='schema_version'", db=db).strip()
    assert version == str(SCHEMA_VERSION)


def _named_sample() -> State:
    from eeo_reconcile.state.records import Unconfirmed

    st = sample()
    st.apply(StateOp(OpKind.ADD_STUDENTS, 442447, uids=(12234, 77), names=("Li Lei", None)))
    st.apply(StateOp(OpKind.GROUP_UNCONFIRMED, 442447, group_name="Lost",
                     teams=(Team(12234),), reason=Unconfirmed.NO_ANSWER))
    st.courses[442447].name = "Algebra I"
    st.courses[442447].lesson_names[1419691] = "Lesson 1"
    return st


def test_labels_names_and_unconfirmed_groupings_round_trip_and_journal(pg):
    from eeo_reconcile.state.records import Unconfirmed

    s = store(pg)
    with s.lock("test"):
        s.write(_named_sample())
        got = s.read()
    assert got.same_content(_named_sample())
    c = got.courses[442447]
    assert c.labels == {12234: "Li Lei"} and c.name == "Algebra I"
    assert c.unconfirmed["Lost"].reason is Unconfirmed.NO_ANSWER
    # the same ops through the journal give the same state as folding them locally
    ops = [
        StateOp(OpKind.GROUP_UNCONFIRMED, 442447, group_name="Other", teams=(Team(99),),
                reason=Unconfirmed.ALREADY_CREATED),
        StateOp(OpKind.SET_GROUP, 442447, group_name="Lost",
                group=GroupRecord(7, (Team(12234),))),
        StateOp(OpKind.GROUP_NOT_CREATED, 442447, group_name="Other"),
        StateOp(OpKind.REMOVE_STUDENTS, 442447, uids=(12234,)),
        StateOp(OpKind.REMOVE_LESSON_STUDENTS, 442447, uids=(1001001, 5), lesson=1419691),
    ]
    with s.lock("apply"):
        st = s.read()
        j = s.open_journal(st)
        for op in ops:
            j.record([op])
        j.close()
        stored = s.read()
    expected = _named_sample()
    expected.apply_all(ops)
    assert stored.same_content(expected)
    c = stored.courses[442447]
    assert "Lost" in c.groups and not c.unconfirmed and 12234 not in c.labels
    assert not c.lesson_names  # the lesson emptied: its name went with it
    s.close()


def test_import_into_postgres_records_the_same_state_as_the_local_file(pg, tmp_path):
    from eeo_reconcile.workflow import import_rosters

    f = tmp_path / "r.csv"
    f.write_text("course_id,role,uid,name,lesson_id,custom\n5,student,1,Li Lei,,\n"
                 "5,auditor,2,Two,,\n5,lesson_student,3,Three,77,c\n6,student,4,,,\n")
    s = store(pg)
    local = LocalStore(StateRef.of("local", path=str(tmp_path / "s.json")))
    a = import_rosters([str(f)], s)
    b = import_rosters([str(f)], local)
    assert a.changed and b.changed and a.serial_after == 1
    assert not import_rosters([str(f)], s).changed  # the same files twice: nothing
    with s.lock("t"), local.lock("t"):
        assert s.read().same_content(local.read())
    s.close()


def _name_ops():
    return [
        StateOp(OpKind.NAME, 442447, title="Algebra II"),
        StateOp(OpKind.NAME, 442447, lesson=1419691, title="Week 1"),
        StateOp(OpKind.NAME, 442447, lesson=999, title="a lesson without students"),
        StateOp(OpKind.LABELS, 442447, uids=(12235, 4242), names=("Han Meimei", "not a student")),
        StateOp(OpKind.FORGET_COURSE, 7),
    ]


def test_name_label_and_forget_ops_give_the_same_state_in_both_backends(pg, tmp_path):
    local = LocalStore(StateRef.of("local", path=str(tmp_path / "s.json")))
    s = store(pg)
    results = []
    for st_store in (local, s):
        with st_store.lock("apply"):
            st_store.write(_named_sample())
            st = st_store.read()
            j = st_store.open_journal(st)
            for op in _name_ops():
                j.record([op])
            j.close()
            results.append(st_store.read())
    s.close()
    expected = _named_sample()
    expected.apply_all(_name_ops())
    for got in results:
        assert got.same_content(expected)
        c = got.courses[442447]
        assert c.name == "Algebra II" and c.lesson_names == {1419691: "Week 1"}
        assert c.labels[12235] == "Han Meimei" and 4242 not in c.labels
        assert 7 not in got.courses  # forgotten: nothing of it is kept
        assert got.salt is not None and len(got.salt) == 32
    assert results[0].courses == results[1].courses


def test_the_redaction_salt_is_made_once_and_kept_by_every_write(pg, tmp_path):
    for st_store in (LocalStore(StateRef.of("local", path=str(tmp_path / "s.json"))),
                     store(pg)):
        with st_store.lock("t"):
            assert st_store.read().salt is None  # no state yet
            st_store.write(sample())
            salt = st_store.read().salt
            assert salt
            st = st_store.read()
            st.apply(StateOp(OpKind.ADD_STUDENTS, 7, uids=(2,)))
            st_store.write(st)
            assert st_store.read().salt == salt
        st_store.close()


def test_the_history_is_read_through_its_address_index(pg):
    s = store(pg)
    with s.lock("apply"):
        st = s.read()
        j = s.open_journal(st)
        j.record([StateOp(OpKind.ADD_STUDENTS, 5, uids=(1, 2))])
        j.close()
    assert [e.address for e in s.history("course/5/student/1")] == ["course/5/student/1"]
    assert [e.address for e in s.history("course/5")] == ["course/5/student/1",
                                                          "course/5/student/2"]
    s.close()
    ws = pg.psql("SELECT ws FROM eeo_history LIMIT 1", db="eeo").strip()
    pg.psql(f"INSERT INTO eeo_history (ws, time, operation, action, address, serial, who) "
            f"SELECT {ws}, now(), 'apply', 'add', 'course/' || (i % 500) || '/student/' || i, "
            "1, 'x' FROM generate_series(1, 20000) i; ANALYZE eeo_history", db="eeo")
    plan = pg.psql(f"EXPLAIN SELECT id FROM eeo_history WHERE ws = {ws} "
                   "AND (address COLLATE \"C\") >= 'course/5' "
                   "AND (address COLLATE \"C\") < 'course/50'", db="eeo")
    assert "eeo_history_address" in plan


def test_a_journal_an_apply_left_is_folded_by_the_next_read_with_its_history(pg):
    s = store(pg)
    with s.lock("apply"):
        st = s.read()
        j = s.open_journal(st)
        serial0 = st.serial
        j.record([StateOp(OpKind.ADD_STUDENTS, 5, uids=(1, 2))])
        j.record([StateOp(OpKind.ADD_AUDITORS, 5, uids=(9,), names=("n",))])
        # the process dies here: the journal is never closed
    t = store(pg, workspace=s.workspace)
    with t.lock("plan"):
        with pytest.raises(StateError, match="a journal already exists"):
            t.open_journal(t.driver.get())  # never a second journal over one left
        again = t.read()
        assert again.courses[5].students == {1, 2} and again.serial == serial0 + 1
    assert t.driver.journal_lines() is None
    assert {e.address for e in t.history("course/5")} >= {"course/5/student/1",
                                                          "course/5/auditor/9"}
    s.close()
    t.close()


def test_migrate_carries_the_audit_history_both_ways(pg, tmp_path):
    from eeo_reconcile.maintenance import migrate_state
    from eeo_reconcile.state.local import LocalStore

    local = LocalStore(StateRef.of("local", path=str(tmp_path / "a.json")))
    with local.lock("import"):
        st = local.read()
        st.courses[5] = sample().courses[next(iter(sample().courses))].copy()
        local.write(st, course_changes(5, None, st.courses[5]))
    with local.lock("apply"):
        j = local.open_journal(local.read())
        j.record([StateOp(OpKind.ADD_STUDENTS, 5, uids=(77,))])
        j.close()
    before = [e.address for e in local.history()]
    assert "course/5/student/77" in before
    s = store(pg)
    written, carried = migrate_state(local, s)
    assert carried == len(before)
    got = [e.address for e in s.history()]
    assert got[:len(before)] == before and got[-1] == "state"  # then the migrate event
    back = LocalStore(StateRef.of("local", path=str(tmp_path / "b.json")))
    written2, carried2 = migrate_state(s, back)
    assert carried2 == len(got)
    assert [e.address for e in back.history()][:len(got)] == got
    s.close()


def test_people_round_trip_through_the_journal_and_the_history(pg):
    from eeo_reconcile.state.ops import person_op
    from eeo_reconcile.state.records import PersonRecord

    s = store(pg)
    digest = "h-" + "b" * 24
    with s.lock("apply"):
        st = s.read()
        j = s.open_journal(st)
        j.record([person_op("S1", PersonRecord(5000000, "王小明", digest))])
        j.record([person_op("S1", PersonRecord(5000000, "王小明明", digest))])
        j.close()
        stored = s.read()
    assert stored.people == {"S1": PersonRecord(5000000, "王小明明", digest)}
    events = [(e.action, e.address, e.new) for e in s.history("person")]
    assert events == [("register", "person/S1", {"uid": 5000000, "name": "王小明"}),
                      ("rename", "person/S1", {"uid": 5000000, "name": "王小明明"})]
    s.close()
