"""The history beside the state: each confirmed change exactly once, whatever
moment a crash hits, and every kind of change attributed."""

import json
import os

from eeo_reconcile.address import GroupAddress, parse_address
from eeo_reconcile.maintenance import forget, push, record_group_id
from eeo_reconcile.model import StateRef, Team
from eeo_reconcile.state import historyfile
from eeo_reconcile.state.history import entries, events_from_ops, expand
from eeo_reconcile.state.local import LocalStore
from eeo_reconcile.state.model import State
from eeo_reconcile.state.ops import OpKind, StateOp
from eeo_reconcile.state.records import GroupRecord, Unconfirmed


def _store(tmp_path):
    s = LocalStore(StateRef.of("local", path=str(tmp_path / "eeo.state.json")))
    s.origin_dir = str(tmp_path)
    return s


ADD = StateOp(OpKind.ADD_STUDENTS, 5, uids=(1, 2), names=("Ann", None))
REMOVE = StateOp(OpKind.REMOVE_STUDENTS, 5, uids=(1,))
GROUP = StateOp(OpKind.SET_GROUP, 5, group_name="G", group=GroupRecord(9, (Team(2),)))


def _addresses(store, prefix=""):
    return [(e.action, e.address, e.operation) for e in store.history(prefix)]


def test_events_say_what_changed_with_old_and_new_values():
    st = State()
    assert [(e.action, e.address, e.new) for e in expand(events_from_ops(st, [ADD]))] == [
        ("add", "course/5/student/1", {"name": "Ann"}), ("add", "course/5/student/2", None)]
    st.apply(ADD)
    assert [(e.action, e.old) for e in expand(events_from_ops(st, [REMOVE]))] == [
        ("remove", {"name": "Ann"})]
    st.apply(GROUP)
    edit = StateOp(OpKind.SET_GROUP, 5, group_name="G2", group=GroupRecord(9, (Team(1),)))
    (e,) = events_from_ops(st, [edit])
    assert e.action == "edit" and e.old["name"] == "G" and e.new["teams"] == [[1]]
    assert events_from_ops(st, [ADD]) == []  # already there: nothing changed


def test_an_apply_killed_at_any_moment_records_each_change_once(tmp_path):
    for moment in ("before-close", "after-history", "torn-history"):
        d = tmp_path / moment
        d.mkdir()
        s = _store(d)
        with s.lock("apply"):
            st = s.read()
            j = s.open_journal(st)
            j.record([ADD])
            j.record([GROUP])
            if moment != "before-close":  # close got as far as the history
                historyfile.append_events(s.history_path, st.serial + 1, st.lineage,
                                          j.events, j.provenance)
                if moment == "torn-history":  # ... or part of it
                    with open(s.history_path, "rb+") as fh:
                        fh.truncate(os.path.getsize(s.history_path) - 30)
            os.close(s.local._fd)  # the process dies: no state write, the journal stays
            s.local._fd = None
        with s.lock("plan"):
            st = s.read()  # folds the journal
        assert st.courses[5].students == {1, 2}
        got = _addresses(s)
        assert got == [("add", "course/5/student/1", "apply"),
                       ("add", "course/5/student/2", "apply"),
                       ("create", "course/5/group/G", "apply")], moment
        with s.lock("plan"):
            s.read()
        assert len(_addresses(s)) == 3  # read again: still once


def test_state_commands_record_what_they_change(tmp_path):
    s = _store(tmp_path)
    with s.lock("apply"):
        st = s.read()
        j = s.open_journal(st)
        j.record([ADD])
        j.close()
    forget(s, [parse_address("course/5/student/2")])
    with s.lock("apply"):
        st = s.read()
        st.apply(StateOp(OpKind.GROUP_UNCONFIRMED, 5, group_name="Lost", teams=(Team(1),),
                         reason=Unconfirmed.NO_ANSWER))
        s.write(st)
    record_group_id(s, GroupAddress(5, "Lost"), 77)
    other = State(lineage=s.read().lineage, serial=s.read().serial + 1, sid=None)
    push(s, other)
    got = _addresses(s)
    assert ("remove", "course/5/student/2", "state rm") in got
    assert ("set-group-id", "course/5/group/Lost", "state set-group-id") in got
    assert ("remove", "course/5/student/1", "state push") in got
    with open(s.history_path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    assert all(json.loads(x).get("who") for x in lines if x.startswith('{"time"'))
    assert oct(os.stat(s.history_path).st_mode & 0o777) == "0o600"


def test_import_and_force_unlock_are_in_the_history(tmp_path):
    from click.testing import CliRunner

    from eeo_reconcile.cli import main

    (tmp_path / "r.csv").write_text("course_id,role,uid,name,lesson_id,custom\n"
                                    "5,student,1,Li Lei,,\n5,auditor,9,Parent,,\n")
    state = str(tmp_path / "eeo.state.json")
    r = CliRunner().invoke(main, ["import", str(tmp_path / "r.csv"), "--state", state])
    assert r.exit_code == 0, r.output
    with open(state + ".lock", "w") as fh:  # lock info a killed holder left behind
        fh.write(json.dumps({"id": "abc", "who": "x@y", "operation": "apply", "pid": 1,
                             "since": "2026-11-25T00:00:00Z"}))
    r = CliRunner().invoke(main, ["force-unlock", "abc", "--state", state])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["history", "--state", state, "--format", "csv"])
    rows = r.output.splitlines()
    assert rows[0].startswith("time,operation,action,address")
    assert any(",import,add,course/5/student/1," in x for x in rows)
    assert any(",import,add,course/5/auditor/9," in x for x in rows)
    assert any(",force-unlock,force-unlock,state," in x for x in rows)


def test_entry_lines_are_the_entries_encoded():
    import json

    from eeo_reconcile.provenance import Provenance
    from eeo_reconcile.state.history import Event

    events = [("2026-11-25T08:00:00Z",
               Event("add", "course/5/student/1", None, {"name": "李\"雷"})),
              ("2026-11-25T08:00:01Z", Event("edit", "course/5/group/G", {"teams": [[1, 2]]},
                                             {"teams": [[2]], "name": "G\n2"})),
              ("2026-11-25T08:00:02Z", Event("remove", "course/5/auditor/3", "Ann", None))]
    for prov in (Provenance("apply", "ci@host", "abc123", "run 7"),
                 Provenance("import", "me", None, None)):
        want = [json.dumps(e.to_json(), ensure_ascii=False, separators=(",", ":"))
                for e in entries(events, prov, 12)]
        assert list(historyfile.entry_lines(events, prov, 12)) == want
