"""The ClassIn partner API, as a pure function of a world and a form.

`Engine.handle(action, form)` returns the JSON answer ClassIn would give and
mutates the world exactly as ClassIn would. It is strict: where ClassIn would
refuse, the engine refuses with the same errno. One lock per school keeps the
roster exact under concurrent requests. Which errnos are modelled, per
endpoint and under which condition (and which cannot arise here, and why),
is the data in `sandbox.modelled`.

A group name longer than 20 characters and a studentName longer than 24 are
cut, as ClassIn does; customColumn beyond 50 characters too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..classin import api
from ..classin.errnos import text
from ..ids import as_id
from .world import CourseW, GroupW, LessonW, World

WINDOW_SECONDS = 20 * 60

ACTIONS = tuple(e.name for e in api.ENDPOINTS)  # every action the sandbox serves


class Refuse(Exception):
    """A top-level answer other than success."""

    def __init__(self, errno: int):
        super().__init__(errno)
        self.errno = errno


def answer(errno: int, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict(extra)
    out["error_info"] = {"errno": errno, "error": text(errno)}
    return out


def item(errno: int, custom: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if custom is not None:
        d["customColumn"] = custom
    d["errno"] = errno
    d["error"] = text(errno)
    return d


def _num(form: Mapping[str, str], key: str) -> int:
    v = form.get(key)
    if v is None or not v.isdigit() or int(v) <= 0:
        raise Refuse(100)
    return int(v)


def _array(form: Mapping[str, str], key: str) -> list[Any]:
    raw = form.get(key)
    if raw is None or raw == "":
        raise Refuse(155)
    try:
        data = json.loads(raw)
    except ValueError:
        raise Refuse(400) from None
    if not isinstance(data, list):
        raise Refuse(100)
    if not data:
        raise Refuse(155)
    return data


def _uid(v: Any) -> int:
    uid = as_id(v)
    if uid is None:
        raise Refuse(100)
    return uid


class Engine:
    """ClassIn's behaviour over a `World` (thread-safe)."""

    def __init__(self, world: World, clock: Callable[[], float] = time.time):
        self.world = world
        self.clock = clock
        self.lock = threading.Lock()
        handlers: dict[api.Endpoint, Callable[[Mapping[str, str]], dict[str, Any]]] = {
            api.ADD_COURSE_STUDENT: self._addCourseStudent,
            api.ADD_COURSE_STUDENT_MULTIPLE: self._addCourseStudentMultiple,
            api.DEL_COURSE_STUDENT: self._delCourseStudent,
            api.DEL_COURSE_STUDENT_MULTIPLE: self._delCourseStudentMultiple,
            api.ADD_CLASS_STUDENT_MULTIPLE: self._addClassStudentMultiple,
            api.DEL_CLASS_STUDENT_MULTIPLE: self._delClassStudentMultiple,
            api.ADD_COURSE_GROUP: self._addCourseGroup,
            api.EDIT_COURSE_GROUP: self._editCourseGroup,
            api.DEL_COURSE_GROUP: self._delCourseGroup,
        }
        missing = set(api.ENDPOINTS) - handlers.keys()
        assert not missing, f"the sandbox has no behaviour for {missing}"
        self._handlers = {e.name: h for e, h in handlers.items()}

    # -- the entry point ----------------------------------------------------------
    def handle(self, action: str, form: Mapping[str, str]) -> dict[str, Any]:
        handler = self._handlers.get(action)
        if handler is None:
            return answer(100)
        try:
            self._authenticate(form)
            with self.lock:
                return handler(form)
        except Refuse as r:
            return answer(r.errno)

    def _authenticate(self, form: Mapping[str, str]) -> None:
        sid, ts, key = form.get("SID"), form.get("timeStamp"), form.get("safeKey")
        if not sid or not ts or not key:
            raise Refuse(100)
        if not sid.isdigit() or not ts.isdigit():
            raise Refuse(100)
        if int(sid) != self.world.sid:
            raise Refuse(102)
        if abs(self.clock() - int(ts)) > WINDOW_SECONDS:
            raise Refuse(102)
        expected = hashlib.md5((self.world.secret + ts).encode()).hexdigest()
        if not hmac.compare_digest(expected, key):  # lowercase hex only
            raise Refuse(102)

    # -- shared checks -------------------------------------------------------------
    def _course(self, form: Mapping[str, str], deleted: int = 149,
                expired: int | None = 153) -> CourseW:
        cid = _num(form, "courseId")
        c = self.world.courses.get(cid)
        if c is None:
            raise Refuse(144)
        if c.status == "deleted":
            raise Refuse(deleted)
        if c.status == "expired" and expired is not None:
            raise Refuse(expired)
        if c.status == "public":
            raise Refuse(369)
        return c

    def _identity(self, form: Mapping[str, str], default: int | None = None) -> int:
        raw = form.get("identity")
        if raw is None and default is not None:
            return default
        if raw not in ("1", "2"):
            raise Refuse(100)
        return int(raw)

    def _member_refusal(self, c: CourseW, uid: int, identity: int) -> int | None:
        """Why `uid` cannot become a member of course `c` with `identity`, or None."""
        if uid in self.world.cancelled:
            return 886 if identity == 1 else 887
        if c.teachers and uid == c.teachers[0]:
            return 129 if identity == 1 else 174
        if uid in c.teachers[1:]:
            return 332
        if c.head_teacher is not None and uid == c.head_teacher:
            return 333
        if uid not in self.world.students:
            return 228
        if uid in c.students:
            return 163
        if uid in c.auditors:
            return 164
        if identity == 1 and c.capacity is not None and len(c.students) >= c.capacity:
            return 130
        return None

    def _add_member(self, c: CourseW, uid: int, identity: int, name: str | None) -> int:
        why = self._member_refusal(c, uid, identity)
        if why is not None:
            return why
        if identity == 1:
            c.students.add(uid)
        else:
            c.auditors[uid] = (name or self.world.students.get(uid) or str(uid))[:24]
        return 1

    @staticmethod
    def _remove_member(c: CourseW, uid: int, identity: int) -> int:
        if identity == 1:
            if uid not in c.students:
                return 162
            c.students.discard(uid)
        else:
            if uid not in c.auditors:
                return 162
            del c.auditors[uid]
        return 1

    # -- course students -------------------------------------------------------------
    def _addCourseStudent(self, form: Mapping[str, str]) -> dict[str, Any]:
        identity = self._identity(form)
        uid = _num(form, "studentUid")
        c = self._course(form)
        return answer(self._add_member(c, uid, identity, form.get("studentName") or None))

    def _addCourseStudentMultiple(self, form: Mapping[str, str]) -> dict[str, Any]:
        identity = self._identity(form, default=1)
        _num(form, "courseId")
        items = _array(form, "studentJson")
        parsed: list[tuple[int, str | None, str | None]] = []
        for it in items:
            if not isinstance(it, dict) or "uid" not in it:
                raise Refuse(100)
            custom = it.get("customColumn")
            parsed.append((
                _uid(it["uid"]),
                str(it["name"]) if it.get("name") not in (None, "") else None,
                str(custom)[:50] if custom not in (None, "") else None,
            ))
        uids = [p[0] for p in parsed]
        if len(set(uids)) != len(uids):
            raise Refuse(133)
        c = self._course(form)
        data = [item(self._add_member(c, uid, identity, name), custom)
                for uid, name, custom in parsed]
        return answer(1, data=data)

    def _delCourseStudent(self, form: Mapping[str, str]) -> dict[str, Any]:
        identity = self._identity(form)
        uid = _num(form, "studentUid")
        c = self._course(form)
        return answer(self._remove_member(c, uid, identity))

    def _delCourseStudentMultiple(self, form: Mapping[str, str]) -> dict[str, Any]:
        identity = self._identity(form)
        _num(form, "courseId")
        uids = [_uid(u) for u in _array(form, "studentUidJson")]
        c = self._course(form, deleted=147)
        return answer(1, data=[item(self._remove_member(c, u, identity)) for u in uids])

    # -- lesson (transfer) students ------------------------------------------------------
    def _lesson(self, form: Mapping[str, str]) -> tuple[CourseW, LessonW]:
        raw_identity = form.get("identity")
        if raw_identity is None or not raw_identity.isdigit():
            raise Refuse(100)
        if raw_identity != "1":
            raise Refuse(159)
        _num(form, "courseId")
        lid = _num(form, "classId")
        c = self._course(form, deleted=144, expired=None)
        lesson = c.lessons.get(lid)
        if lesson is None:
            raise Refuse(142 if self.world.lesson_owner(lid) is not None else 143)
        if lesson.status == "deleted":
            raise Refuse(212)
        if lesson.status == "client":
            raise Refuse(466)
        if lesson.status == "finished" or c.status == "expired":
            raise Refuse(145)
        return c, lesson

    def _addClassStudentMultiple(self, form: Mapping[str, str]) -> dict[str, Any]:
        items = _array(form, "studentJson")
        parsed: list[tuple[int, str, str | None]] = []
        for it in items:
            if not isinstance(it, dict) or "uid" not in it or it.get("name") in (None, ""):
                raise Refuse(100)
            custom = it.get("customColumn")
            parsed.append((_uid(it["uid"]), str(it["name"]),
                           str(custom)[:50] if custom not in (None, "") else None))
        c, lesson = self._lesson(form)
        data = []
        for uid, name, custom in parsed:
            data.append(item(self._add_to_lesson(c, lesson, uid, name, custom), custom))
        return answer(1, data=data)

    def _add_to_lesson(self, c: CourseW, lesson: LessonW, uid: int, name: str,
                       custom: str | None) -> int:
        if uid in self.world.cancelled:
            return 886
        if c.teachers and uid == c.teachers[0]:
            return 129
        if uid in c.teachers[1:]:
            return 332
        if c.head_teacher is not None and uid == c.head_teacher:
            return 333
        if uid in lesson.co_teachers:
            return 329
        if uid not in self.world.students:
            return 228
        if uid in c.auditors:
            return 164
        if uid in lesson.students or uid in c.students:
            return 166
        seats = len(c.students) + len(lesson.students)
        if lesson.capacity is not None and seats >= lesson.capacity:
            return 157
        lesson.students[uid] = (name, custom)
        return 1

    def _delClassStudentMultiple(self, form: Mapping[str, str]) -> dict[str, Any]:
        uids = [_uid(u) for u in _array(form, "studentUidJson")]
        _, lesson = self._lesson(form)
        data = []
        for uid in uids:
            if uid in lesson.students:
                del lesson.students[uid]
                data.append(item(1))
            else:
                data.append(item(167))
        return answer(1, data=data)

    # -- groups ------------------------------------------------------------------------------
    @staticmethod
    def _group_list(form: Mapping[str, str]) -> list[list[tuple[int, int]]]:
        raw = _array(form, "groupList")
        teams: list[list[tuple[int, int]]] = []
        for team in raw:
            if not isinstance(team, list) or not team:
                raise Refuse(100)
            entries = []
            for e in team:
                if not isinstance(e, dict) or "studentUid" not in e or "isLeader" not in e:
                    raise Refuse(100)
                leader = e["isLeader"]
                if isinstance(leader, str) and leader.strip().isdigit():
                    leader = int(leader)
                if leader not in (0, 1) or isinstance(leader, bool):
                    raise Refuse(100)
                entries.append((_uid(e["studentUid"]), leader))
            teams.append(entries)
        return teams

    @staticmethod
    def _group_name(form: Mapping[str, str]) -> str:
        name = (form.get("groupName") or "").strip()
        if not name:
            raise Refuse(100)
        return name[:20]

    def _addCourseGroup(self, form: Mapping[str, str]) -> dict[str, Any]:
        _num(form, "courseId")
        name = self._group_name(form)
        teams = self._group_list(form)
        c = self._course(form)
        if any(g.name == name for g in c.groups.values()):
            return answer(892)
        all_uids = [u for t in teams for u, _ in t]
        if len(set(all_uids)) != len(all_uids):
            return answer(890)
        leaders = []
        for t in teams:
            lead = [u for u, is_leader in t if is_leader == 1]
            if len(lead) != 1:
                return answer(895)
            leaders.append(lead[0])
        if not any(u in self.world.students for u in all_uids):
            return answer(896)
        if not any(u in c.students for u in all_uids):
            return answer(897)
        if any(u not in c.students for u in leaders):
            return answer(895)
        kept = [[u for u, lead in sorted(t, key=lambda e: -e[1]) if u in c.students]
                for t in teams]
        gid = self.world.next_group_id
        self.world.next_group_id += 1
        c.groups[gid] = GroupW(gid, name, kept)
        dropped = len(all_uids) - sum(len(t) for t in kept)
        return answer(898 if dropped else 1, data=gid)

    def _editCourseGroup(self, form: Mapping[str, str]) -> dict[str, Any]:
        _num(form, "courseId")
        gid = _num(form, "groupId")
        name = self._group_name(form)
        teams = self._group_list(form)
        c = self._course(form)
        group = c.groups.get(gid)
        if group is None:
            return answer(893)
        if any(g.name == name and g.id != gid for g in c.groups.values()):
            return answer(890)
        all_uids = [u for t in teams for u, _ in t]
        if len(set(all_uids)) != len(all_uids) or any(u not in c.students for u in all_uids):
            return answer(890)
        for t in teams:
            if sum(1 for _, lead in t if lead == 1) != 1:
                return answer(890)
        group.name = name
        group.teams = [[u for u, lead in sorted(t, key=lambda e: -e[1])] for t in teams]
        return answer(1)

    def _delCourseGroup(self, form: Mapping[str, str]) -> dict[str, Any]:
        _num(form, "courseId")
        gid = _num(form, "groupId")
        c = self._course(form)
        if gid not in c.groups:
            return answer(893)
        del c.groups[gid]
        return answer(1)
