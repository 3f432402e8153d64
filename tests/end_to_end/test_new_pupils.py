"""The nightly sync with new pupils: a OneRoster export whose pupils have no
ClassIn uid goes through convert --people, validate, plan and apply, and leaves
every pupil a student of the school with their name, enrolled in their course,
in one run; the next plan is empty; no account is shown or stored in clear."""

import os

from tests.e2e import E2E
from tests.end_to_end.test_apply import lifecycle_world
from tests.end_to_end.test_people import SCHOOL
from tests.helpers import write_tree

MANIFEST = ("propertyName,value\noneroster.version,1.1\nfile.classes,bulk\n"
            "file.users,bulk\nfile.enrollments,bulk\n")
CLASSES = ("sourcedId,status,title,schoolSourcedId,metadata.classin.courseId\n"
           "cls-1,active,Algebra,org-1,100\n")
USERS = ("sourcedId,status,role,userIds,givenName,familyName,email,sms,phone,agentSourcedIds\n"
         "stu-1,active,student,{ClassIn:1},One,Known,,,,\n"
         "stu-2,active,student,,小明,王,,13900000201,,par-2\n"
         "stu-3,active,student,,Na,Li,kid3@example.cn,,,\n"
         "stu-4,active,student,,No,Account,,,,\n"
         "par-2,active,parent,,Parent,Wang,,13900000299,,stu-2\n")
ENROLLMENTS = ("sourcedId,status,classSourcedId,userSourcedId,role\n"
               "e1,active,cls-1,stu-1,student\ne2,active,cls-1,stu-2,student\n"
               "e3,active,cls-1,stu-3,student\ne4,active,cls-1,stu-4,student\n")
ACCOUNTS = ("13900000201", "kid3@example.cn", "13900000299")


def test_a_oneroster_export_of_new_pupils_is_enrolled_in_one_run(tmp_path):
    e = E2E(tmp_path, lifecycle_world(), school=SCHOOL)
    try:
        sis = tmp_path / "sis"
        write_tree(str(sis), {"manifest.csv": MANIFEST, "classes.csv": CLASSES,
                              "users.csv": USERS, "enrollments.csv": ENROLLMENTS})
        with open(os.path.join(e.dir, "school.yaml"), "w", encoding="utf-8") as fh:
            fh.write(SCHOOL)
        r = e.cli("convert", "oneroster", sis, "--out", os.path.join(e.dir, "sis"),
                  "--people", "--auditors", "guardians", "-v")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "3 of them people without a uid" in r.stdout, r.stdout
        assert "user without a ClassIn uid" in r.stdout  # stu-4: no uid, no account
        assert e.cli("validate", e.dir).returncode == 0
        r = e.plan("--detailed-exitcode")
        assert r.returncode == 2 and "3 account(s) to register" in r.stdout, r.stdout
        r = e.apply()
        assert r.returncode == 0, r.stdout + r.stderr
        school = e.sb.school()
        uid = {a: school["accounts"][a] for a in ACCOUNTS}
        assert school["students"][str(uid["13900000201"])] == "王小明"
        assert school["students"][str(uid["kid3@example.cn"])] == "Na Li"
        roster = e.sb.roster(100)
        assert set(roster["students"]) == {1, uid["13900000201"], uid["kid3@example.cn"]}
        assert roster["auditors"] == {str(uid["13900000299"]): "Parent Wang"}
        r = e.plan("--detailed-exitcode")
        assert r.returncode == 0 and "No changes." in r.stdout, r.stdout + r.stderr
        texts = list(e.outputs)
        for name in os.listdir(e.dir):
            if not name.endswith(".yaml") and os.path.isfile(os.path.join(e.dir, name)):
                with open(os.path.join(e.dir, name), encoding="utf-8") as fh:
                    texts.append(fh.read())
        for t in texts:
            for a in ACCOUNTS:
                assert a not in t
    finally:
        e.close()
