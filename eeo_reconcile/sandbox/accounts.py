"""Accounts and the school's students: register(Multiple), addSchoolStudent,
editSchoolStudent, as ../shared/classin-api/README.md describes them.

The world's `accounts` are the accounts registered in ClassIn (account -> uid),
students of the school or not; `students` are the school's students (uid ->
the name its console shows). Rules the sandbox adds where the pages say only
that an errno exists: a mainland number of the virtual operators' ranges (170,
171) answers 288; an account that is one of the school's teachers answers 820
when asked to become a school student.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ..classin.accounts import EXISTED, REGISTER_BATCH, SAME_REQUEST, Kind, parse_account
from .core import Core
from .wire import Refuse, answer, array, num

SAME_REQUEST_SECONDS = 5.0
_VIRTUAL_RANGES = ("170", "171")
_MD5 = frozenset("0123456789abcdef")


class Accounts(Core):
    def _register(self, form: Mapping[str, str]) -> dict[str, Any]:
        self._once(form)
        user = {k: form[k] for k in ("telephone", "email", "nickname", "password", "md5pass",
                                     "addToSchoolMember") if k in form}
        errno, uid = self._register_one(user)
        return answer(errno, data=uid) if uid is not None else answer(errno)

    def _registerMultiple(self, form: Mapping[str, str]) -> dict[str, Any]:
        self._once(form)
        users = array(form, "userJson")
        if len(users) > REGISTER_BATCH:
            raise Refuse(450)
        data = []
        for u in users:
            if not isinstance(u, dict):
                raise Refuse(100)
            errno, uid = self._register_one({k: str(v) for k, v in u.items() if v is not None})
            item: dict[str, Any] = {"data": uid if uid is not None else 0,
                                    "telephone": u.get("telephone") or u.get("email") or ""}
            if u.get("customColumn") is not None:
                item["customColumn"] = str(u["customColumn"])
            item["errno"], item["error"] = errno, answer(errno)["error_info"]["error"]
            data.append(item)
        return answer(1, data=data)

    def _register_one(self, user: Mapping[str, str]) -> tuple[int, int | None]:
        phone, email = user.get("telephone"), user.get("email")
        if bool(phone) == bool(email):
            return 100, None
        account, _ = parse_account(phone or email or "")
        if account is None or (account.kind is Kind.EMAIL) != bool(email):
            return 134 if phone else 100, None
        if account.value.startswith(_VIRTUAL_RANGES):
            return 288, None
        password, md5pass = user.get("password"), user.get("md5pass")
        if md5pass is not None:
            if len(md5pass) != 32 or not set(md5pass) <= _MD5:
                return 137, None
        elif password is None or not 6 <= len(password) <= 20:
            return 137, None
        w = self.world
        uid = w.accounts.get(account.value)
        existed = uid is not None
        if uid is None:
            uid = w.next_uid
            w.next_uid += 1
            w.accounts[account.value] = uid
        if user.get("addToSchoolMember") == "1":
            if uid in w.teachers:
                return 820, uid
            if uid not in w.students:
                w.students[uid] = (user.get("nickname") or account.value)[:24]
        if existed:
            return (135 if account.kind is Kind.MOBILE else 461), uid
        return 1, uid

    def _addSchoolStudent(self, form: Mapping[str, str]) -> dict[str, Any]:
        self._once(form)
        account, _ = parse_account(form.get("studentAccount") or "")
        name = (form.get("studentName") or "").strip()
        if not name:
            raise Refuse(100)
        if account is None:
            raise Refuse(134)
        if account.value.startswith(_VIRTUAL_RANGES):
            raise Refuse(288)
        uid = self.world.accounts.get(account.value)
        if uid is None:
            raise Refuse(113)
        if uid in self.world.cancelled:
            raise Refuse(886)
        if uid in self.world.students:
            raise Refuse(133)
        self.world.students[uid] = name[:24]
        return answer(1)

    def _editSchoolStudent(self, form: Mapping[str, str]) -> dict[str, Any]:
        uid = num(form, "studentUid")
        name = (form.get("studentName") or "").strip()
        if not name:
            raise Refuse(100)
        if uid not in self.world.students:
            raise Refuse(228)
        self.world.students[uid] = name[:24]
        return answer(1)

    def _once(self, form: Mapping[str, str]) -> None:
        """101003002 for the same parameters again within 5 seconds (the signature
        and its time aside)."""
        same = {k: v for k, v in form.items() if k not in ("timeStamp", "safeKey")}
        key = hashlib.sha256(json.dumps(same, sort_keys=True).encode()).hexdigest()
        now = self.clock()
        last = self.world.recent.get(key)
        self.world.recent = {k: t for k, t in self.world.recent.items()
                             if now - t < SAME_REQUEST_SECONDS}
        self.world.recent[key] = now
        if last is not None and now - last < SAME_REQUEST_SECONDS:
            raise Refuse(SAME_REQUEST)


ACCOUNT_EXISTED = EXISTED  # re-exported for the modelled table
