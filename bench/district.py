"""Generate a district's rosters in the real configuration format.

    python bench/district.py OUTDIR --courses 2000 --students 100 [--seed 7]

writes OUTDIR/school.yaml and OUTDIR/<term>/courses-NNN.yaml (100 courses a
file, in several folders, as a school keeps them). Each course has
`--students` students, `--auditors` auditors, `--lessons` lessons with
`--transfer` lesson-only students each, and one grouping of 5 teams.
"""

from __future__ import annotations

import argparse
import os
import random
from dataclasses import dataclass


@dataclass
class Shape:
    courses: int = 2000
    students: int = 100
    auditors: int = 2
    lessons: int = 2
    transfer: int = 3
    per_file: int = 100
    seed: int = 7

    @property
    def memberships(self) -> int:
        return self.courses * (self.students + self.auditors + self.lessons * self.transfer)


def course_ids(shape: Shape) -> list[int]:
    return [500000 + i for i in range(shape.courses)]


def build(shape: Shape) -> dict[int, dict]:
    """The district as plain data: course id -> course mapping (config shape)."""
    rnd = random.Random(shape.seed)
    pool = 40 * shape.students + 1000  # uids are shared between courses, like real pupils
    courses: dict[int, dict] = {}
    for n, cid in enumerate(course_ids(shape)):
        picked = rnd.sample(range(1, pool), shape.students + shape.auditors
                            + shape.lessons * shape.transfer)
        uids = [10_000_000 + u for u in picked]
        st = uids[: shape.students]
        au = uids[shape.students: shape.students + shape.auditors]
        rest = uids[shape.students + shape.auditors:]
        lessons = []
        for li in range(shape.lessons):
            chunk = rest[li * shape.transfer:(li + 1) * shape.transfer]
            lessons.append({
                "id": 9_000_000 + n * shape.lessons + li,
                "students": [{"uid": u, "name": f"T{u % 100000}", "custom": f"C-{li}"}
                             for u in chunk],
            })
        teams = []
        if len(st) >= 20:
            for t in range(5):
                team = st[t * 4:(t + 1) * 4]
                teams.append({"leader": team[0], "members": team[1:]})
        course = {
            "id": cid,
            "name": f"Course {n}",
            "students": st,
            "auditors": [{"uid": u, "name": f"Auditor {u % 1000}"} for u in au],
            "lessons": lessons,
        }
        if teams:
            course["groups"] = [{"name": "Teams", "teams": teams}]
        courses[cid] = course
    return courses


def _scalar(v: object) -> str:
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def dump_course(c: dict) -> str:
    """Block-style YAML as a person would write it (students one per line)."""
    out = [f"  - id: {c['id']}", f"    name: {_scalar(c['name'])}", "    students:"]
    out.extend(f"      - {u}" for u in c["students"])
    if c["auditors"]:
        out.append("    auditors:")
        out.extend(
            f"      - {{uid: {a['uid']}, name: {_scalar(a['name'])}}}" for a in c["auditors"]
        )
    if c["lessons"]:
        out.append("    lessons:")
        for lesson in c["lessons"]:
            out.append(f"      - id: {lesson['id']}")
            out.append("        students:")
            for s in lesson["students"]:
                out.append(
                    f"          - {{uid: {s['uid']}, name: {_scalar(s['name'])}, "
                    f"custom: {_scalar(s['custom'])}}}"
                )
    for g in c.get("groups", []):
        out.append("    groups:")
        out.append(f"      - name: {_scalar(g['name'])}")
        out.append("        teams:")
        for t in g["teams"]:
            members = ", ".join(map(str, t["members"]))
            out.append(f"          - {{leader: {t['leader']}, members: [{members}]}}")
    return "\n".join(out) + "\n"


