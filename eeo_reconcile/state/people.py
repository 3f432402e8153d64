"""The people of a state as JSON (the state file's `people`): key -> uid, the
console name, and the keyed digest of the account, checked field by field
(a state file can be planted)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..text import UNSAFE
from .records import PersonRecord

_DIGEST = re.compile(r"h-[a-z2-7]{24}")


def people_json(people: Mapping[str, PersonRecord]) -> dict[str, dict[str, Any]]:
    return {k: {"uid": p.uid, "name": p.name, "account": p.account}
            for k, p in sorted(people.items())}


def people_from_json(raw: Any) -> dict[str, PersonRecord]:
    """The people of a state document; ValueError saying where and what is wrong."""
    if type(raw) is not dict:
        raise ValueError("must be an object")
    out: dict[str, PersonRecord] = {}
    for key, p in raw.items():
        where = key[:40]
        if not 0 < len(key) <= 64 or UNSAFE.search(key):
            raise ValueError(f"{where}: a person's key is 1 to 64 printable characters")
        if type(p) is not dict or p.keys() != {"uid", "name", "account"}:
            raise ValueError(f"{where}: must be an object with uid, name and account")
        uid, name, account = p["uid"], p["name"], p["account"]
        if type(uid) is not int or not 0 < uid < 1 << 63:
            raise ValueError(f"{where}.uid: must be a positive whole number")
        if type(name) is not str or not 0 < len(name) <= 24:
            raise ValueError(f"{where}.name: must be a text of 1 to 24 characters")
        if type(account) is not str or not _DIGEST.fullmatch(account):
            raise ValueError(f"{where}.account: must be an account digest (h-...), never "
                             "an account")
        out[key] = PersonRecord(uid, name, account)
    return out
