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


def test_an_iterator_is_written_as_a_list_as_it_is_taken():
    taken = []

    def items(n):
        for i in range(n):
            taken.append(i)
            yield {"i": i}

    for n in (0, 1, 2000, 4501):
        pieces = json_pieces({"before": 1, "outcomes": items(n), "after": [3]})
        text = next(pieces) + next(pieces)  # "{" and the first key: nothing taken yet
        assert taken == []
        text += "".join(pieces)
        assert json.loads(text) == {"before": 1, "outcomes": [{"i": i} for i in range(n)],
                                    "after": [3]}
        assert len(taken) == n
        taken.clear()
