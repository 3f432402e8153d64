"""Property: for random desired/recorded pairs, carrying out the planned calls
on the recorded state (strictly, as ClassIn would) yields exactly the desired
state, and the number of calls is the minimum for the batch sizes."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eeo_reconcile.model import (
    BatchSizes,
    Config,
    CourseSpec,
    GroupSpec,
    LessonMember,
    Safety,
    SchoolConfig,
    StateRef,
    Team,
)
from eeo_reconcile.plan.diff import make_plan
from eeo_reconcile.state.model import State
from eeo_reconcile.state.records import CourseRecord, GroupRecord
from tests.helpers import minimum_calls, simulate

UIDS = st.integers(1, 40)
NAMES = st.sampled_from(["A", "B", "张三"])


@st.composite
def course_content(draw, with_names: bool):
    uids = draw(st.lists(UIDS, unique=True, max_size=35))
    cut1 = draw(st.integers(0, len(uids)))
    cut2 = draw(st.integers(cut1, len(uids)))
    students = uids[:cut1]
    auditors = uids[cut1:cut2]
    rest = uids[cut2:]

    def nm(u):
        return draw(NAMES) if with_names else f"n{u}"

    lessons: dict[int, dict[int, LessonMember]] = {}
    for lid in draw(st.lists(st.integers(70, 73), unique=True, max_size=3)):
        members = draw(st.lists(st.sampled_from(rest), unique=True, max_size=len(rest))) \
            if rest else []
        lessons[lid] = {
            u: LessonMember(nm(u), draw(st.sampled_from([None, "x", "y"])) if with_names
                            else f"c{u}")
            for u in members
        }
    groups: list[tuple[str, tuple[Team, ...]]] = []
    for name in draw(st.lists(st.sampled_from(["G1", "G2", "G3"]), unique=True, max_size=3)):
        pool = draw(st.permutations(students)) if students else []
        k = draw(st.integers(0, min(6, len(pool))))
        chosen = list(pool[:k])
        teams = []
        while chosen:
            size = draw(st.integers(1, len(chosen)))
            team, chosen = chosen[:size], chosen[size:]
            teams.append(Team(team[0], tuple(team[1:])))
        if teams:
            groups.append((name, tuple(teams)))
    return students, {u: nm(u) for u in auditors}, lessons, groups


@st.composite
def scenario(draw, with_names: bool):
    batch = BatchSizes(
        students=draw(st.integers(1, 30)), auditors=draw(st.integers(1, 20)),
        removals=draw(st.integers(1, 30)), lesson_students=draw(st.integers(1, 30)),
    )
    desired: dict[int, CourseSpec] = {}
    recorded = State(lineage="L", serial=1, sid=1)
    gid = 500
    for cid in (1, 2, 3):
        if draw(st.booleans()):
            s, a, lessons, groups = draw(course_content(with_names))
            gspecs = []
            for i, (name, teams) in enumerate(groups):
                adopt = draw(st.sampled_from([None, None, 139 + 10 * cid + i]))
                gspecs.append(GroupSpec(name, teams, adopt))
            desired[cid] = CourseSpec(cid, None, {u: None for u in s}, a, lessons, tuple(gspecs))
        if draw(st.booleans()):
            s, a, lessons, groups = draw(course_content(with_names))
            c = CourseRecord()
            c.students, c.auditors = set(s), dict(a)
            c.lessons = {k: v for k, v in lessons.items() if v}
            for name, teams in groups:
                gid += 1
                c.groups[name] = GroupRecord(gid, teams)
            if not c.is_empty():
                recorded.courses[cid] = c
    config = Config(
        root="/x", base_dir="/x", files=(), school=SchoolConfig(sid=1, batch=batch),
        state=StateRef.of("local", path="/x/s.json"), safety=Safety(), courses=desired, digest="d",
    )
    return config, recorded


def _desired_view(config: Config) -> dict:
    out = {}
    for cid, spec in config.courses.items():
        view = (
            frozenset(spec.students), dict(spec.auditors),
            {k: dict(v) for k, v in spec.lessons.items() if v},
            {g.name: g.teams for g in spec.groups},
        )
        if any(view):
            out[cid] = view
    return out


def _state_view(state: State) -> dict:
    out = {}
    for cid, c in state.courses.items():
        view = (
            frozenset(c.students), dict(c.auditors),
            {k: dict(v) for k, v in c.lessons.items() if v},
            {name: g.teams for name, g in c.groups.items()},
        )
        if any(view):
            out[cid] = view
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(with_names=False))
def test_apply_of_plan_yields_desired_with_fewest_calls(sc):
    config, recorded = sc
    plan = make_plan(config, recorded)
    assert not plan.notes
    after = simulate(recorded, plan.calls)
    assert _state_view(after) == _desired_view(config)
    assert len(plan.calls) == minimum_calls(plan.changes, config.school.batch)
    # adopted groupings keep the id the configuration gave
    for cid, spec in config.courses.items():
        for g in spec.groups:
            if g.id is not None:
                assert after.courses[cid].groups[g.name].id == g.id
    # and planning again from the result finds nothing to do
    again = make_plan(config, _as_recorded(after))
    assert again.empty, again.changes


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(with_names=True))
def test_attribute_changes_are_notes_and_replace_makes_them_exact(sc):
    config, recorded = sc
    plan = make_plan(config, recorded)
    after = simulate(recorded, plan.calls)
    # memberships match; every attribute difference left behind has a note, or is
    # a lesson student's label (never sent), recorded as a label update
    noted = {n.address for n in plan.notes}
    labelled = {(u.course, u.lesson, u.uid) for u in plan.labels}
    for cid, spec in config.courses.items():
        c = after.courses.get(cid, CourseRecord())
        assert set(c.students) == set(spec.students)
        assert set(c.auditors) == set(spec.auditors)
        for u, name in spec.auditors.items():
            assert c.auditors[u] == name or f"course/{cid}/auditor/{u}" in noted
        for lid, members in spec.lessons.items():
            for u, m in members.items():
                got = c.lessons[lid][u]
                assert (got == m or f"course/{cid}/lesson/{lid}/student/{u}" in noted
                        or (got.custom == m.custom and (cid, lid, u) in labelled)), (got, m)
    # replacing every course makes the result exact
    plan2 = make_plan(config, recorded, replace=[f"course/{cid}" for cid in (1, 2, 3)])
    after2 = simulate(recorded, plan2.calls)
    assert _state_view(after2) == _desired_view(config)
    assert len(plan2.calls) == minimum_calls(plan2.changes, config.school.batch)


def _as_recorded(state: State) -> State:
    s = state.copy()
    s.lineage, s.serial = "L", 2
    return s
