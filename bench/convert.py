"""The `convert` scenario: a generated OneRoster 1.1 export converted to YAML.

200,000 students in 5,000 classes of 200 (each student in 5 classes: 1,000,000
enrollments), 1,000 teachers with one teacher enrollment per class, names in
Chinese. `eeo-reconcile convert oneroster` (timed inside its process, after
imports) vs reading the same CSVs with csv.reader plus writing the same YAML
files with yaml.CSafeDumper (the data prepared beforehand). Target <= 2x; peak
memory of the whole command < 2 GB.
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import sys
import tempfile

from common import run_process

FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"

BASE = """
import csv, os, sys, time, yaml
src, ours, out = sys.argv[1:4]
docs = {}
for name in sorted(os.listdir(ours)):  # the same data, read beforehand (not timed)
    with open(os.path.join(ours, name), encoding="utf-8") as fh:
        docs[name] = yaml.load(fh, Loader=yaml.CSafeLoader)
t = time.perf_counter()
for f in ("manifest.csv", "classes.csv", "users.csv", "enrollments.csv"):
    with open(os.path.join(src, f), newline="", encoding="utf-8-sig") as fh:
        for row in csv.reader(fh):
            pass
os.makedirs(out, exist_ok=True)
for name, doc in docs.items():
    with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
        yaml.dump(doc, fh, Dumper=yaml.CSafeDumper, allow_unicode=True, sort_keys=False)
print(time.perf_counter() - t)
"""

OURS = """
import sys, time
from eeo_reconcile.cli import run as main  # as the eeo-reconcile process runs
t = time.perf_counter()
main(["convert", "oneroster", sys.argv[1], "--out", sys.argv[2], "--as-of", "2026-11-25"],
     standalone_mode=False)
print(time.perf_counter() - t)
"""


def write_export(d: str, students: int = 200_000, classes: int = 5_000, per: int = 5,
                 seed: int = 1) -> int:
    """A OneRoster 1.1 bulk export; returns the number of enrollments."""
    rnd = random.Random(seed)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "manifest.csv"), "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["propertyName", "value"])
        w.writerows([["manifest.version", "1.0"], ["oneroster.version", "1.1"],
                     ["file.classes", "bulk"], ["file.users", "bulk"],
                     ["file.enrollments", "bulk"], ["file.orgs", "absent"]])
    with open(os.path.join(d, "classes.csv"), "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["sourcedId", "status", "dateLastModified", "title", "grades",
                    "courseSourcedId", "classCode", "classType", "location",
                    "schoolSourcedId", "termSourcedIds", "subjects", "subjectCodes", "periods",
                    "metadata.classin.courseId"])
        w.writerows([f"c{i}", "active", "", f"Class {i}", "07", f"k{i % 50}", "", "scheduled",
                     "", "org-1", "t1", "", "", "", 600000 + i] for i in range(classes))
    teachers = 1000
    with open(os.path.join(d, "users.csv"), "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds",
                    "role", "username", "userIds", "givenName", "familyName", "middleName",
                    "identifier", "email", "sms", "phone", "agentSourcedIds", "grades",
                    "password"])
        for i in range(students):
            w.writerow([f"s{i}", "active", "", "true", "org-1", "student", f"s{i}",
                        f"{{ClassIn:{10_000_000 + i}}}", rnd.choice(GIVEN) + rnd.choice(GIVEN),
                        rnd.choice(FAMILY), "", "", "", "", "", "", "07", ""])
        for i in range(teachers):
            w.writerow([f"t{i}", "active", "", "true", "org-1", "teacher", f"t{i}",
                        f"{{ClassIn:{20_000_000 + i}}}", "T", "Teacher", "", "", "", "", "",
                        "", "", ""])
    n = 0
    with open(os.path.join(d, "enrollments.csv"), "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["sourcedId", "status", "dateLastModified", "classSourcedId",
                    "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate",
                    "endDate"])
        order = list(range(students))
        for k in range(per):
            rnd.shuffle(order)
            rows = []
            for j, s in enumerate(order):
                c = (j * classes) // students
                rows.append([f"e{k}-{s}", "active", "", f"c{c}", "org-1", f"s{s}", "student",
                             "false", "2026-08-15", "2027-06-30"])
            w.writerows(rows)
            n += len(rows)
        w.writerows([f"et{c}", "active", "", f"c{c}", "org-1", f"t{c % teachers}", "teacher",
                     "true", "", ""] for c in range(classes))
    return n


def scenario_convert(repeat: int, line, timed) -> None:  # type: ignore[no-untyped-def]
    tmp = tempfile.mkdtemp(prefix="eeo-bench-convert-")
    try:
        src = os.path.join(tmp, "export")
        enrollments = write_export(src)
        out = os.path.join(tmp, "ours")
        whole = run_process([sys.executable, "-m", "eeo_reconcile", "convert", "oneroster",
                             src, "--out", out, "--as-of", "2026-11-25"])
        times = []
        for _ in range(repeat):
            shutil.rmtree(out, ignore_errors=True)
            times.append(timed([sys.executable, "-c", OURS, src, out], 1))
        ours = min(times)
        base = timed([sys.executable, "-c", BASE, src, out, os.path.join(tmp, "base")], repeat)
        size = sum(os.path.getsize(os.path.join(src, f)) for f in os.listdir(src)) / 1e6
        line("convert oneroster", {
            "students": 200_000, "enrollments": enrollments, "export": f"{size:.0f}MB",
            "files": len(os.listdir(out)), "ours": f"{ours:.2f}s",
            "whole process": f"{whole.seconds:.2f}s", "peak": f"{whole.peak_mb:.0f}MB",
            "csv.reader+CSafeDumper": f"{base:.2f}s", "ratio": f"{ours / base:.2f}x",
            "target": "<=2x, <2GB",
            "met": "yes" if ours <= 2 * base and whole.peak_mb < 2048 else "NO"})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
