"""End-to-end harness: a sandbox process, a configuration directory, and the
real `eeo-reconcile` command run as a process, every output kept so tests can
check that no secret or safeKey ever leaks."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from typing import Any

from eeo_reconcile.config.load import load_config
from eeo_reconcile.state import codec
from eeo_reconcile.state.model import State
from tests.sandbox_proc import SECRET, SandboxProc

SCHOOL = """\
school:
  sid: 2339736
  retry: {attempts: 8, backoff_seconds: 0.02, deadline_seconds: 30, read_timeout: 10}
state:
  path: eeo.state.json
"""


class E2E:
    def __init__(self, tmp_path: Any, world: dict[str, Any], *sandbox_options: str,
                 school: str = SCHOOL, dsn: str | None = None, workspace: str | None = None):
        self.tmp = str(tmp_path)
        os.makedirs(os.path.join(self.tmp, "sb"), exist_ok=True)
        self.sb = SandboxProc(os.path.join(self.tmp, "sb"), world, *sandbox_options)
        self.dir = os.path.join(self.tmp, "cfg")
        os.makedirs(self.dir, exist_ok=True)
        self.school = school
        self.state_path = os.path.join(self.dir, "eeo.state.json")
        self.env = {**os.environ, "EEO_SECRET": SECRET, "EEO_API_URL": self.sb.url,
                    "NO_COLOR": "1"}
        self.outputs: list[str] = []
        self.started = time.time()
        self.dsn = dsn
        self.workspace = workspace
        if dsn is not None:
            self.env["EEO_STATE_DSN"] = dsn
            self.school = school.replace(
                "state:\n  path: eeo.state.json\n",
                f"state:\n  backend: postgres\n  dsn_env: EEO_STATE_DSN\n"
                f"  workspace: {workspace}\n")

    def close(self) -> None:
        self.sb.stop()

    def write(self, courses: str) -> None:
        with open(os.path.join(self.dir, "school.yaml"), "w", encoding="utf-8") as fh:
            fh.write(self.school)
        with open(os.path.join(self.dir, "courses.yaml"), "w", encoding="utf-8") as fh:
            fh.write(textwrap.dedent(courses))

    def cli(self, *args: str, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        r = subprocess.run([sys.executable, "-m", "eeo_reconcile", *map(str, args)],
                           capture_output=True, text=True, env=env or self.env, timeout=timeout)
        self.outputs.extend([r.stdout, r.stderr])
        return r

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "eeo_reconcile", *map(str, args)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env or self.env)

    def apply(self, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return self.cli("apply", self.dir, "--auto-approve", *extra, env=env)

    def plan(self, *extra: str) -> subprocess.CompletedProcess:
        return self.cli("plan", self.dir, *extra)

    def plan_json(self) -> dict[str, Any]:
        r = self.plan("--format", "json")
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def state(self) -> State:
        if self.dsn is not None:
            from eeo_reconcile.model import StateRef
            from eeo_reconcile.state.postgres import PostgresStore

            store = PostgresStore(StateRef.of("postgres", workspace=self.workspace),
                                  self.dsn)
            try:
                return store.read()
            finally:
                store.close()
        with open(self.state_path, "rb") as fh:
            return codec.loads(fh.read())

    # -- checks ---------------------------------------------------------------------
    def assert_roster_matches_config(self) -> None:
        config = load_config(self.dir)
        for cid, spec in config.courses.items():
            r = self.sb.roster(cid)
            assert set(r["students"]) == set(spec.students), (cid, r["students"])
            assert {int(k): v for k, v in r["auditors"].items()} == dict(spec.auditors)
            # a lesson student's name is a label, never sent: ClassIn shows its own
            lessons = {int(lid): {int(u): m["custom"] for u, m in members.items()}
                       for lid, members in r["lessons"].items() if members}
            want = {lid: {u: m.custom for u, m in members.items()}
                    for lid, members in spec.lessons.items() if members}
            assert lessons == want, (cid, lessons, want)
            groups = {g["name"]: (int(gid), g["teams"]) for gid, g in r["groups"].items()}
            want_groups = {g.name: [list(t.uids()) for t in g.teams] for g in spec.groups}
            assert {n: t for n, (_, t) in groups.items()} == want_groups, (cid, groups)
            for g in spec.groups:
                if g.id is not None:
                    assert groups[g.name][0] == g.id

    def assert_state_matches_roster(self) -> None:
        st = self.state()
        for cid, rec in st.courses.items():
            r = self.sb.roster(cid)
            assert set(r["students"]) == rec.students, cid
            assert {int(k): v for k, v in r["auditors"].items()} == rec.auditors, cid
            lessons = {int(lid): {int(u): m["custom"] for u, m in members.items()}
                       for lid, members in r["lessons"].items() if members}
            assert lessons == {lid: {u: m.custom for u, m in members.items()}
                               for lid, members in rec.lessons.items() if members}, cid
            groups = {int(gid): (g["name"], g["teams"]) for gid, g in r["groups"].items()}
            assert groups == {g.id: (name, [list(t.uids()) for t in g.teams])
                              for name, g in rec.groups.items()}, cid

    def assert_converged(self) -> None:
        self.assert_roster_matches_config()
        self.assert_state_matches_roster()
        r = self.plan("--detailed-exitcode")
        assert r.returncode == 0 and "No changes." in r.stdout, r.stdout + r.stderr

    def possible_safe_keys(self) -> set[str]:
        now = int(time.time())
        return {hashlib.md5(f"{SECRET}{ts}".encode()).hexdigest()
                for ts in range(int(self.started) - 5, now + 5)}

    def assert_no_secret_leaked(self, extra_files: tuple[str, ...] = ()) -> None:
        texts = list(self.outputs) + list(self.sb.logs)
        for root, _, files in os.walk(self.dir):  # state, journal, backups, plan files
            for f in files:
                with open(os.path.join(root, f), "rb") as fh:
                    texts.append(fh.read().decode("utf-8", "replace"))
        for path in extra_files:
            with open(path, "rb") as fh:
                texts.append(fh.read().decode("utf-8", "replace"))
        keys = self.possible_safe_keys()
        from tests.pg import PASSWORD

        for t in texts:
            assert SECRET not in t
            assert PASSWORD not in t
            for k in keys:
                assert k not in t
