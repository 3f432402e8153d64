"""A grouping's change, team by team: who joined, left or moved, leader changes,
teams added and removed.

Teams have no ids in ClassIn, so old and new teams are matched: first by
leader, then, among the rest, by the most members in common. A uid in a
matched pair of teams stayed; in two teams that are not a pair it moved;
only in the new teams it joined; only in the old ones it left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ...model import Team

Who = Callable[[int], str]  # a uid as shown: "1003 (王五)", redacted as needed


def _match(old: Sequence[Team], new: Sequence[Team]) -> dict[int, int]:
    """new team index -> old team index."""
    pairs: dict[int, int] = {}
    by_leader = {t.leader: i for i, t in enumerate(old)}
    used: set[int] = set()
    for j, t in enumerate(new):
        i = by_leader.get(t.leader)
        if i is not None and i not in used:
            pairs[j] = i
            used.add(i)
    scored = []
    for j, t in enumerate(new):
        if j in pairs:
            continue
        mine = set(t.uids())
        for i, o in enumerate(old):
            if i not in used:
                common = len(mine.intersection(o.uids()))
                if common:
                    scored.append((-common, j, i))
    for _, j, i in sorted(scored):
        if j not in pairs and i not in used:
            pairs[j] = i
            used.add(i)
    return pairs


def team_lines(old: Sequence[Team], new: Sequence[Team], who: Who) -> list[str]:
    """One line per thing that changed, in team order (new teams numbered by
    their place in the new list, removed ones by their place in the old)."""
    pairs = _match(old, new)
    old_of = {i: j for j, i in pairs.items()}
    where_old: dict[int, int] = {}
    for i, t in enumerate(old):
        for u in t.uids():
            where_old[u] = i
    where_new: dict[int, int] = {}
    for j, t in enumerate(new):
        for u in t.uids():
            where_new[u] = j
    lines: list[str] = []
    for j, t in enumerate(new):
        name = f"team {j + 1}"
        prev = pairs.get(j)
        if prev is None:
            lines.append(f"{name} added, led by {who(t.leader)}")
        elif old[prev].leader != t.leader:
            lines.append(f"{name}: leader {who(old[prev].leader)} -> {who(t.leader)}")
        for u in t.uids():
            was = where_old.get(u)
            if was is None:
                lines.append(f"{name}: + {who(u)} joined")
            elif was != prev:
                src = old_of.get(was)
                frm = f"team {src + 1}" if src is not None else f"old team {was + 1} (removed)"
                lines.append(f"{name}: {who(u)} moved here from {frm}")
    for i, o in enumerate(old):
        k = old_of.get(i)
        if k is None:
            lines.append(f"old team {i + 1}, led by {who(o.leader)}, removed")
        for u in o.uids():
            if u not in where_new:
                place = f"team {k + 1}" if k is not None else f"old team {i + 1}"
                lines.append(f"{place}: - {who(u)} left the grouping")
    return lines


def teams_listing(teams: Sequence[Team], who: Who) -> list[str]:
    """A new grouping's teams, one line each: leader first."""
    return [
        f"team {j + 1}: " + ", ".join([f"{who(t.leader)} (leader)", *map(who, t.members)])
        for j, t in enumerate(teams)
    ]
