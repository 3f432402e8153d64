"""A state write killed at every step it takes: the history and the state agree
right after the kill and after the next write, whatever the operation.

The kill is a `Killed` raised at the k-th write, fsync, truncate, link or
rename the operation makes (each a point where a real SIGKILL leaves the files
as they are), for every k until the operation completes."""

import json
import os

import pytest

from eeo_reconcile.address import GroupAddress, parse_address
from eeo_reconcile.maintenance import forget, migrate_state, push, record_group_id
from eeo_reconcile.model import StateRef, Team
from eeo_reconcile.state.history import events_from_ops
from eeo_reconcile.state.local import LocalStore
from eeo_reconcile.state.model import State
from eeo_reconcile.state.ops import OpKind, StateOp
from eeo_reconcile.state.records import Unconfirmed
from eeo_reconcile.workflow import import_rosters
from tests.helpers import students_in_history

STEPS = ("write", "fsync", "ftruncate", "link", "replace")


class Killed(BaseException):
    """The process died here."""


class Killer:
    def __init__(self, monkeypatch, at):
        self.at, self.n = at, 0
        for name in STEPS:
            real = getattr(os, name)
            monkeypatch.setattr(os, name, self._wrap(real))

    def _wrap(self, real):
        def step(*args, **kwargs):
            if _lock_file(args[0]):  # a killed process's lock goes with it
                return real(*args, **kwargs)
            self.n += 1
            if self.at is not None and self.n == self.at:
                raise Killed
            return real(*args, **kwargs)
        return step


def _lock_file(target):
    if isinstance(target, int):
        try:
            target = os.readlink(f"/proc/self/fd/{target}")
        except OSError:
            return False
    return str(target).endswith(".lock")


def _store(d, name="eeo.state.json"):
    return LocalStore(StateRef.of("local", path=str(d / name)))


def _students(store):
    st = store.driver.get()  # as written (a killed apply's journal is folded by the next write)
    return {(cid, u) for cid, c in st.courses.items() for u in c.students}


def _batches(store):
    """(lineage, serial) of each complete batch in the history file, in order."""
    if not os.path.exists(store.history_path):
        return []
    with open(store.history_path, encoding="utf-8") as fh:
        ends = [json.loads(x) for x in fh if x.startswith('{"end":')]
    return [(d["lineage"], d["end"]) for d in ends if not d.get("note")]


def _agree(store, when):
    st = store.driver.get()
    assert students_in_history(store) == _students(store), when
    ours = [s for lin, s in _batches(store) if lin == st.lineage]
    assert ours == sorted(set(ours)), f"{when}: a serial's batch twice: {ours}"


def _seed(d):
    s = _store(d)
    with s.lock("seed"):
        st = s.read()
        op = StateOp(OpKind.ADD_STUDENTS, 5, uids=(1, 2), names=("Ann", None))
        ev = events_from_ops(st, [op])
        st.apply(op)
        st.apply(StateOp(OpKind.GROUP_UNCONFIRMED, 5, group_name="Lost", teams=(Team(1),),
                         reason=Unconfirmed.NO_ANSWER))
        s.write(st, ev)
    (d / "r.csv").write_text("course_id,role,uid,name,lesson_id,custom\n"
                             "5,student,3,Cai,,\n6,student,4,Dee,,\n")
    return s


def _import(d, s):
    import_rosters([str(d / "r.csv")], s)


def _fold(d, s):
    with s.lock("apply"):
        st = s.read()
        j = s.open_journal(st)
        j.record([StateOp(OpKind.ADD_STUDENTS, 5, uids=(7,), names=("Gil",))])
        j.record([StateOp(OpKind.REMOVE_STUDENTS, 5, uids=(1,))])
        j.close()


def _rm(d, s):
    forget(s, [parse_address("course/5/student/2")])


def _set_group_id(d, s):
    record_group_id(s, GroupAddress(5, "Lost"), 77)


def _push(d, s):
    cur = s.snapshot()
    other = State(lineage=cur.lineage, serial=cur.serial + 1, sid=None)
    other.apply(StateOp(OpKind.ADD_STUDENTS, 8, uids=(5,), names=("Eve",)))
    push(s, other)


def _migrate(d, s):
    migrate_state(s, _store(d, "other.json"))


OPERATIONS = {"import": _import, "apply's fold": _fold, "state rm": _rm,
              "set-group-id": _set_group_id, "push": _push, "migrate": _migrate}


def _next_write(s):
    """The next command: folds what a killed apply left, then changes something else."""
    with s.lock("next"):
        st = s.read()
        op = StateOp(OpKind.ADD_STUDENTS, 9, uids=(99,), names=("Next",))
        ev = events_from_ops(st, [op])
        st.apply(op)
        s.write(st, ev)


@pytest.mark.parametrize("name", OPERATIONS)
def test_a_state_write_killed_at_every_step_leaves_history_and_state_agreeing(
        tmp_path, monkeypatch, name):
    operation = OPERATIONS[name]
    counted = Killer(monkeypatch, None)
    probe = tmp_path / "probe"
    probe.mkdir()
    s = _seed(probe)
    counted.n = 0
    operation(probe, s)
    steps = counted.n
    monkeypatch.undo()
    assert steps > 3, steps
    for k in range(1, steps + 1):
        d = tmp_path / f"k{k}"
        d.mkdir()
        s = _seed(d)
        killer = Killer(monkeypatch, k)
        with pytest.raises(Killed):
            operation(d, s)
        monkeypatch.undo()
        del killer
        s = _store(d)  # a new process
        _agree(s, f"{name}, killed at step {k} of {steps}")
        _next_write(s)
        _agree(s, f"{name}, killed at step {k} of {steps}, after the next write")
        assert (9, 99) in students_in_history(s)
