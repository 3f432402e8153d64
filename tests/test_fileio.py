"""Reading a file a line at a time with a bound on the line: the same lines as
splitting the whole file, less those over the bound, whatever the chunking."""

import io
import os
import random
import tracemalloc

import pytest

from eeo_reconcile.fileio import bounded_lines, lines_backwards


def _contents(rnd):
    lines = [rnd.choice([b"", b"x" * rnd.randint(1, 30), b"y" * rnd.randint(31, 90)])
             for _ in range(rnd.randint(0, 12))]
    text = b"\n".join(lines)
    return text + rnd.choice([b"", b"\n", b"\ncut"])


@pytest.mark.parametrize("seed", range(300))
def test_forwards_and_backwards_give_the_lines_under_the_limit(tmp_path, seed):
    rnd = random.Random(seed)
    data, limit, chunk = _contents(rnd), rnd.randint(1, 60), rnd.randint(1, 50)
    # forwards: every line (with its newline), the last one even if cut
    pieces = data.splitlines(keepends=True)
    want = [ln for ln in pieces if len(ln.rstrip(b"\n")) <= limit]
    assert list(bounded_lines(io.BytesIO(data), limit)) == want
    # backwards: complete lines only (a last line without a newline is a cut write)
    path = tmp_path / "f"
    path.write_bytes(data)
    complete, offset = [], 0
    for ln in data.split(b"\n")[:-1]:
        offset += len(ln) + 1
        if len(ln) <= limit:
            complete.append((offset, ln))
    fd = os.open(path, os.O_RDONLY)
    try:
        assert list(lines_backwards(fd, len(data), limit, chunk)) == complete[::-1]
    finally:
        os.close(fd)


def test_an_over_long_line_is_never_held_whole(tmp_path):
    """A planted line of 64 MiB with limit 1 KiB: read through, not kept."""
    big = b"{" + b"a" * (64 << 20) + b"}"
    data = b'{"first":1}\n' + big + b'\n{"last":2}\n' + big
    path = tmp_path / "h"
    path.write_bytes(data)
    size = len(data)
    del data, big
    tracemalloc.start()
    try:
        with open(path, "rb") as fh:
            assert list(bounded_lines(fh, 1024)) == [b'{"first":1}\n', b'{"last":2}\n']
        fd = os.open(path, os.O_RDONLY)
        try:
            got = list(lines_backwards(fd, size, 1024))
        finally:
            os.close(fd)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [ln for _, ln in got] == [b'{"last":2}', b'{"first":1}']
    assert peak < 8 << 20  # a chunk or two, not the line
