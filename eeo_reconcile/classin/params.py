"""The parameters of ClassIn calls: how each is written from a `Call` (what is
sent), read back into a Call's fields (plan documents: our own output, so
the shape encoding produced is trusted), and written as canonical JSON text
(a plan's calls, written directly: the member lists are a plan's bulk).

`api.py` lists which parameters each endpoint takes; a new parameter is
described here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..model import Team

STUDENT, AUDITOR = 1, 2  # ClassIn's `identity`


class CallParts(Protocol):
    """What a parameter reads of a call (`api.Call`)."""

    @property
    def course(self) -> int: ...
    @property
    def identity(self) -> int | None: ...
    @property
    def lesson(self) -> int | None: ...
    @property
    def uids(self) -> tuple[int, ...]: ...
    @property
    def names(self) -> tuple[str | None, ...]: ...
    @property
    def customs(self) -> tuple[str | None, ...]: ...
    @property
    def group_id(self) -> int | None: ...
    @property
    def group_name(self) -> str | None: ...
    @property
    def teams(self) -> tuple[Team, ...]: ...

Fields = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    encode: Callable[[CallParts], Any]  # the value to send, or None to leave it out
    decode: Callable[[Mapping[str, Any], Fields], None]
    # the value as canonical JSON text (None: left out), written directly; when
    # not given, the encoded value is written
    text: Callable[[CallParts], str | None] | None = None

    def json_text(self, call: CallParts) -> str | None:
        if self.text is not None:
            return self.text(call)
        v = self.encode(call)
        t = type(v)
        if t is int:
            return str(v)
        if t is str:
            return _esc(v)
        return None if v is None else _canon(v)


_canon = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode
_esc = json.encoder.encode_basestring  # the C escaper


def json_string(text: str) -> str:
    """`text` as a JSON string (json's C escaper, as json.dumps(..., ensure_ascii=False))."""
    return _esc(text)


def _simple(name: str, field_name: str, getter: Callable[[CallParts], Any]) -> Param:
    def decode(p: Mapping[str, Any], f: Fields) -> None:
        f[field_name] = int(p[name])

    def text(c: CallParts) -> str | None:
        v = getter(c)
        return str(v) if type(v) is int else None if v is None else _canon(v)

    return Param(name, getter, decode, text)


COURSE_ID = _simple("courseId", "course", lambda c: c.course)
CLASS_ID = _simple("classId", "lesson", lambda c: c.lesson)
GROUP_ID = _simple("groupId", "group_id", lambda c: c.group_id)
IDENTITY = _simple("identity", "identity", lambda c: c.identity)


def _lesson_identity_decode(p: Mapping[str, Any], f: Fields) -> None:
    pass  # lesson calls always send identity 1; the CallParts keeps identity None


LESSON_IDENTITY = Param("identity", lambda c: 1, _lesson_identity_decode, lambda c: "1")


def _uid_decode(p: Mapping[str, Any], f: Fields) -> None:
    f["uids"] = (int(p["studentUid"]),)


STUDENT_UID = Param("studentUid", lambda c: c.uids[0], _uid_decode)


def _name_encode(c: CallParts) -> str | None:
    return c.names[0] if c.identity == AUDITOR and c.names else None  # None: left out


def _name_decode(p: Mapping[str, Any], f: Fields) -> None:
    if int(p["identity"]) == AUDITOR:
        f["names"] = (p.get("studentName"),)


STUDENT_NAME = Param("studentName", _name_encode, _name_decode)  # auditors only


def _members_encode(c: CallParts) -> list[dict[str, str]]:
    if c.identity == AUDITOR:
        return [{"uid": str(u), "name": n} if n is not None else {"uid": str(u)}
                for u, n in zip(c.uids, c.names, strict=True)]
    return [{"uid": str(u)} for u in c.uids]


def _members_decode(p: Mapping[str, Any], f: Fields) -> None:
    items = p["studentJson"]
    f["uids"] = tuple(int(i["uid"]) for i in items)
    if int(p["identity"]) == AUDITOR:
        f["names"] = tuple(i.get("name") for i in items)


def _quoted_uids(uids: Sequence[int], before: str, after: str) -> str:
    """`[<before>"u1"<after>,<before>"u2"<after>,...]`, joined at C speed."""
    joined = f'"{after},{before}"'.join(map(str, uids))
    return f'[{before}"{joined}"{after}]' if uids else "[]"


def _members_text(c: CallParts) -> str:
    if c.identity == AUDITOR:
        items = [f'{{"name":{_esc(n)},"uid":"{u}"}}' if n is not None else f'{{"uid":"{u}"}}'
                 for u, n in zip(c.uids, c.names, strict=True)]
        return "[" + ",".join(items) + "]"
    return _quoted_uids(c.uids, '{"uid":', "}")


MEMBER_JSON = Param("studentJson", _members_encode, _members_decode, _members_text)


def _lesson_members_encode(c: CallParts) -> list[dict[str, Any]]:
    items = []
    for u, x in zip(c.uids, c.customs, strict=True):
        item: dict[str, Any] = {"uid": str(u)}  # no name: ClassIn has not used it since 2020
        if x is not None:
            item["customColumn"] = x
        items.append(item)
    return items


def _lesson_members_decode(p: Mapping[str, Any], f: Fields) -> None:
    items = p["studentJson"]
    f["uids"] = tuple(int(i["uid"]) for i in items)
    f["customs"] = tuple(i.get("customColumn") for i in items)  # names: labels, not sent


def _lesson_members_text(c: CallParts) -> str:
    return "[" + ",".join([
        (f'{{"customColumn":{_esc(x)},' if x is not None else "{") + f'"uid":"{u}"}}'
        for u, x in zip(c.uids, c.customs, strict=True)]) + "]"


LESSON_MEMBER_JSON = Param("studentJson", _lesson_members_encode, _lesson_members_decode,
                           _lesson_members_text)


def _uid_list_decode(p: Mapping[str, Any], f: Fields) -> None:
    f["uids"] = tuple(int(u) for u in p["studentUidJson"])


UID_JSON = Param("studentUidJson", lambda c: [str(u) for u in c.uids], _uid_list_decode,
                 lambda c: _quoted_uids(c.uids, "", ""))


def _group_name_decode(p: Mapping[str, Any], f: Fields) -> None:
    f["group_name"] = str(p["groupName"])


GROUP_NAME = Param("groupName", lambda c: c.group_name, _group_name_decode)


def group_list(teams: Sequence[Team]) -> list[list[dict[str, int]]]:
    """The `groupList` parameter: one list per team, leader first."""
    return [
        [{"studentUid": t.leader, "isLeader": 1}]
        + [{"studentUid": u, "isLeader": 0} for u in t.members]
        for t in teams
    ]


def _group_list_decode(p: Mapping[str, Any], f: Fields) -> None:
    f["teams"] = tuple(
        Team(
            leader=next(int(x["studentUid"]) for x in t if int(x["isLeader"]) == 1),
            members=tuple(int(x["studentUid"]) for x in t if int(x["isLeader"]) != 1),
        )
        for t in p["groupList"]
    )


_LEADER, _MEMBER = '[{"isLeader":1,"studentUid":', '},{"isLeader":0,"studentUid":'


def _group_list_text(c: CallParts) -> str:
    """`group_list(c.teams)` as canonical JSON text, each team joined at C speed."""
    return "[" + ",".join([
        f"{_LEADER}{t.leader}{_MEMBER}{_MEMBER.join(map(str, t.members))}}}]" if t.members
        else f"{_LEADER}{t.leader}}}]" for t in c.teams]) + "]"


GROUP_LIST = Param("groupList", lambda c: group_list(c.teams), _group_list_decode,
                   _group_list_text)
