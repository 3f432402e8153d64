"""A configuration's later files built by a second process (config.parallel):
the same Config, and the same errors in the same order, as built serially."""

import shutil
import threading

import pytest

from eeo_reconcile import _fork
from eeo_reconcile.config import parallel
from eeo_reconcile.config.load import load_config
from eeo_reconcile.errors import ConfigError
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")


def _course(cid: int, lesson: int, extra: str = "") -> str:
    return (f"  - id: {cid}\n    name: Course {cid}\n    students: [{cid * 10 + 1}, "
            f"{cid * 10 + 2}, {{uid: {cid * 10 + 3}, name: Pupil}}]\n"
            f"    auditors: [{{uid: {cid * 10 + 9}, name: Guest}}]\n"
            f"    lessons:\n      - id: {lesson}\n        name: Week 1\n        students:\n"
            f"          - {{uid: {cid * 10 + 7}, name: Visitor, custom: X}}\n{extra}")


def _district(tmp_path, files: dict[str, str]):
    root = tmp_path / "cfg"
    shutil.copytree(EXAMPLES, root)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def _both(monkeypatch, root):
    """(parallel result, serial result): each a Config or the ConfigError's lines."""
    def run():
        try:
            return load_config(root)
        except ConfigError as exc:
            return [str(d) for d in exc.diagnostics]

    if threading.active_count() != 1:  # forking a threaded process is not safe
        pytest.skip("another test left a thread running")
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(_fork, "can_fork", lambda: True)
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    calls = []
    real = parallel.LaterFiles

    class Spy(real):
        def __init__(self, entries):
            calls.append(len(entries))
            super().__init__(entries)

    monkeypatch.setattr("eeo_reconcile.config.load.LaterFiles", Spy)
    forked = run()
    assert calls, "the second process was not used"
    monkeypatch.setenv("EEO_NO_FORK", "1")
    monkeypatch.setattr(parallel, "can_fork", lambda: False)
    return forked, run()


def _files(n: int, bad: dict[int, str] | None = None) -> dict[str, str]:
    out = {}
    for i in range(n):
        text = "courses:\n" + "".join(_course(900_000 + i * 10 + j, 7_000_000 + i * 10 + j)
                                      for j in range(3))
        out[f"z{i:02}.yaml"] = (bad or {}).get(i, text)
    return out


def test_a_valid_configuration_is_the_same_built_in_two_processes(tmp_path, monkeypatch):
    forked, serial = _both(monkeypatch, _district(tmp_path, _files(6)))
    assert not isinstance(forked, list)
    assert forked == serial
    assert list(forked.courses) == list(serial.courses)  # the same order
    assert forked.digest == serial.digest


@pytest.mark.parametrize("bad", [
    # a syntax error, a duplicate key and a schema error in a later file
    {5: "courses:\n  - id: 1\n    students: [1, 2\n"},
    {5: "courses:\n  - id: 990001\n    id: 990002\n    students: [1]\n"},
    {4: "courses:\n  - id: 990001\n    students: [abc]\n"},
    # a course and a lesson given in an earlier file, met again in a later one
    {5: "courses:\n" + _course(900_000, 7_999_999)},
    {5: "courses:\n" + _course(999_999, 7_000_000)},
    # two later files meeting each other
    {4: "courses:\n" + _course(999_998, 7_999_998), 5: "courses:\n" + _course(999_998, 7_999_997)},
    # a course split into parts, and a second school block
    {5: "courses:\n  - id: 442447\n    part: extra\n    auditors: [{uid: 5, name: A}]\n"},
    {5: "school:\n  sid: 2339736\n"},
    # a retired course twice
    {4: "retired_courses:\n  - {id: 555, action: forget}\n",
     5: "retired_courses:\n  - {id: 555, action: forget}\n"},
])
def test_errors_in_later_files_are_reported_as_serially(tmp_path, monkeypatch, bad):
    forked, serial = _both(monkeypatch, _district(tmp_path, _files(6, bad)))
    assert forked == serial


def test_a_child_that_fails_leaves_the_files_to_this_process(tmp_path, monkeypatch):
    def broken(doc):
        raise RuntimeError("boom")

    monkeypatch.setattr(parallel, "prebuild", broken)
    forked, serial = _both(monkeypatch, _district(tmp_path, _files(4)))
    assert forked == serial and not isinstance(forked, list)


def test_no_second_process_below_the_size_or_with_threads(monkeypatch):
    monkeypatch.delenv("EEO_NO_FORK", raising=False)
    assert parallel.split_point([10, 10]) is None  # far below PARALLEL_BYTES
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    assert parallel.split_point([5]) is None  # one file
    assert parallel.split_point([1, 1, 1, 1]) == 2
    assert parallel.split_point([100, 1, 1]) == 1
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not _fork.can_fork()  # a child of a threaded process could inherit a held lock
    finally:
        stop.set()
        thread.join()
    monkeypatch.setenv("EEO_NO_FORK", "1")
    assert not _fork.can_fork()


def test_hostile_later_files_are_refused_as_serially(tmp_path, monkeypatch):
    # files the second process would take: a link leaving the directory, bytes
    # that are not UTF-8, a file cut short, a value of the wrong type
    outside = tmp_path / "secret.yaml"
    outside.write_text("courses: []\n", encoding="utf-8")
    root = _district(tmp_path, _files(6, {3: "courses:\n  - id: 990001\n    students: {a: 1}\n",
                                          5: "courses:\n  - id: 990002\n    stud"}))
    (root / "z04.yaml").write_bytes(b"courses:\n  - id: 990003\n    name: \xff\xfe\n")
    (root / "z06.yaml").symlink_to(outside)
    forked, serial = _both(monkeypatch, root)
    assert isinstance(forked, list) and forked == serial
    text = "\n".join(forked)
    assert "leaves the configuration directory" in text and "UTF-8" in text
