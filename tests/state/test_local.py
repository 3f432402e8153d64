import json
import os
import stat

import pytest

from eeo_reconcile.errors import StateError
from eeo_reconcile.model import LessonMember, StateRef, Team
from eeo_reconcile.schemas import validator
from eeo_reconcile.state import codec
from eeo_reconcile.state.local import LocalStore
from eeo_reconcile.state.model import State
from eeo_reconcile.state.ops import OpKind, StateOp
from eeo_reconcile.state.records import GroupRecord


def _store(tmp_path):
    return LocalStore(StateRef.of("local", path=str(tmp_path / "eeo.state.json")))


def _sample() -> State:
    st = State(sid=2339736)
    st.apply(StateOp(OpKind.ADD_STUDENTS, 442447, uids=(12235, 12234, 99)))
    st.apply(StateOp(OpKind.ADD_AUDITORS, 442447, uids=(1001,), names=("张三",)))
    st.apply(StateOp(OpKind.ADD_LESSON_STUDENTS, 442447, uids=(1001001,), names=("小丫",),
                     customs=("A-12",), lesson=1419691))
    st.apply(StateOp(OpKind.SET_GROUP, 442447, group_name="课程分组",
                     group=GroupRecord(139, (Team(12234, (12235,)),))))
    st.apply(StateOp(OpKind.ADD_STUDENTS, 7, uids=(1,)))
    return st


def test_write_read_roundtrip_mode_and_schema(tmp_path):
    store = _store(tmp_path)
    with store.lock("test"):
        assert store.read().lineage is None
        written = store.write(_sample())
        assert written.serial == 1 and written.lineage
        again = store.read()
    assert again.same_content(_sample())
    assert again.lineage == written.lineage and again.serial == 1
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600
    with open(store.path, encoding="utf-8") as fh:
        doc = json.load(fh)
    assert list(validator("state.schema.json").iter_errors(doc)) == []
    assert doc["courses"]["442447"]["students"] == [99, 12234, 12235]
    with open(store.path, encoding="utf-8") as fh:
        assert "secret" not in fh.read().lower()


def test_deterministic_bytes(tmp_path):
    a, b = _sample(), State(sid=2339736)
    # the same content built in another order
    b.apply(StateOp(OpKind.ADD_STUDENTS, 7, uids=(1,)))
    b.apply(StateOp(OpKind.SET_GROUP, 442447, group_name="课程分组",
                    group=GroupRecord(139, (Team(12234, (12235,)),))))
    b.apply(StateOp(OpKind.ADD_LESSON_STUDENTS, 442447, uids=(1001001,), names=("小丫",),
                    customs=("A-12",), lesson=1419691))
    b.apply(StateOp(OpKind.ADD_AUDITORS, 442447, uids=(1001,), names=("张三",)))
    b.apply(StateOp(OpKind.ADD_STUDENTS, 442447, uids=(99, 12234, 12235)))
    a.lineage = b.lineage = "same"
    assert codec.dumps(a) == codec.dumps(b)
    assert codec.dumps(codec.loads(codec.dumps(a))) == codec.dumps(a)


def test_backup_keeps_previous_version_and_serial_increments(tmp_path):
    store = _store(tmp_path)
    with store.lock("test"):
        first = store.write(_sample())
        st = store.read()
        st.forget([__import__("eeo_reconcile.address", fromlist=["x"]).parse_address("course/7")])
        second = store.write(st)
    assert second.serial == first.serial + 1
    assert second.lineage == first.lineage
    with open(store.backup_path, "rb") as fh:
        backup = codec.loads(fh.read())
    assert backup.serial == first.serial and 7 in backup.courses
    assert stat.S_IMODE(os.stat(store.backup_path).st_mode) == 0o600
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]


def test_journal_records_then_folds(tmp_path):
    store = _store(tmp_path)
    with store.lock("apply"):
        st = store.read()
        j = store.open_journal(st)
        j.record([StateOp(OpKind.ADD_STUDENTS, 5, uids=(1, 2))])
        j.record([StateOp(OpKind.ADD_AUDITORS, 5, uids=(3,), names=("x",))])
        assert os.path.exists(store.journal_path)
        assert stat.S_IMODE(os.stat(store.journal_path).st_mode) == 0o600
        final = j.close()
    assert not os.path.exists(store.journal_path)
    assert final.courses[5].students == {1, 2}
    assert final.courses[5].auditors == {3: "x"}


