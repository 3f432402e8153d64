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
from collections.abc import Iterable, Mapping
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


def pseudonym_key(salt: str | None, secret: str | None) -> bytes:
    """The key of a school's pseudonyms: the state's salt, which the job that
    plans and the job that applies both have (one child, one pseudonym in both
    logs); before the state has one (a school's first plan), the secret when it
    is set, else random for this output only."""
    return redaction_key(None if salt else secret, salt)


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

    def key(self, text: str) -> str:
        """A person's key (the school's id for a pupil) or a masked account: as it
        is, or (level all) a keyed pseudonym like a uid's (`p-...`)."""
        if not self.uids:
            return text
        digest = hmac.new(self._key, b"text:" + text.encode(), hashlib.sha256).digest()
        return "p-" + base64.b32encode(digest[:5]).decode().lower()

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
        """An address with its uid (or a person's key) hashed (level all)."""
        if not self.uids:
            return str(addr)
        if isinstance(addr, str) and "/person/" in f"/{addr}":  # person/KEY, .../person/KEY
            head, _, key = addr.rpartition("person/")
            return f"{head}person/{self.key(key)}"
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
    if address.startswith("person/"):  # a person's uid and console name
        if isinstance(out.get("name"), str):
            out["name"] = r.person(out["name"])
        if r.uids and type(out.get("uid")) is int:
            out["uid"] = r.uid(out["uid"])
        return out
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


PSEUDONYM = re.compile(r"u-[a-z2-7]{8}")  # what Redactor.uid makes
_DIGITS = re.compile(r"(?<![\w-])\d{1,18}(?![\w])")


class People:
    """Who a free-text message (an error, a warning, a command's own line) may
    name, known from the configuration and the state a command read: people's
    uids and names, and the ids and names of classes (kept). Filled lazily:
    only a message shown under redaction asks."""

    def __init__(self) -> None:
        self.uids: set[int] = set()
        self.names: set[str] = set()
        self.classes: set[int] = set()  # course, lesson and grouping ids
        self.class_names: set[str] = set()

    def add_config(self, config: Any) -> None:
        for p in config.people.values():
            self.names.add(p.name)
            if p.uid is not None:
                self.uids.add(p.uid)
        for cid, c in config.courses.items():
            self._course(cid, c.name, c.students, c.auditors, c.lessons, c.lesson_names)
            self.names.update(n for n in c.students.values() if n)
            for g in c.groups:
                self._grouping(g.name, g.id, g.teams)

    def add_state(self, state: Any) -> None:
        for p in state.people.values():
            self.names.add(p.name)
            self.uids.add(p.uid)
        for cid, c in state.courses.items():
            self._course(cid, c.name, c.students, c.auditors, c.lessons, c.lesson_names)
            self.names.update(c.labels.values())
            for name, g in c.groups.items():
                self._grouping(name, g.id, g.teams)
            self.class_names.update(c.unconfirmed)

    def _course(self, cid: int, name: str | None, students: Iterable[int],
                auditors: Mapping[int, str], lessons: Mapping[int, Mapping[int, Any]],
                lesson_names: Mapping[int, str]) -> None:
        """What a configured or a recorded course has alike."""
        self.classes.add(cid)
        if name:
            self.class_names.add(name)
        self.uids.update(students)
        self.uids.update(auditors)
        self.names.update(auditors.values())
        for lid, members in lessons.items():
            self.classes.add(lid)
            self.uids.update(members)
            self.names.update(m.name for m in members.values() if m.name)
            self.names.update(m.custom for m in members.values() if m.custom)
        self.class_names.update(lesson_names.values())

    def _grouping(self, name: str, gid: int | None, teams: Iterable[Any]) -> None:
        self.class_names.add(name)
        if gid is not None:
            self.classes.add(gid)
        for t in teams:
            self.uids.add(t.leader)
            self.uids.update(t.members)


# in free text: a member's address; a quoted value; a number, and the word before it
_MEMBER_ADDRESS = re.compile(r"course/\d+(?:/lesson/\d+)?/(?:student|auditor)/\d+")
_QUOTED = re.compile(r"""'([^'\n]{1,200})'|"([^"\n]{1,200})"|“([^”\n]{1,200})”""")
_NUMBER = re.compile(r"(?<![\w\-:/.])(?:(course|lesson|group|grouping|line|row|column|"
                     r"serial|errno|sid|school|id) )?(\d{1,40})(?![\w])", re.IGNORECASE)
_WORDS = re.compile(r"[^\s\"'“”‘’()\[\],;:]+")
_UID_DIGITS = 5  # an unknown number this long (not a class's) may be a uid


def free_text(r: Redactor, message: str, people: People) -> str:
    """A free-text message as `r` shows it, whoever made it: members' addresses
    with their uids hashed; a number hashed when it is a known uid, or (level
    all) when it is as long as uids are and not a known class id nor named as
    a course, lesson, line, serial, errno...; a known name masked, and any
    quoted value masked unless it is a known class name (a message about a
    configuration that could not be read may quote a name nobody knows yet)."""
    if not r.names:
        return message
    message = _QUOTED.sub(lambda m: _quoted(r, m, people), message)
    message = _mask_names(r, message, people.names)
    if not r.uids:
        return message
    message = _MEMBER_ADDRESS.sub(lambda m: r.address(m.group(0)), message)
    return _NUMBER.sub(lambda m: _number(r, m, people), message)


def free_value(r: Redactor, value: Any, people: People) -> Any:
    """A JSON value (a state entry, a report) as `r` shows it: a known uid,
    as a number or a key, hashed (level all); a known name masked; other text
    as `free_text`. Keys are kept otherwise."""
    if not r.names:
        return value
    if isinstance(value, dict):
        return {_key(r, k, people): free_value(r, v, people) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [free_value(r, v, people) for v in value]
    if isinstance(value, str):
        return r.mask(value) if value in people.names else free_text(r, value, people)
    if r.uids and type(value) is int and value in people.uids:
        return r.uid(value)
    return value


def _key(r: Redactor, k: Any, people: People) -> Any:
    if r.uids and isinstance(k, str) and k.isdigit() and int(k) in people.uids:
        return r.uid(int(k))
    return k


def _quoted(r: Redactor, m: re.Match[str], people: People) -> str:
    inner = next(g for g in m.groups() if g is not None)
    if inner in people.class_names or inner.isdigit() or "/" in inner:
        return m.group(0)
    q = m.group(0)
    return q[0] + r.mask(inner) + q[-1]


def _mask_names(r: Redactor, message: str, names: set[str]) -> str:
    """Known names in the message, found as runs of 1 to 4 words (a name is
    rarely longer), masked."""
    if not names:
        return message
    words = list(_WORDS.finditer(message))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        for n in range(min(4, len(words) - i), 0, -1):
            a, b = words[i].start(), words[i + n - 1].end()
            if message[a:b] in names:
                spans.append((a, b))
                i += n
                break
        else:
            i += 1
    for a, b in reversed(spans):
        message = message[:a] + r.mask(message[a:b]) + message[b:]
    return message


def _number(r: Redactor, m: re.Match[str], people: People) -> str:
    word, digits = m.group(1), m.group(2)
    n = int(digits)
    if n in people.uids and not word:
        return r.uid(n)
    if word or n in people.classes or len(digits) < _UID_DIGITS:
        return m.group(0)
    return r.uid(n)

PLAIN = Redactor()
