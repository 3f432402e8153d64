"""Importing a roster into the state: snapshots, merges, names, idempotence."""

import pytest

from eeo_reconcile.model import LessonMember, StateRef, Team
from eeo_reconcile.roster.importing import import_roster
from eeo_reconcile.roster.read import read_rosters
from eeo_reconcile.state.local import LocalStore
from eeo_reconcile.state.model import State
from eeo_reconcile.state.records import GroupRecord
from eeo_reconcile.workflow import import_rosters

H = "course_id,role,uid,name,lesson_id,custom\n"
ROWS = H + ("5,student,1,Li Lei,,\n5,student,2,,,\n5,auditor,3,Three,,\n"
            "5,lesson_student,4,Four,77,c\n6,student,9,,,\n")


def _state():
    st = State(lineage="L", serial=2, sid=1)
    c = st.course(5)
    c.students = {1, 7}
    c.labels = {7: "Seven", 1: "old label"}
    c.auditors = {3: "Old name", 2: "Two"}
    c.lessons = {77: {8: LessonMember("Eight")}}
    c.groups = {"G": GroupRecord(100, (Team(1, (7,)),))}
    st.course(8).students = {1}
    return st


def _roster(tmp_path, text=ROWS):
    p = tmp_path / "r.csv"
    p.write_text(text)
    return read_rosters([str(p)])


def test_a_snapshot_replaces_each_course_in_the_file(tmp_path):
    st = _state()
    report = {r.course: r for r in import_roster(st, _roster(tmp_path))}
    c = st.courses[5]
    assert c.students == {1, 2}  # 7 forgotten; 2 is an auditor before, a student now
    assert c.auditors == {3: "Three"}
    assert c.labels == {1: "Li Lei"}
    assert c.lessons == {77: {4: LessonMember("Four", "c")}}
    assert "G" in c.groups  # groupings are not in exports: untouched
    assert st.courses[8].students == {1}  # not in the files: untouched
    r = report[5]
    assert r.added == {"student": 1, "lesson student": 1}
    assert r.forgotten == {"student": 1, "auditor": 1, "lesson student": 1}
    assert r.renamed == 1
    assert report[6].added == {"student": 1}


def test_merge_only_adds_and_switches_identities_the_file_gives(tmp_path):
    st = _state()
    report = {r.course: r for r in import_roster(st, _roster(tmp_path), merge=True)}
    c = st.courses[5]
    assert c.students == {1, 2, 7} and c.auditors == {3: "Three"}
    assert c.lessons == {77: {8: LessonMember("Eight"), 4: LessonMember("Four", "c")}}
    assert report[5].switched == 1 and not report[5].forgotten


def test_only_some_courses(tmp_path):
    st = _state()
    import_roster(st, _roster(tmp_path), only=[6])
    assert st.courses[5].students == {1, 7} and st.courses[6].students == {9}


def test_importing_twice_changes_nothing_the_second_time(tmp_path):
    store = LocalStore(StateRef.of("local", path=str(tmp_path / "s.json")))
    p = tmp_path / "r.csv"
    p.write_text(ROWS)
    first = import_rosters([str(p)], store)
    assert first.changed and first.serial_after == 1
    again = import_rosters([str(p)], store)
    assert not again.changed and again.serial_after == again.serial_before == 1
    dry = import_rosters([str(p)], store, merge=True, dry_run=True)
    assert dry.serial_after == 1
    with pytest.raises(Exception, match="--course 42 is not in the files"):
        import_rosters([str(p)], store, only=[42])


def test_a_workbook_that_unpacks_hundreds_of_times_its_size_is_refused_at_once(tmp_path):
    """A 6 MB XLSX that unpacked to 1.8 GB (under the size cap) ran over 120 s."""
    import zipfile

    from eeo_reconcile.errors import ConfigError
    from eeo_reconcile.roster.read import read_rosters

    p = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        row = "<row><c><v>1</v></c></row>" * 1000
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData>"
                   + row * 1000 + "</sheetData></worksheet>")
    assert p.stat().st_size < 1 << 20
    with pytest.raises(ConfigError) as info:
        read_rosters([str(p)])
    (d,) = info.value.diagnostics
    assert "zip bomb" in d.message and d.location.line == 1


def test_an_account_column_records_people_that_the_configuration_then_names(tmp_path):
    """A console export with an account column: import records each person (uid,
    name, a digest of the account; never the account), so the configuration can
    name them by person with no registration; a bad account is located."""
    from eeo_reconcile.config.load import load_config
    from eeo_reconcile.errors import ConfigError
    from eeo_reconcile.plan.diff import make_plan
    from tests.helpers import write_tree

    store = LocalStore(StateRef.of("local", path=str(tmp_path / "eeo.state.json")))
    (tmp_path / "r.csv").write_text(
        "course_id,role,uid,name,学号,手机号\n"
        "5,student,3000101,王小明,S1001,13900000101\n"
        "5,student,3000102,Li Na,,kid@example.cn\n"
        "5,student,3000103,No Account,S1003,\n", encoding="utf-8")
    report = import_rosters([str(tmp_path / "r.csv")], store)
    assert report.people == 1 and report.people_without_key == 1  # no key: not recorded
    st = store.snapshot()
    assert set(st.people) == {"S1001"} and st.people["S1001"].uid == 3000101
    raw = (tmp_path / "eeo.state.json").read_text(encoding="utf-8")
    assert "13900000101" not in raw and "kid@example.cn" not in raw
    write_tree(str(tmp_path / "cfg"), {"r.yaml": """
        school: {sid: 1}
        people: [{key: S1001, account: '13900000101', name: 王小明}]
        courses: [{id: 5, students: [{person: S1001}, 3000102, 3000103]}]
    """})
    plan = make_plan(load_config(str(tmp_path / "cfg")), st)
    assert plan.empty and not plan.accounts  # known: nothing to register, nothing to add
    (tmp_path / "bad.csv").write_text("course_id,role,uid,name,account,key\n"
                                      "5,student,3000104,X,013900000104,S4\n")
    with pytest.raises(ConfigError) as info:
        import_rosters([str(tmp_path / "bad.csv")], store)
    (d,) = info.value.diagnostics
    assert (d.location.line, d.location.column) == (2, 5) and "starts with 0" in d.message
