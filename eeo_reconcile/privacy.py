"""Redaction: what plans, summaries and logs show of the people on the rosters.

The people are mostly children. `Redactor` is handed to every renderer:

  none   everything as recorded;
  names  people's names masked to their first character (`李**`): students'
         labels, auditors' and lesson students' names, custom columns;
  all    names masked and uids replaced by a stable short keyed hash
         (`u-7kq2m4xa`), so a reviewer can still see that two lines are about
         the same person without seeing who.

Course, lesson and grouping names and ids name classes, not people, and are
kept. The hash key comes from the school's secret when it is set, otherwise
from a random salt kept in the state (never shown): with neither, from a
random key for this run only. A uid is a short number, so an unkeyed hash
could be reversed by trying them all; the key is what makes it a pseudonym.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from typing import Any

from .address import (
    Address,
    AuditorAddress,
    LessonStudentAddress,
    StudentAddress,
    parse_address,
)
from .errors import EeoError
from .model import Redact

_CONTEXT = b"eeo-reconcile redaction v1"
MASK = "**"


def redaction_key(secret: str | None, salt: str | None) -> bytes:
    """The key uids are hashed with: from the secret, else the state's salt, else
    random (hashes then only match within one output)."""
    if secret:
        return hmac.new(secret.encode(), _CONTEXT, hashlib.sha256).digest()
    if salt:
        return hmac.new(salt.encode(), _CONTEXT, hashlib.sha256).digest()
    return os.urandom(32)


def stricter(*levels: Redact | None) -> Redact:
    """The strictest of the levels given (the CLI can only make YAML's stricter)."""
    order = [Redact.NONE, Redact.NAMES, Redact.ALL]
    return max((lv for lv in levels if lv is not None), key=order.index, default=Redact.NONE)


class Redactor:
    """How one output shows names and uids (see the module text)."""

    def __init__(self, level: Redact = Redact.NONE, key: bytes | None = None):
        self.level = level
        self.names = level is not Redact.NONE
        self.uids = level is Redact.ALL
        self._key = key if key is not None else (os.urandom(32) if self.uids else b"")
        self._cache: dict[int, str] = {}

    @property
    def active(self) -> bool:
        return self.names

    def uid(self, u: int) -> str:
        if not self.uids:
            return str(u)
        h = self._cache.get(u)
        if h is None:
            digest = hmac.new(self._key, str(u).encode(), hashlib.sha256).digest()
            h = self._cache[u] = "u-" + base64.b32encode(digest[:5]).decode().lower()
        return h

    def person(self, name: str | None) -> str | None:
        """A person's name (or a custom column), masked to its first character."""
        if not self.names or not name:
            return name
        return name[0] + MASK

    def mask(self, name: str) -> str:
        """`person` for a name that is there."""
        if not self.names:
            return name
        return name[0] + MASK if name else name

    def address(self, addr: str | Address) -> str:
        """An address with its uid hashed (level all)."""
        if not self.uids:
            return str(addr)
        try:
            a = parse_address(addr) if isinstance(addr, str) else addr
        except EeoError:
            return _DIGITS.sub(lambda m: self.uid(int(m.group(0))), str(addr))
        if isinstance(a, StudentAddress):
            return f"course/{a.course}/student/{self.uid(a.uid)}"
        if isinstance(a, AuditorAddress):
            return f"course/{a.course}/auditor/{self.uid(a.uid)}"
        if isinstance(a, LessonStudentAddress):
            return f"course/{a.course}/lesson/{a.lesson}/student/{self.uid(a.uid)}"
        return str(a)

    def note(self, address: str, message: str, names: Iterable[str] = ()) -> str:
        """A note's message: the names it quotes masked, its member's uid hashed."""
        if not self.names:
            return message
        return self.text(message, names, uids_in(address))

    def text(self, message: str, names: Iterable[str] = (), uids: Iterable[int] = ()) -> str:
        """A free-text message with the given names masked and uids hashed."""
        if not self.names:
            return message
        for n in sorted({n for n in names if n}, key=len, reverse=True):
            message = message.replace(n, self.person(n) or "")
        if self.uids:
            wanted = {str(u) for u in uids}
            message = _DIGITS.sub(
                lambda m: self.uid(int(m.group(0))) if m.group(0) in wanted else m.group(0),
                message)
        return message


def event_value(r: Redactor, address: str, value: Any) -> Any:
    """An old or new value of a history entry or a state difference, as `r`
    shows it: a member's name and custom column masked, the uids of a
    grouping's teams hashed (level all). Course, lesson and grouping names
    are kept (they name classes)."""
    if not r.names or not isinstance(value, dict):
        return value
    out = dict(value)
    if uids_in(address):  # a member's value
        for k in ("name", "custom"):
            if isinstance(out.get(k), str):
                out[k] = r.person(out[k])
    teams = out.get("teams")
    if r.uids and isinstance(teams, list):
        out["teams"] = [[r.uid(u) if type(u) is int else u for u in t]
                        if isinstance(t, list) else t for t in teams]
    return out


def team_uids(*values: Any) -> set[int]:
    """The uids in the teams of grouping values (to hash them in free text)."""
    out: set[int] = set()
    for v in values:
        teams = v.get("teams") if isinstance(v, dict) else None
        for t in teams if isinstance(teams, list) else ():
            if isinstance(t, list):
                out.update(u for u in t if type(u) is int)
    return out


def uids_in(address: str) -> list[int]:
    """The uid an address names (a member's), if any."""
    try:
        a = parse_address(address)
    except EeoError:
        return []
    uid = getattr(a, "uid", None)
    return [uid] if isinstance(uid, int) else []


_DIGITS = re.compile(r"(?<![\w-])\d{1,18}(?![\w])")

PLAIN = Redactor()
