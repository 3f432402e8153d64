"""Readable JSON written in pieces: the same value as the document."""

import json

from eeo_reconcile.cli.jsonout import json_pieces


def test_pieces_make_the_document():
    docs = [
        {},
        {"a": 1, "b": [], "c": None},
        {"ok": True, "outcomes": [{"address": f"course/1/student/{u}", "name": "李\"雷\n"}
                                  for u in range(4500)], "nested": {"x": [1, 2]}},
    ]
    for doc in docs:
        text = "".join(json_pieces(doc))
        assert json.loads(text) == doc
        assert text.endswith("\n")
    big = "".join(json_pieces(docs[2]))
    assert big.count("\n") > 4500  # one item per line: readable, and diffable
