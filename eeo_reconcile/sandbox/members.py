"""Course students and auditors: addCourseStudent(Multiple), delCourseStudent(Multiple)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .core import Core
from .wire import Refuse, answer, array, item, num, uid_of

MAX_AUDITORS_PER_CALL = 20


class Members(Core):
    # -- course students -------------------------------------------------------------
    def _addCourseStudent(self, form: Mapping[str, str]) -> dict[str, Any]:
        identity = self._identity(form)
        uid = num(form, "studentUid")
        c = self._course(form)
        return answer(self._add_member(c, uid, identity, form.get("studentName") or None))

    def _addCourseStudentMultiple(self, form: Mapping[str, str]) -> dict[str, Any]:
        identity = self._identity(form, default=1)
        num(form, "courseId")
        items = array(form, "studentJson")
        parsed: list[tuple[int, str | None, str | None]] = []
        for it in items:
            if not isinstance(it, dict) or "uid" not in it:
                raise Refuse(100)
            custom = it.get("customColumn")
            parsed.append((
                uid_of(it["uid"]),
                str(it["name"]) if it.get("name") not in (None, "") else None,
                str(custom)[:50] if custom not in (None, "") else None,
            ))
        uids = [p[0] for p in parsed]
        if len(set(uids)) != len(uids):
            raise Refuse(133)
        if identity == 2 and len(uids) > MAX_AUDITORS_PER_CALL:
            raise Refuse(130)  # at most 20 auditors in one call
        c = self._course(form)
        data = [item(self._add_member(c, uid, identity, name), custom)
                for uid, name, custom in parsed]
        return answer(1, data=data)

    def _delCourseStudent(self, form: Mapping[str, str]) -> dict[str, Any]:
        identity = self._identity(form)
        uid = num(form, "studentUid")
        c = self._course(form)
        return answer(self._remove_member(c, uid, identity))

    def _delCourseStudentMultiple(self, form: Mapping[str, str]) -> dict[str, Any]:
        identity = self._identity(form)
        num(form, "courseId")
        uids = [uid_of(u) for u in array(form, "studentUidJson")]
        c = self._course(form, deleted=147)
        return answer(1, data=[item(self._remove_member(c, u, identity)) for u in uids])
