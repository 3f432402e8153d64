"""JSON documents for people and programs, written as they are made.

The top-level keys one per line, a list one item per line, every value by
json's C encoder: `indent=` forces json's pure-Python encoder, which takes
seconds over an apply report that lists 216,000 members' outcomes, and the
whole text would be built before the first byte is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

import click

_encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
_ITEMS_A_PIECE = 2000


def json_pieces(doc: Mapping[str, Any]) -> Iterator[str]:
    """`doc` as JSON text, in pieces. A top-level value that is an iterator is
    written as a list, its items taken as they are written (a report's
    per-member outcomes are never all built at once)."""
    yield "{"
    for i, (key, value) in enumerate(doc.items()):
        yield f'{"," if i else ""}\n  {_encode(key)}: '
        if (type(value) is list and value) or isinstance(value, Iterator):
            yield "["
            items, first = iter(value), True
            while batch := list(islice(items, _ITEMS_A_PIECE)):
                yield ("" if first else ",") + ",".join([f"\n    {_encode(v)}" for v in batch])
                first = False
            yield "]" if first else "\n  ]"
        else:
            yield _encode(value)
    yield "\n}\n"


def echo_json(doc: Mapping[str, Any]) -> None:
    """Write `doc` to stdout as it is encoded."""
    for piece in json_pieces(doc):
        click.echo(piece, nl=False)