def test_journal_left_by_a_crash_is_folded_on_next_read(tmp_path):
    store = _store(tmp_path)
    with store.lock("apply"):
        st = store.read()
        j = store.open_journal(st)  # writes the new state first (lineage, serial 1)
        j.record([StateOp(OpKind.ADD_STUDENTS, 5, uids=(1, 2))])
        j.record([StateOp(OpKind.ADD_LESSON_STUDENTS, 5, uids=(9,), names=("n",),
                          customs=(None,), lesson=70)])
        # crash: the journal is never closed; simulate a torn last line too
        os.write(store.local._fd, b'[{"k":"s+","c":5,"u":[3')
        os.close(store.local._fd)  # the process dies
        store.local._fd = None
    with store.lock("plan"):
        recovered = store.read()
    assert recovered.courses[5].students == {1, 2}
    assert recovered.courses[5].lessons == {70: {9: LessonMember("n", None)}}
    assert recovered.serial == 2
    assert not os.path.exists(store.journal_path)


def test_journal_of_another_lineage_is_refused(tmp_path):
    store = _store(tmp_path)
    with store.lock("t"):
        store.write(State(sid=1))
        with open(store.journal_path, "w") as fh:
            fh.write(json.dumps({"format": "eeo-reconcile-journal", "lineage": "other",
                                 "serial": 1}) + "\n")
        with pytest.raises(StateError, match="belongs to state lineage other"):
            store.read()


def test_corrupt_state_is_a_clear_error(tmp_path):
    store = _store(tmp_path)
    with open(store.path, "w") as fh:
        fh.write("{not json")
    with store.lock("t"), pytest.raises(StateError, match="not valid JSON"):
        store.read()


def test_missing_directory_is_a_clear_error(tmp_path):
    store = LocalStore(StateRef.of("local", path=str(tmp_path / "no" / "where.json")))
    with pytest.raises(StateError, match="does not exist"):
        store.lock("t")


def test_journal_group_commit_from_threads(tmp_path):
    import threading

    store = _store(tmp_path)
    with store.lock("apply"):
        st = store.read()
        j = store.open_journal(st)

        def worker(cid):
            for u in range(1, 51):
                j.record([StateOp(OpKind.ADD_STUDENTS, cid, uids=(u,))])

        threads = [threading.Thread(target=worker, args=(c,)) for c in range(1, 9)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with open(store.journal_path, "rb") as fh:
            lines = fh.read().splitlines()
        assert len(lines) == 1 + 8 * 50
        final = j.close()
    assert all(final.courses[c].students == set(range(1, 51)) for c in range(1, 9))


def test_an_apply_that_recorded_nothing_leaves_the_version_as_it_was(tmp_path):
    """A failed apply with nothing done does not move the serial (saved plans made
    against the state stay valid), whether it ends or is killed."""
    store = _store(tmp_path)
    with store.lock("apply"):
        st = store.read()
        store.write(st)  # an existing state
        before = store.read().serial
        j = store.open_journal(store.read())
        after = j.close()  # every call failed: nothing recorded
        assert after.serial == before and store.read().serial == before
        assert not os.path.exists(store.journal_path)
        j = store.open_journal(store.read())  # killed before anything was recorded
        os.close(store.local._fd)
        store.local._fd = None
    with store.lock("plan"):
        assert store.read().serial == before
    assert not os.path.exists(store.journal_path)


def test_the_version_read_from_a_states_first_bytes_is_the_whole_parses():
    """history reads the state's lineage and serial from its head (a state of a
    million memberships is not parsed for one student's history): it must agree
    with the whole parse, and give up (None) on any other layout."""
    import json as _json

    from eeo_reconcile.state import codec
    from eeo_reconcile.state.model import State
    from eeo_reconcile.state.ops import person_op
    from eeo_reconcile.state.records import PersonRecord

    with_people = State(lineage="L-2", serial=7, sid=1, salt="a" * 32)
    with_people.apply(person_op("S1", PersonRecord(5, "N", "h-" + "a" * 24)))
    for st in (State(lineage="L-1", serial=0), with_people):
        raw = codec.dumps(st)
        whole = codec.loads(raw)
        assert codec.version_of(raw[:4096]) == (whole.lineage, whole.serial)
    compact = _json.dumps(_json.loads(codec.dumps(with_people))).encode()
    for other in (compact, b"", b"{\n  \"serial\": 3,\n", b"not json at all\n" * 9,
                  codec.dumps(with_people).replace(b'"serial": 7', b'"serial": "7"')):
        assert codec.version_of(other) is None
