import os

import pytest

from eeo_reconcile.config.load import find_files, load_config
from eeo_reconcile.errors import ConfigError
from eeo_reconcile.model import LessonMember, Team
from tests.helpers import write_tree


def test_directory_reads_every_yaml_below_and_skips_hidden(tmp_path):
    write_tree(str(tmp_path), {
        "school.yml": "school: {sid: 7}\n",
        "term1/a.yaml": "courses: [{id: 1, students: [5]}]\n",
        "term1/deep/b.yaml": "courses: [{id: 2, students: ['0006']}]\n",
        ".hidden/c.yaml": "this is: [not, valid\n",
        "term1/.d.yaml": "courses: [{id: 3}]\n",
        "notes.txt": "ignored",
    })
    files = [os.path.relpath(f, tmp_path) for f in find_files(str(tmp_path))]
    assert files == ["school.yml", "term1/a.yaml", "term1/deep/b.yaml"]
    config = load_config(str(tmp_path))
    assert sorted(config.courses) == [1, 2]
    assert dict(config.courses[2].students) == {6: None}


def test_normalisation_and_model(tmp_path):
    write_tree(str(tmp_path), {"r.yaml": """
        school: {sid: "2339736", api_url: "https://api.eeo.cn/", batch: {students: 10}}
        state: {path: st/state.json}
        courses:
          - id: "442447"
            name: Algebra I
            students: [12234, {uid: "12235", name: Li Lei}]
            auditors: [{uid: 1001, name: 张三}]
            lessons:
              - id: 1419691
                students:
                  - {uid: 1001001, name: 小丫, custom: 12}
            groups:
              - name: 课程分组
                id: "139"
                teams:
                  - leader: 12234
                    members: [12235]
            safety: {max_removal_fraction: 1}
    """})
    c = load_config(str(tmp_path / "r.yaml"))
    assert c.school.sid == 2339736
    assert c.school.api_url == "https://api.eeo.cn"
    assert c.school.batch.students == 10 and c.school.batch.auditors == 20
    assert c.state.get("path") == str(tmp_path / "st" / "state.json")
    course = c.courses[442447]
    assert course.name == "Algebra I"
    assert dict(course.students) == {12234: None, 12235: "Li Lei"}
    assert dict(course.auditors) == {1001: "张三"}
    assert dict(course.lessons[1419691]) == {1001001: LessonMember("小丫", "12")}
    assert course.groups[0].id == 139
    assert course.groups[0].teams == (Team(12234, (12235,)),)
    assert course.max_removal_fraction == 1.0
    assert len(c.digest) == 64


def test_digest_changes_with_content(tmp_path):
    write_tree(str(tmp_path), {"r.yaml": "school: {sid: 1}\n"})
    d1 = load_config(str(tmp_path)).digest
    write_tree(str(tmp_path), {"r.yaml": "school: {sid: 1}  # comment\n"})
    assert load_config(str(tmp_path)).digest != d1


def test_merge_keys_and_anchors(tmp_path):
    write_tree(str(tmp_path), {"r.yaml": """
        school: {sid: 1}
        courses:
          - &base
            id: 1
            students: [5, 6]
          - <<: *base
            id: 2
    """})
    c = load_config(str(tmp_path))
    assert dict(c.courses[2].students) == {5: None, 6: None}


def test_missing_path_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path / "nope"))
    assert "does not exist" in info.value.render()


def test_empty_directory(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(str(tmp_path))
    assert "no *.yaml" in info.value.render()


def test_fast_and_reference_schema_validators_agree():
    """The compiled validator's "valid" is trusted alone: it must agree with jsonschema."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from eeo_reconcile.schemas import _fast, load_schema, validator

    fast = _fast("roster.schema.json")
    if fast is None:
        pytest.skip("jsonschema-rs not installed")
    ref = validator("roster.schema.json")
    assert load_schema("roster.schema.json")["$schema"].endswith("2020-12/schema")
    scalars = st.one_of(
        st.integers(-3, 3), st.integers(2**62, 2**64), st.booleans(), st.none(),
        st.floats(allow_nan=False, allow_infinity=False, width=32),
        st.text(max_size=60), st.sampled_from(["12", "0012", "0", "1x", ""]),
    )
    keys = st.sampled_from(["uid", "name", "custom", "id", "leader", "members", "teams",
                            "students", "auditors", "lessons", "groups", "safety", "x"])
    values = st.recursive(
        scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=4),
                                st.dictionaries(keys, inner, max_size=4)),
        max_leaves=12,
    )
    course = st.fixed_dictionaries({"id": scalars}, optional={
        "students": st.lists(values, max_size=4), "auditors": st.lists(values, max_size=3),
        "lessons": st.lists(values, max_size=2), "groups": st.lists(values, max_size=2),
        "safety": values, "name": scalars,
    })
    doc = st.fixed_dictionaries({}, optional={
        "school": st.dictionaries(st.sampled_from(["sid", "api_url", "batch"]), values),
        "courses": st.lists(course, max_size=3),
    })

    @settings(max_examples=400, deadline=None)
    @given(doc)
    def check(d):
        assert fast.is_valid(d) == ref.is_valid(d), d

    check()


def test_a_course_split_over_a_generated_and_a_hand_kept_file_is_merged(tmp_path):
    write_tree(str(tmp_path), {
        "school.yaml": "school: {sid: 1}\n",
        "generated/5.yaml": "courses:\n  - id: 5\n    part: sis\n    name: Algebra\n"
                            "    students: [{uid: 1, name: Ann}, 2, 3]\n"
                            "    auditors: [{uid: 9, name: Parent}]\n",
        "hand/5.yaml": "courses:\n  - id: 5\n    part: hand\n    lessons:\n"
                       "      - {id: 70, name: Week 1, students: [{uid: 40, name: Forty}]}\n"
                       "    groups:\n      - name: G\n        teams: [{leader: 1, members: [2]}]\n"
                       "    safety: {max_removal_fraction: 0.5}\n",
    })
    c = load_config(str(tmp_path)).courses[5]
    assert c.name == "Algebra" and c.students == {1: "Ann", 2: None, 3: None}
    assert c.auditors == {9: "Parent"} and c.lessons[70][40].name == "Forty"
    assert c.lesson_names == {70: "Week 1"} and c.groups[0].teams[0].members == (2,)
    assert c.max_removal_fraction == 0.5


def test_the_fast_resolver_gives_pyyaml_s_tags():
    import random
    import string

    import yaml

    from eeo_reconcile.config.yamlfast import FastLoader as _FastLoader

    samples = ["", "0", "00", "012", "1", "123", "1_000", "-1", "+1", "0x1F", "0o7", "1.5",
               ".5", ".inf", ".NaN", "yes", "Yes", "no", "NO", "on", "Off", "true", "False",
               "null", "Null", "~", "<<", "=", "1:20", "2026-11-25", "2026-11-25T10:00:00Z",
               "abc", "Li Lei", "李", "٣", "３", "1e3", "1.0e+3", "n", "y", "Y", "t"]
    r = random.Random(1)
    samples += ["".join(r.choice(string.printable[:80]) for _ in range(r.randint(1, 6)))
                for _ in range(20000)]
    base, fast = yaml.CSafeLoader(""), _FastLoader("")
    for v in samples:
        for implicit in ((True, False), (False, True)):
            assert base.resolve(yaml.ScalarNode, v, implicit) == \
                fast.resolve(yaml.ScalarNode, v, implicit), v
    for kind in (yaml.SequenceNode, yaml.MappingNode):
        assert base.resolve(kind, None, (True, False)) == fast.resolve(kind, None, (True, False))