def write(outdir: str, courses: dict[int, dict], shape: Shape, sid: int = 2339736,
          state_path: str = "eeo.state.json") -> list[str]:
    os.makedirs(outdir, exist_ok=True)
    files = []
    school = os.path.join(outdir, "school.yaml")
    with open(school, "w", encoding="utf-8") as fh:
        fh.write(f"school:\n  sid: {sid}\nstate:\n  path: {state_path}\n"
                 "safety:\n  max_removals: 100000000\n")
    files.append(school)
    ids = sorted(courses)
    for i in range(0, len(ids), shape.per_file):
        term = f"term-{(i // shape.per_file) % 4 + 1}"
        d = os.path.join(outdir, term)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, f"courses-{i // shape.per_file:04d}.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("courses:\n")
            for cid in ids[i:i + shape.per_file]:
                fh.write(dump_course(courses[cid]))
        files.append(path)
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--courses", type=int, default=2000)
    ap.add_argument("--students", type=int, default=100)
    ap.add_argument("--auditors", type=int, default=2)
    ap.add_argument("--lessons", type=int, default=2)
    ap.add_argument("--transfer", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    shape = Shape(a.courses, a.students, a.auditors, a.lessons, a.transfer, seed=a.seed)
    files = write(a.outdir, build(shape), shape)
    print(f"wrote {len(files)} files, {shape.memberships} memberships, to {a.outdir}")


if __name__ == "__main__":
    main()


@dataclass
class Churn:
    """What `churn()` changed, counted independently of the planner."""

    courses: int = 0
    changes: int = 0
    min_calls: int = 0


def churn(courses: dict[int, dict], fraction: float = 0.01, seed: int = 11
          ) -> tuple[dict[int, dict], Churn]:
    """A copy of the district with about `fraction` of its memberships changed,
    concentrated in some courses as real churn is: per touched course 3 students
    removed, 3 added, 2 students become auditors, 1 auditor becomes a student,
    one lesson student replaced, and the grouping edited.

    The changes and the fewest calls are counted here from those numbers alone:
    student removals 3 + 2 = 5 (one delCourseStudentMultiple), auditor removals 1
    (one delCourseStudent), student adds 3 + 1 = 4 (one addCourseStudentMultiple),
    auditor adds 2 (one addCourseStudentMultiple), lesson removal 1 and lesson add
    1 (one call each), group edit 1: 15 changes, 7 calls a course."""
    import copy

    rnd = random.Random(seed)
    out = copy.deepcopy(courses)
    total = sum(len(c["students"]) + len(c["auditors"])
                + sum(len(le["students"]) for le in c["lessons"]) for c in out.values())
    target = int(total * fraction)
    ids = sorted(out)
    rnd.shuffle(ids)
    stats = Churn()
    used = {u for c in out.values() for u in c["students"]}
    fresh = (u for u in range(20_000_000, 30_000_000) if u not in used)
    for cid in ids:
        if stats.changes >= target:
            break
        c = out[cid]
        if len(c["students"]) < 30 or not c["auditors"] or not c["lessons"] \
                or not c["lessons"][0]["students"] or not c.get("groups"):
            continue
        free = c["students"][20:]  # not in the grouping (which uses the first 20)
        removed, to_auditor = free[:3], free[3:5]
        back = c["auditors"][0]
        c["students"] = [u for u in c["students"] if u not in removed and u not in to_auditor]
        new = [next(fresh) for _ in range(3)]
        c["students"] += new + [back["uid"]]
        c["auditors"] = c["auditors"][1:] + [{"uid": u, "name": f"Moved {u % 1000}"}
                                              for u in to_auditor]
        lesson = c["lessons"][0]
        lesson["students"] = lesson["students"][1:] + [
            {"uid": next(fresh), "name": "New", "custom": "C-n"}]
        team = c["groups"][0]["teams"][0]
        team["members"] = team["members"][:-1]  # one member leaves the first team
        stats.courses += 1
        stats.changes += 5 + 1 + 4 + 2 + 1 + 1 + 1
        batch = {"removals": 30, "students": 30, "auditors": 20, "lesson": 30}
        stats.min_calls += sum(-(-n // size) for n, size in (
            (5, batch["removals"]), (1, batch["removals"]), (4, batch["students"]),
            (2, batch["auditors"]), (1, batch["lesson"]), (1, batch["lesson"]))) + 1
    return out, stats


def world_for(courses: dict[int, dict], sid: int = 2339736, secret: str = "bench-secret",
              group_ids: dict[tuple[int, str], int] | None = None, applied: bool = True) -> dict:
    """A sandbox world holding the district as already applied (for the apply bench);
    `applied=False`: its courses and lessons exist, empty (a first day)."""
    students: dict[int, str] = {}
    wc = []
    for cid, c in sorted(courses.items()):
        for u in c["students"]:
            students[u] = "s"
        for a in c["auditors"]:
            students[a["uid"]] = a["name"]
        lessons = []
        for lesson in c["lessons"]:
            for s in lesson["students"]:
                students[s["uid"]] = s["name"]
            lessons.append({"id": lesson["id"], "students": {
                s["uid"]: {"name": s["name"], "custom": s.get("custom")}
                for s in lesson["students"]}})
        groups = [{"id": (group_ids or {}).get((cid, g["name"]), 0), "name": g["name"],
                   "teams": [[t["leader"], *t["members"]] for t in g["teams"]]}
                  for g in c.get("groups", [])]
        if not applied:
            lessons = [{"id": le["id"], "students": {}} for le in lessons]
            wc.append({"id": cid, "students": [], "auditors": {}, "lessons": lessons,
                       "groups": []})
            continue
        wc.append({"id": cid, "students": list(c["students"]),
                   "auditors": {a["uid"]: a["name"] for a in c["auditors"]},
                   "lessons": lessons, "groups": groups})
    for u in range(20_000_000, 20_100_000):
        students[u] = "new"
    return {"school": {"sid": sid, "secret": secret}, "students": students, "courses": wc}
