"""People in a roster export: an `account` column (a mobile number or an email)
and a `key` column (the school's id for the pupil) make each such row's uid a
person's. `import` records them (the uid, the name, a digest of the account),
so that the configuration can name them by person without registering again.
Without a key column no one is recorded (the account cannot be the key: the
state never keeps an account whole); the rows are counted and the report says
why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..classin.accounts import MAX_NAME, parse_account
from ..errors import Diagnostic, Location
from ..ids import as_id
from ..text import token
from .model import Roster

PersonRow = tuple[int, str, str]  # uid, account (as sent), name


def collect_people(roster: Roster, errors: list[Diagnostic], display: str,
                   chunk: Sequence[Sequence[Any]], first: int, cols: dict[str, int]) -> None:
    """The people of a chunk of rows (only when the file has an `account` column);
    a bad account, a key given two uids or an account given two keys is a located
    error. A row without an account names no one."""
    ai, ki, ui, ni = cols["account"], cols.get("key"), cols["uid"], cols.get("name")
    by_account = roster.people_by_account
    for line, row in enumerate(chunk, start=first):
        cell = row[ai] if ai < len(row) else None
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        account, why = parse_account(text)
        if account is None:
            errors.append(Diagnostic(Location(display, line, ai + 1),
                                     f"the account {why}",
                                     "a mainland mobile number (11 digits), 00<cc>-<number>, "
                                     "or an email"))
            continue
        uid = as_id(row[ui]) if ui < len(row) else None
        name = str(row[ni]).strip() if ni is not None and ni < len(row) and row[ni] else ""
        if uid is None or not 0 < len(name) <= MAX_NAME:
            continue  # the row's own checks say what is wrong with the uid; no name: no person
        key = str(row[ki]).strip() if ki is not None and ki < len(row) and row[ki] else ""
        if not key:
            roster.people_without_key += 1
            continue
        had = roster.people.get(key)
        if had is not None and had[0] != uid:
            errors.append(Diagnostic(Location(display, line, (ki if ki is not None else ai) + 1),
                                     f"person {token(key)!r} has uid {uid} here and {had[0]} "
                                     "in an earlier row", "one person has one account"))
            continue
        other = by_account.setdefault(account.value, key)
        if other != key:
            errors.append(Diagnostic(Location(display, line, ai + 1),
                                     f"this account is person {token(other)!r}'s too",
                                     "one account is one person"))
            continue
        roster.people[key] = (uid, account.value, name)
