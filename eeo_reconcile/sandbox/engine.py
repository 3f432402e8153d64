"""The ClassIn partner API, as a pure function of a world and a form.

`Engine.handle(action, form)` returns the JSON answer ClassIn would give and
mutates the world exactly as ClassIn would. It is strict: where ClassIn would
refuse, the engine refuses with the same errno. One lock per school keeps the
roster exact under concurrent requests. Which errnos are modelled, per
endpoint and under which condition (and which cannot arise here, and why),
is the data in `sandbox.modelled`; the behaviour is in `members`, `lessons`
and `groups`, the checks they share in `core`.

A group name longer than 20 characters and a studentName longer than 24 are
cut, as ClassIn does; customColumn beyond 50 characters too.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..classin import accounts, api
from .accounts import Accounts
from .groups import Groups
from .lessons import Lessons
from .members import Members
from .wire import Refuse, answer
from .world import World

WINDOW_SECONDS = 20 * 60

# every action the sandbox serves: the roster endpoints and the account actions
ACTIONS = tuple(e.name for e in api.ENDPOINTS) + accounts.ACTIONS


class Engine(Members, Lessons, Groups, Accounts):
    """ClassIn's behaviour over a `World` (thread-safe)."""

    def __init__(self, world: World, clock: Callable[[], float] = time.time):
        super().__init__(world, clock)
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
        self._handlers.update({
            accounts.REGISTER: self._register,
            accounts.REGISTER_MULTIPLE: self._registerMultiple,
            accounts.ADD_SCHOOL_STUDENT: self._addSchoolStudent,
            accounts.EDIT_SCHOOL_STUDENT: self._editSchoolStudent,
        })
        assert set(self._handlers) == set(ACTIONS)

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
