"""The local history file: bulk lines read back as the entries they stand
for, damaged lines are skipped."""

import json

import pytest

from eeo_reconcile.errors import StateError
from eeo_reconcile.provenance import Provenance
from eeo_reconcile.state import historyfile
from eeo_reconcile.state.history import (
    Bulk,
    Event,
    entries,
    expand,
    matches,
)
from eeo_reconcile.state.store import TimedAt

PROV = Provenance("import", "registrar@host", "3f2a9c1d", "https://ci/run/7")
T = "2026-11-25T08:00:00Z"
CHANGES = [
    Bulk("add", "course/5/student", [1, 2, 22], None, ["李\"雷", None, "Ann"]),
    Bulk("remove", "course/5/student", [7], ["Old"]),
    Bulk("add", "course/5/auditor", [9], ["Mum"], ["Mother"]),
    Bulk("add", "course/5/lesson/70/student", [3, 4], None, ["V", "W"], None, [None, "C-1"]),
    Event("label", "course/5", {"name": "Maths"}, {"name": "Maths 1"}),
    Bulk("add", "course/55/student", [2], None, None),
]


def _written(tmp_path, changes, serial=3):
    path = str(tmp_path / "h.jsonl")
    historyfile.append_events(path, serial, "L", TimedAt(T, changes), PROV)
    return path


@pytest.mark.parametrize("prefix", [
    "", "course/5", "course/5/", "course/5/student", "course/5/student/2",
    "course/5/student/22", "course/5/lesson/70/student/4", "course/55", "course/6",
    "course/5/auditor/9", "course/5/student/2/x",
])
def test_bulk_lines_read_back_as_the_entries_they_stand_for(tmp_path, prefix):
    path = _written(tmp_path, CHANGES)
    want = [e for e in entries([(T, c) for c in CHANGES], PROV, 3)
            if matches(e.address, prefix.rstrip("/"))]
    assert list(historyfile.read(path, prefix)) == want
    with open(path, encoding="utf-8") as fh:
        assert len(fh.read().splitlines()) == len(CHANGES) + 1  # a line a change, an end


def test_a_bulk_line_holds_what_its_entries_say():
    (line,) = historyfile.entry_lines([(T, CHANGES[3])], PROV, 3)
    d = json.loads(line)
    assert d == {"time": T, "operation": "import", "action": "add",
                 "under": "course/5/lesson/70/student", "keys": [3, 4],
                 "new_names": ["V", "W"], "new_customs": [None, "C-1"], "serial": 3,
                 "who": "registrar@host", "commit": "3f2a9c1d", "run": "https://ci/run/7"}
    assert [e.new for e in expand([CHANGES[3]])] == [{"name": "V", "custom": None},
                                                     {"name": "W", "custom": "C-1"}]


def test_a_large_bulk_spans_lines_that_read_back_whole(tmp_path):
    big = Bulk("add", "course/5/student", list(range(1, 20_001)), None,
               [f"S{i}" for i in range(1, 20_001)])
    path = _written(tmp_path, [big])
    with open(path, encoding="utf-8") as fh:
        assert len(fh.read().splitlines()) == 3 + 1
    got = list(historyfile.read(path))
    assert [e.address for e in got] == [f"course/5/student/{i}" for i in range(1, 20_001)]
    assert got[-1].new == {"name": "S20000"}
    (one,) = historyfile.read(path, "course/5/student/12345")
    assert one.new == {"name": "S12345"}


def test_damaged_bulk_lines_are_skipped_and_the_others_read(tmp_path):
    path = _written(tmp_path, CHANGES[:1])
    with open(path, encoding="utf-8") as fh:
        good = fh.read().splitlines()
    base = json.loads(good[0])
    bad = [dict(base, keys=[1, 2]), dict(base, keys="1,2"), dict(base, under=5),
           dict(base, new_names={"a": 1}), dict(base, serial="x"), "[1, 2]"]
    lines = [json.dumps(b) for b in bad] + [good[0], '{"time": "2026', good[1]]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    got = list(historyfile.read(path))
    assert [e.address for e in got] == [f"course/5/student/{u}" for u in (1, 2, 22)]


def test_an_over_long_line_is_skipped_in_reading_and_appending(tmp_path, monkeypatch):
    """A planted line longer than any the history writes (here over 4 KiB) is
    skipped unread, in the middle of a batch and as a cut write at the end."""
    monkeypatch.setattr(historyfile, "_MAX_LINE", 4096)
    path = _written(tmp_path, CHANGES[:1])
    with open(path, encoding="utf-8") as fh:
        good = fh.read().splitlines()
    planted = json.dumps({"time": T, "address": "course/5/student/1", "x": "a" * 9000})
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join([good[0], planted, good[1]]) + "\n" + planted)  # and a cut one
    parsed = []
    parse = historyfile._parse
    monkeypatch.setattr(historyfile, "_parse", lambda raw, p: parsed.append(raw) or parse(raw, p))
    assert [e.address for e in historyfile.read(path, "course/5/student/1")] == \
        ["course/5/student/1"]
    assert parsed == [(good[0] + "\n").encode()]  # the planted line was never taken
    # the next batch finds the last end line past the cut over-long tail, and cuts it off
    historyfile.append_events(path, 4, "L", TimedAt(T, CHANGES[1:2]), PROV)
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    assert lines[:3] == [good[0], planted, good[1]] and len(lines) == 5
    assert [e.serial for e in historyfile.read(path, "course/5/student/7")] == [4]


def test_a_planted_history_never_hangs_a_command(tmp_path, monkeypatch):
    """A sparse 20 GB history and a FIFO in its place are refused at once with
    what they are (the backwards read of the one, the open of the other hung);
    a tail with no complete batch in the last bytes scanned is refused, never
    truncated away."""
    import os

    from eeo_reconcile.state.history import Bulk

    batch = [Bulk("add", "course/5/student", [1], None, None)]
    sparse = tmp_path / "sparse.jsonl"
    with open(sparse, "wb") as fh:
        fh.truncate(20 << 30)
    with pytest.raises(StateError, match="more than the"):
        historyfile.append_events(str(sparse), 3, "L", TimedAt(T, batch), PROV)
    with pytest.raises(StateError, match="more than the"):
        list(historyfile.read(str(sparse)))
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(StateError, match="FIFO"):
        list(historyfile.read(str(fifo)))
    with pytest.raises(StateError, match="FIFO"):
        historyfile.append_events(str(fifo), 3, "L", TimedAt(T, batch), PROV)
    # a good batch, then more than the scan window of bytes without a batch end
    monkeypatch.setattr(historyfile, "MAX_TAIL_SCAN", 4096)
    tail = tmp_path / "tail.jsonl"
    historyfile.append_events(str(tail), 3, "L", TimedAt(T, batch), PROV)
    good = tail.read_bytes()
    with open(tail, "ab") as fh:
        fh.write(b"x" * 10_000)
    with pytest.raises(StateError, match="no complete batch"):
        historyfile.append_events(str(tail), 4, "L", TimedAt(T, batch), PROV)
    assert tail.read_bytes()[:len(good)] == good  # nothing cut away
