"""What every handler of the sandbox shares: the world, and the checks ClassIn makes
before any roster change (the course, the identity, who may become a member)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from .wire import Refuse, num
from .world import CourseW, World


class Core:
    def __init__(self, world: World, clock: Callable[[], float] = time.time):
        self.world = world
        self.clock = clock
        self.lock = threading.Lock()

    # -- shared checks -------------------------------------------------------------
    def _course(self, form: Mapping[str, str], deleted: int = 149,
                expired: int | None = 153) -> CourseW:
        cid = num(form, "courseId")
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
        if identity == 2 and len(c.auditors) >= c.auditor_limit:
            return 130  # 旁听人数默认最多可添加20人: at most 20 auditors unless raised
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
