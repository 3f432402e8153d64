"""Course groupings: addCourseGroup, editCourseGroup, delCourseGroup."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .core import Core
from .wire import Refuse, answer, array, num, uid_of
from .world import GroupW


class Groups(Core):
    # -- groups ------------------------------------------------------------------------------
    @staticmethod
    def _group_list(form: Mapping[str, str]) -> list[list[tuple[int, int]]]:
        raw = array(form, "groupList", bad=100)
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
                entries.append((uid_of(e["studentUid"]), leader))
            teams.append(entries)
        return teams

    @staticmethod
    def _group_name(form: Mapping[str, str]) -> str:
        name = (form.get("groupName") or "").strip()
        if not name:
            raise Refuse(100)
        return name[:20]

    def _addCourseGroup(self, form: Mapping[str, str]) -> dict[str, Any]:
        num(form, "courseId")
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
        num(form, "courseId")
        gid = num(form, "groupId")
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
        num(form, "courseId")
        gid = num(form, "groupId")
        c = self._course(form)
        if gid not in c.groups:
            return answer(893)
        del c.groups[gid]
        return answer(1)
