"""The sandbox's world file: read as the configuration is, bounded, never a hang."""

import os

import pytest


@pytest.mark.parametrize("planted", ["device", "fifo", "link", "not utf-8", "missing"])
def test_a_world_that_is_not_a_world_file_is_a_located_error_never_a_hang(tmp_path, planted):
    """`sandbox --world /dev/zero` read forever and grew to gigabytes."""
    from eeo_reconcile.errors import ConfigError
    from eeo_reconcile.sandbox.world import load_world

    path = tmp_path / "world.yaml"
    if planted == "device":
        path = "/dev/zero"
    elif planted == "fifo":
        os.mkfifo(path)
    elif planted == "link":
        (tmp_path / "real.yaml").write_text("school: {sid: 1}\n")
        os.symlink(tmp_path / "real.yaml", path)
    elif planted == "not utf-8":
        path.write_bytes(b"school: {sid: 1}\n# \xff\xfe\n")
    with pytest.raises(ConfigError) as info:
        load_world(str(path))
    assert info.value.diagnostics[0].location.line == 1
