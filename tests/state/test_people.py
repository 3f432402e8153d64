"""People in the state: round-trip, never an account, every field checked."""

import json

import pytest

from eeo_reconcile.errors import StateError
from eeo_reconcile.state import codec
from eeo_reconcile.state.model import State
from eeo_reconcile.state.ops import StateOp, person_op
from eeo_reconcile.state.records import PersonRecord

DIGEST = "h-" + "a" * 24


def test_people_round_trip_and_are_recorded_by_their_op():
    st = State(lineage="x", serial=1, sid=1)
    op = person_op("S1001", PersonRecord(5000000, "王小明", DIGEST))
    assert StateOp.from_json(json.loads(json.dumps(op.to_json()))) == op
    st.apply(op)
    again = codec.loads(codec.dumps(st))
    assert again.people == {"S1001": PersonRecord(5000000, "王小明", DIGEST)}
    assert again.same_content(st) and not again.same_content(State(lineage="x", sid=1))


@pytest.mark.parametrize("person", [
    {"uid": 1, "name": "N", "account": "13800000001"},  # an account in clear: refused
    {"uid": 0, "name": "N", "account": DIGEST},
    {"uid": 1, "name": "", "account": DIGEST},
    {"uid": 1, "name": "N", "account": DIGEST, "phone": "x"},
    ["not", "an", "object"],
])
def test_a_planted_person_is_refused_with_where(person):
    doc = json.loads(codec.dumps(State(lineage="x", serial=1, sid=1)))
    doc["people"] = {"S1": person}
    with pytest.raises(StateError, match="people"):
        codec.loads(json.dumps(doc).encode())


@pytest.mark.parametrize("op", [
    {"k": "p=", "c": 5, "K": "S1", "P": [1, "N", DIGEST]},
    {"k": "p=", "c": 0, "K": "", "P": [1, "N", DIGEST]},
    {"k": "p=", "c": 0, "K": "S1", "P": [1, "N"]},
    {"k": "p=", "c": 0, "K": "S1", "P": [1, "N", DIGEST], "u": [1]},
])
def test_a_damaged_person_op_is_refused(op):
    with pytest.raises(ValueError):
        StateOp.from_json(op)
