"""A configuration source other than YAML builds the same Config, with located errors."""

import pytest

from eeo_reconcile.config.load import build_config
from eeo_reconcile.errors import ConfigError, Location


class RowDocument:
    """A document whose positions are rows of a made-up table: every course is
    one row, every value of it one column (the key's position in the row)."""

    parsed = True

    def __init__(self, data):
        self.path = self.display = "roster.csv"
        self.data = data
        self.diagnostics = []

    def locate(self, path, key=False):
        row = path[1] + 2 if len(path) > 1 and path[0] == "courses" else 1
        col = 1 + len(path)
        return Location(self.display, row, col)

    def at(self, prefix):
        doc = self

        class At:
            def locate(self, path, key=False):
                return doc.locate([*prefix, *path], key)

        return At()

    def release(self):
        pass


class Source:
    root = base_dir = "/tmp"
    files = ("roster.csv",)

    def __init__(self, data):
        self.doc = RowDocument(data)

    def documents(self):
        yield self.doc

    def digest(self):
        return "d"


def test_a_row_source_builds_a_config():
    config = build_config(Source({"school": {"sid": 7}, "courses": [
        {"id": 5, "students": [1, 2], "auditors": [{"uid": 3, "name": "A"}]}]}))
    assert config.school.sid == 7 and set(config.courses[5].students) == {1, 2}


def test_errors_are_located_by_the_source():
    with pytest.raises(ConfigError) as info:
        build_config(Source({"school": {"sid": 7}, "courses": [
            {"id": 5, "students": [1]},
            {"id": 6, "students": [1, 1], "auditors": [{"uid": 1, "name": "x" * 30}]}]}))
    text = info.value.render()
    assert "roster.csv:3:" in text and "listed twice" in text
    assert "at most 24" in text
