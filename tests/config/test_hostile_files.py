"""Files a pull request could plant in a configuration directory: each is a located
error with exit 1, quickly, without reading or echoing what it points at."""

import os
import socket
import subprocess
import sys

import pytest

from eeo_reconcile.config import yamlload
from eeo_reconcile.config.load import load_config
from eeo_reconcile.errors import ConfigError


def _cfg(tmp_path):
    d = tmp_path / "cfg"
    d.mkdir()
    (d / "school.yaml").write_text("school: {sid: 1}\ncourses: [{id: 5, students: [1]}]\n")
    return d


def _validate(path):
    r = subprocess.run([sys.executable, "-m", "eeo_reconcile", "validate", str(path)],
                       capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout + r.stderr


SECRET_LINE = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize("kind", ["outside", "dev-zero", "dangling", "loop", "fifo", "socket",
                                  "directory-link"])
def test_planted_entries_are_refused(tmp_path, kind):
    d = _cfg(tmp_path)
    outside = tmp_path / "credentials"
    outside.write_text(SECRET_LINE + "\n")
    entry = d / "planted.yaml"
    if kind == "outside":
        entry.symlink_to(outside)
    elif kind == "dev-zero":
        entry.symlink_to("/dev/zero")
    elif kind == "dangling":
        entry.symlink_to(d / "nowhere.yaml")
    elif kind == "loop":
        entry.symlink_to(entry)
    elif kind == "fifo":
        os.mkfifo(entry)
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(entry))
        s.close()
    else:  # a link to a directory outside is not walked into
        (d / "elsewhere").symlink_to(tmp_path)
        (tmp_path / "x.yaml").write_text("junk: 1\n")
    code, out = _validate(d)
    assert "Traceback" not in out
    assert SECRET_LINE[:20] not in out and "wJalrX" not in out
    if kind == "directory-link":
        assert code == 0, out
        return
    assert code == 1
    assert "planted.yaml:1:1: error: this file is" in out
    why = {"outside": "leaves the configuration directory", "dev-zero": "leaves the",
           "dangling": "does not exist", "loop": "loop", "fifo": "named pipe",
           "socket": "socket"}[kind]
    assert why in out


def test_a_link_inside_the_directory_is_followed(tmp_path):
    d = _cfg(tmp_path)
    (d / ".shared").mkdir()  # hidden: read only through the link
    (d / ".shared" / "c.yml").write_text("courses: [{id: 6, students: [2]}]\n")
    (d / "linked.yaml").symlink_to(d / ".shared" / "c.yml")
    assert set(load_config(str(d)).courses) == {5, 6}


def test_a_name_that_is_not_utf8_or_holds_a_newline_is_shown_escaped(tmp_path):
    d = _cfg(tmp_path)
    name = os.fsencode(str(d)) + b"/bad\xff\n.yaml"
    with open(name, "wb") as fh:
        fh.write(b"courses: [\n")
    code, out = _validate(d)
    assert code == 1 and "Traceback" not in out
    assert "bad\\xff\\x0a.yaml:2:1: error: YAML syntax error" in out


def test_locating_many_unknown_keys_indexes_each_mapping_once(tmp_path, monkeypatch):
    d = tmp_path / "cfg"
    d.mkdir()
    (d / "a.yaml").write_text("school: {sid: 1}\n" + "".join(f"k{i}: 1\n" for i in range(3000)))
    built = []
    real = yamlload._index

    def counting(node, cache):
        if cache is None or id(node) not in cache:
            built.append(node)
        return real(node, cache)

    monkeypatch.setattr(yamlload, "_index", counting)
    with pytest.raises(ConfigError) as info:
        load_config(str(d))
    assert len(info.value.diagnostics) == 3000
    assert len(built) <= 2  # the top-level mapping (and none per key)
    text = info.value.render()
    assert text.count("\n") < 250 and "... and 2900 more errors not shown" in text
    assert text.endswith("3000 errors found.")
