"""Start the sandbox as a separate process (real HTTP) and talk to it signed."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

import requests
import yaml

SID = 2339736
SECRET = "sandbox-secret"


def world_doc(**overrides: Any) -> dict[str, Any]:
    students = {u: f"S{u}" for u in range(1, 61)}
    students.update({1001001: "小丫", 1001002: "小白", 1000152: "L", 1000109: "M",
                     1000101: "N", 1000100: "O", 12234: "Li Lei"})
    doc = {
        "school": {"sid": SID, "secret": SECRET},
        "students": students,
        "teachers": [9001, 9002, 9003],
        "cancelled": [1999],
        # registered accounts: a school student, a registered non-student, a teacher,
        # a cancelled account, an email
        "accounts": {"13800000001": 1, "13800000070": 70, "13800009001": 9001,
                     "13800001999": 1999, "kid@example.cn": 71},
        "courses": [
            {"id": 442447, "teachers": [9001, 9003], "head_teacher": 9002, "capacity": 6,
             "status": "active", "students": [1], "auditors": {2: "Two"},
             "lessons": [
                 {"id": 1419691, "status": "upcoming", "capacity": 4, "co_teachers": [9005],
                  "students": {3: {"name": "Three", "custom": "c3"}}},
                 {"id": 1419692, "status": "finished"},
                 {"id": 1419693, "status": "deleted"},
                 {"id": 1419694, "status": "client"},
             ],
             "groups": [{"id": 139, "name": "课程分组", "teams": [[1]]}]},
            {"id": 500001, "status": "expired", "students": [1],
             "lessons": [{"id": 7001}]},
            {"id": 500002, "status": "deleted", "students": [1]},
            {"id": 500003, "status": "public", "students": [1]},
            {"id": 500004, "lessons": [{"id": 7004}], "students": []},
            {"id": 176465, "students": [1000152, 1000109, 1000101, 1000100],
             "groups": [{"id": 140, "name": "old", "teams": [[1000152]]}]},
            {"id": 523689, "lessons": [{"id": 1419695}]},
            {"id": 490583, "students": [1001001]},
        ],
    }
    doc.update(overrides)
    return doc


def sign(ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    return {"SID": str(SID), "timeStamp": str(ts),
            "safeKey": hashlib.md5(f"{secret}{ts}".encode()).hexdigest()}


class SandboxProc:
    def __init__(self, tmp_dir: str, world: dict[str, Any] | None = None, *options: str):
        self.world_path = None
        argv = [sys.executable, "-m", "eeo_reconcile", "sandbox", "--port", "0", *options]
        if world is not None:
            self.world_path = os.path.join(tmp_dir, "world.yaml")
            with open(self.world_path, "w", encoding="utf-8") as fh:
                yaml.safe_dump(world, fh, allow_unicode=True)
            argv += ["--world", self.world_path]
        self.proc = subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True)
        self.logs: list[str] = []
        first = self.proc.stderr.readline()
        self.logs.append(first)
        if "listening on " not in first:
            rest = self.proc.stderr.read()
            raise RuntimeError(f"sandbox did not start: {first}{rest}")
        self.url = first.split("listening on ")[1].split()[0]
        self._drain = threading.Thread(target=self._read_logs, daemon=True)
        self._drain.start()
        self.session = requests.Session()

    def _read_logs(self) -> None:
        for line in self.proc.stderr:
            self.logs.append(line)

    def stop(self) -> None:
        self.session.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.proc.kill()
            self.proc.wait()

    # -- API -----------------------------------------------------------------
    def post_raw(self, action: str | None, body: str | bytes | dict,
                 timeout: float = 10) -> requests.Response:
        url = f"{self.url}/partner/api/course.api.php"
        if action is not None:
            url += f"?action={action}"
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.session.post(url, data=body, headers=headers, timeout=timeout)

    def call(self, action: str, signed: dict[str, str] | None = None, **params: Any) -> dict:
        form = dict(signed if signed is not None else sign())
        for k, v in params.items():
            form[k] = json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else str(v)
        return self.post_raw(action, form).json()

    def school(self) -> dict:
        """The school's students and the registered accounts."""
        return requests.get(f"{self.url}/_sandbox/school", timeout=10).json()

    def roster(self, course_id: int) -> dict:
        return self.session.get(f"{self.url}/_sandbox/courses/{course_id}", timeout=10).json()

    def stats(self) -> dict:
        return self.session.get(f"{self.url}/_sandbox/stats", timeout=10).json()

    def reset(self) -> None:
        self.session.post(f"{self.url}/_sandbox/reset", timeout=10).raise_for_status()
