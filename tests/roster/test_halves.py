"""A large CSV roster read on two cores collects exactly what a serial read
collects, and reports exactly the problems a serial read reports."""

import threading

import pytest

from eeo_reconcile.errors import ConfigError
from eeo_reconcile.roster import halves, read


def _roster_csv(path, courses=1200, bad=None, quoted=False):
    """About 4.3 MB: `courses` x 90 rows; `bad` maps a row number to its text."""
    lines = ["course_id,role,uid,name,lesson_id,custom"]
    for c in range(courses):
        cid = 700000 + c
        for k in range(84):
            lines.append(f"{cid},student,{10_000_000 + c * 100 + k},学生 number {k:03d} x,,")
        for k in range(84, 86):
            lines.append(f"{cid},auditor,{10_000_000 + c * 100 + k},Parent {k},,")
        for k in range(86, 90):
            lines.append(f"{cid},lesson_student,{10_000_000 + c * 100 + k},Visitor {k},"
                         f"{9_000_000 + c},C-{k}")
    for row, text in (bad or {}).items():
        lines[row - 1] = text
    if quoted:
        lines[5] = lines[5].replace("x,,", '"x",,')
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return str(path)


def _both(monkeypatch, paths):
    """(two-core result, serial result, whether two cores were used): each
    result the Roster's courses and rows, or the ConfigError's lines."""
    def run():
        try:
            r = read.read_rosters(paths)
            return r.courses, r.rows
        except ConfigError as exc:
            return [str(d) for d in exc.diagnostics]

    if threading.active_count() != 1:  # forking a threaded process is not safe
        pytest.skip("another test left a thread running")
    monkeypatch.delenv("EEO_NO_FORK", raising=False)
    monkeypatch.setattr(halves, "can_fork", lambda: True)
    used = []
    real = halves.read_in_halves

    def spy(*args, **kwargs):
        used.append(real(*args, **kwargs))
        return used[-1]

    monkeypatch.setattr(read, "read_in_halves", spy)
    two = run()
    used_then = list(used)
    monkeypatch.setattr(halves, "can_fork", lambda: False)
    return two, run(), used_then


def test_a_large_clean_file_is_read_the_same_on_two_cores(tmp_path, monkeypatch):
    path = _roster_csv(tmp_path / "big.csv")
    with open(path, encoding="utf-8") as fh:
        assert len(fh.read()) >= halves.PARALLEL_MIN
    two, one, used = _both(monkeypatch, [path])
    assert used == [True]
    assert two == one
    courses, rows = two
    assert rows == 1200 * 90 and len(courses) == 1200
    c = courses[700000]
    assert len(c.students) == 84 and len(c.auditors) == 2
    assert c.lessons[9_000_000][10_000_086].custom == "C-86"


@pytest.mark.parametrize("bad", [
    {108_000: "701199,student,abc,Oops,,"},  # in the child's half
    {30: "700000,student,x,Oops,,", 108_000: "701199,auditor,10119999,,,"},  # both halves
    {108_001: "700000,auditor,10000001,Parent,,"},  # a uid of the first half, other role
    {108_001: "700000,student,10000001,学生 number 001 x,,"},  # repeated as is: fine
])
def test_problems_are_reported_as_a_serial_read_reports_them(tmp_path, monkeypatch, bad):
    path = _roster_csv(tmp_path / "big.csv", bad=bad)
    two, one, used = _both(monkeypatch, [path])
    assert used == [False]  # not clean: read again in one process, in order
    assert two == one


def test_a_later_file_conflicting_with_a_row_read_by_the_child_is_located(tmp_path,
                                                                          monkeypatch):
    first = _roster_csv(tmp_path / "a.csv")
    later = tmp_path / "b.csv"
    later.write_text("course_id,role,uid,name\n701199,auditor,10119901,Parent\n",
                     encoding="utf-8")
    two, one, used = _both(monkeypatch, [first, str(later)])
    assert used == [True]
    assert two == one
    row = 2 + 1199 * 90 + 1  # where 701199's student 10119901 is
    assert any(f"row {row}" in line for line in two), two


def test_quoted_files_are_read_in_one_process(tmp_path, monkeypatch):
    path = _roster_csv(tmp_path / "big.csv", quoted=True)
    two, one, used = _both(monkeypatch, [path])
    assert used == [] and two == one


def _meeting_that(monkeypatch, front_upto, back_from):
    """The two sides stop where the test says, as a race of their
    announcements could make them: the front does pieces [0, front_upto(n)),
    the back pieces [back_from(n), n)."""
    def from_front(self, work):
        upto = front_upto(self.n)
        for k in range(upto):
            work(k)
        return upto

    def from_back(self, work, leave=0):
        low = back_from(self.n)
        for k in range(self.n - 1, low - 1, -1):
            work(k)
        return low

    monkeypatch.setattr(halves._Meeting, "from_front", from_front)
    monkeypatch.setattr(halves._Meeting, "from_back", from_back)


def test_pieces_neither_side_took_are_read_by_this_process(tmp_path, monkeypatch):
    _meeting_that(monkeypatch, lambda n: n // 3, lambda n: 2 * n // 3)  # a gap
    path = _roster_csv(tmp_path / "big.csv")
    two, one, used = _both(monkeypatch, [path])
    assert used == [True] and two == one


def test_pieces_both_sides_took_make_it_read_again_in_one_process(tmp_path, monkeypatch):
    _meeting_that(monkeypatch, lambda n: 2 * n // 3, lambda n: n // 3)  # an overlap
    path = _roster_csv(tmp_path / "big.csv")
    two, one, used = _both(monkeypatch, [path])
    assert used == [False] and two == one


def test_the_meeting_covers_every_piece_once():
    m = halves._Meeting(10)
    done = []
    assert m.from_back(done.append, 3) == 3  # stops 3 short of the front (at 0)
    assert m.from_front(done.append) == 3
    assert sorted(done) == list(range(10))
    m.close()
