"""convert csv: a roster spreadsheet with account and key columns also writes
the people (with their uids), which the configuration then holds."""

from eeo_reconcile.config.load import load_config
from eeo_reconcile.convert import convert_csv
from tests.helpers import write_tree


def test_account_and_key_columns_write_the_people_with_their_uids(tmp_path):
    (tmp_path / "r.csv").write_text(
        "course_id,role,uid,name,学号,手机号\n"
        "5,student,3000101,王小明,S1001,13900000101\n"
        "5,student,3000102,Li Na,,\n", encoding="utf-8")
    out = tmp_path / "cfg" / "sis"
    report = convert_csv([str(tmp_path / "r.csv")], str(out))
    assert report.people == {"S1001": ("13900000101", "王小明")}
    text = (out / "people.yaml").read_text(encoding="utf-8")
    assert "{key: S1001, account: \"13900000101\", name: 王小明, uid: 3000101}" in text
    write_tree(str(tmp_path / "cfg"), {"school.yaml": "school: {sid: 1}\n"})
    config = load_config(str(tmp_path / "cfg"))
    assert config.people["S1001"].uid == 3000101
    assert set(config.courses[5].students) == {3000101, 3000102}
