"""The history in PostgreSQL: `eeo_history`, written in the transaction of the
change it records (see `state.history`); read with an index on the address."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ...provenance import Provenance
from ..history import HistoryEntry, expand, matches
from ..store import TimedEvent


def insert(conn: Any, ws: int, events: Sequence[TimedEvent], prov: Provenance,
           serial: int) -> None:
    if not events:
        return
    with conn.cursor() as cur, cur.copy(
            "COPY eeo_history (ws, time, operation, action, address, old, new, serial, who, "
            "commit, run) FROM STDIN") as copy:
        for when, c in events:
            for e in expand((c,)):  # a row per member: the address index finds each
                copy.write_row((ws, when, prov.operation, e.action, e.address,
                                json.dumps(e.old, ensure_ascii=False)
                                if e.old is not None else None,
                                json.dumps(e.new, ensure_ascii=False)
                                if e.new is not None else None,
                                serial, prov.who, prov.commit, prov.run))


def insert_entries(conn: Any, ws: int, entries: Iterable[HistoryEntry]) -> int:
    """Rows for entries read from another store (state migrate); how many."""
    n = 0
    with conn.cursor() as cur, cur.copy(
            "COPY eeo_history (ws, time, operation, action, address, old, new, serial, who, "
            "commit, run) FROM STDIN") as copy:
        for e in entries:
            copy.write_row((ws, e.time, e.operation, e.action, e.address,
                            json.dumps(e.old, ensure_ascii=False) if e.old is not None else None,
                            json.dumps(e.new, ensure_ascii=False) if e.new is not None else None,
                            e.serial, e.who, e.commit, e.run))
            n += 1
    return n


def read(conn: Any, ws: int, prefix: str = "", since: str | None = None,
         until: str | None = None) -> Iterator[HistoryEntry]:
    where = ["ws = %s"]
    args: list[Any] = [ws]
    p = prefix.rstrip("/")
    if p:
        # the address and everything below it sort in [p, p + "0") byte-wise ("/" is
        # just below "0"): a range on the "C"-collated index, then the exact check
        where.append('(address COLLATE "C") >= %s AND (address COLLATE "C") < %s')
        args += [p, p + "0"]
    if since:
        where.append("time >= %s")
        args.append(since)
    if until:
        where.append("time <= %s")
        args.append(until)
    sql = ("SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
           "operation, action, address, old, new, serial, who, commit, run FROM eeo_history "
           "WHERE " + " AND ".join(where) + " ORDER BY id")
    with conn.cursor() as cur:
        for row in cur.stream(sql, args):
            e = HistoryEntry(*row)
            if matches(e.address, p):
                yield e
