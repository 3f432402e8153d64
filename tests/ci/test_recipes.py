"""The CI recipes, run as written: each workflow's shell steps in order against
the sandbox and a throwaway PostgreSQL, with stand-ins for `gh` and `curl`
that record what would have been posted. The install steps are skipped (the
package is installed here already); everything else runs.

Also: the Dockerfile and the pre-commit hook file name commands and files
that exist."""

import json
import os
import re
import shutil
import subprocess
import sys
import uuid

import pytest
import yaml

from tests.ci.stand_ins import CURL, GH
from tests.e2e import E2E
from tests.end_to_end.test_reviewer import OTHERS
from tests.sandbox_proc import SECRET, world_doc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CI = os.path.join(ROOT, "examples", "ci")
MARKER = "<!-- eeo-reconcile plan -->"
PLAN_KEY = "recipe-plan-key-0123456789abcdef"


def _world():
    w = world_doc()
    w["students"] = {u: f"S{u}" for u in [*OTHERS, 3000198, 3000199]}
    w["courses"] = [{"id": 442447, "capacity": 100}]
    return w


def _rosters(students, workspace):
    items = "\n".join(f"      - {{uid: {u}, name: Kid {u}}}" for u in students)
    return {
        "school.yaml": f"school:\n  sid: 2339736\n  retry: {{attempts: 4, backoff_seconds: "
                       f"0.02}}\nstate:\n  backend: postgres\n  dsn_env: EEO_STATE_DSN\n"
                       f"  workspace: {workspace}\n",
        "courses.yaml": f"courses:\n  - id: 442447\n    name: Algebra I\n    students:\n"
                        f"{items}\n",
    }


class Runner:
    """A checkout with rosters/, the stand-ins on PATH, and the environment a CI
    system would give."""

    def __init__(self, tmp, e, dsn):
        self.dir = tmp / "checkout"
        self.bin = tmp / "bin"
        self.temp = tmp / "runner-temp"
        for d in (self.dir / "rosters", self.bin, self.temp):
            d.mkdir(parents=True)
        for name, code in (("gh", GH), ("curl", CURL)):
            (self.bin / name).write_text(code)
            os.chmod(self.bin / name, 0o755)
        self.state = tmp / "stand-in.json"
        self.workspace = "ci-" + uuid.uuid4().hex[:8]
        self.secrets = {"EEO_SECRET": SECRET, "EEO_STATE_DSN": dsn}
        self.base = {
            "PATH": f"{self.bin}:{os.path.dirname(sys.executable)}:/usr/bin:/bin",
            "HOME": str(tmp), "STAND_IN_STATE": str(self.state),
            "EEO_API_URL": e.sb.url,  # the sandbox, where ClassIn would be
        }

    def write(self, students):
        for name, text in _rosters(students, self.workspace).items():
            (self.dir / "rosters" / name).write_text(text)

    def comments(self):
        return json.loads(self.state.read_text())["comments"] if self.state.exists() else []

    def run_script(self, script, env, shell=("bash", "--noprofile", "--norc", "-eo",
                                              "pipefail", "-c")):
        assert "${{" not in script, "a run step must not expand expressions itself"
        return subprocess.run([*shell, script], cwd=self.dir, env=env, capture_output=True,
                              text=True, timeout=300)


def _expand(value, ctx):
    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: str(ctx[m.group(1)]), str(value))


def run_github_job(r, workflow, job, ctx):
    with open(os.path.join(CI, "github", workflow), encoding="utf-8") as fh:
        wf = yaml.safe_load(fh)
    spec = wf["jobs"][job]
    env = {**r.base, **{k: _expand(v, ctx) for k, v in spec.get("env", {}).items()},
           "GITHUB_REPOSITORY": "school/rosters", "RUNNER_TEMP": str(r.temp),
           "GITHUB_OUTPUT": str(r.temp / "output")}
    results = []
    failed = False
    for step in spec["steps"]:
        if "uses" in step or step.get("id") == "install":
            continue
        cond = str(step.get("if", ""))
        if failed and "always()" not in cond:
            continue
        if not _holds(cond, r.temp / "output"):
            continue
        step_env = {**env, **{k: _expand(v, ctx) for k, v in step.get("env", {}).items()}}
        p = r.run_script(step["run"], step_env)
        results.append((step.get("name", step.get("id")), p))
        failed = failed or p.returncode != 0
    return not failed, results


def _holds(cond, outputs):
    """A step's `if:` as the recipes write it: always(), or steps.ID.outputs.NAME ==
    'VALUE' (the outputs steps wrote to $GITHUB_OUTPUT; the last value wins)."""
    if not cond or cond == "always()":
        return True
    m = re.fullmatch(r"steps\.[\w-]+\.outputs\.(\w+) == '([^']*)'", cond.strip())
    assert m, f"a step condition the test runner does not know: {cond}"
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines()
                  if "=" in line) if outputs.exists() else {}
    return values.get(m.group(1)) == m.group(2)


def run_gitlab_job(r, job, ctx):
    with open(os.path.join(CI, "gitlab-ci.yml"), encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    spec = {**doc[".eeo"], **doc[job]}
    env = {**r.base, **{k: str(v) for k, v in doc["variables"].items()}, **ctx}
    lines = [x for x in spec["before_script"] if "pip install" not in x] + spec["script"]
    p = r.run_script("set -e\n" + "\n".join(lines), env, shell=("bash", "-c"))
    return p.returncode == 0, p


@pytest.fixture
def setup(tmp_path, pg):
    e = E2E(tmp_path, _world())
    r = Runner(tmp_path, e, pg.dsn())
    yield e, r
    e.close()


def _plan_markdown(r, env_extra=None):
    env = {**r.base, **r.secrets, "EEO_REDACT": "names", **(env_extra or {})}
    p = subprocess.run([sys.executable, "-m", "eeo_reconcile", "plan", "rosters", "--format",
                        "markdown"], cwd=r.dir, env=env, capture_output=True, text=True)
    return p.stdout


def test_github_recipes_comment_once_update_in_place_and_apply(setup):
    e, r = setup
    ctx = {"secrets.EEO_SECRET": SECRET, "secrets.EEO_STATE_DSN": r.secrets["EEO_STATE_DSN"],
           "secrets.EEO_PLAN_KEY": PLAN_KEY, "github.token": "ghs_test",
           "github.event.pull_request.number": 7}
    r.write(OTHERS)
    ok, results = run_github_job(r, "eeo-plan.yml", "plan", ctx)
    assert ok, [(n, p.stdout + p.stderr) for n, p in results]
    assert any("signed with $EEO_PLAN_KEY" in p.stderr for _, p in results)  # no secret
    (c,) = r.comments()
    assert c["body"] == MARKER + "\n" + _plan_markdown(r)  # the plan, as it is
    assert "+10 -0 ~0" in c["body"]
    assert "changes=true" in (r.temp / "output").read_text()
    # a second push: the same comment, edited
    r.write([*OTHERS, 3000198])
    ok, _ = run_github_job(r, "eeo-plan.yml", "plan", ctx)
    assert ok
    (c2,) = r.comments()
    assert c2["id"] == c["id"] and "+11 -0 ~0" in c2["body"]
    assert not list(r.temp.glob("*.plan"))  # the unredacted saved plan is not left behind
    # merged: the apply job
    ok, results = run_github_job(r, "eeo-apply.yml", "apply", ctx)
    assert ok, [(n, p.stdout + p.stderr) for n, p in results]
    assert set(e.sb.roster(442447)["students"]) == {*OTHERS, 3000198}
    report = json.loads((r.temp / "apply-report.json").read_text())
    assert report["ok"] and report["members"]["added"] == 11
    assert "Kid 3000101" not in json.dumps([p.stdout + p.stderr for _, p in results])
    # a pull request that removes most of the course: the check fails (the guard)
    r.write(OTHERS[:2])
    ok, results = run_github_job(r, "eeo-plan.yml", "plan", ctx)
    assert not ok and "trips the guard" in results[-1][1].stderr
    assert "Guard: apply will refuse" in r.comments()[0]["body"].replace("&#58;", ":")


def test_gitlab_recipe_notes_once_updates_in_place_and_applies(setup):
    e, r = setup
    ctx = {"EEO_SECRET": SECRET, "EEO_STATE_DSN": r.secrets["EEO_STATE_DSN"],
           "EEO_PLAN_KEY": PLAN_KEY, "GITLAB_TOKEN": "glpat-test", "CI_API_V4_URL": "https://gitlab.example/api/v4",
           "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "7"}
    r.write(OTHERS)
    ok, p = run_gitlab_job(r, "eeo-plan", ctx)
    assert ok, p.stdout + p.stderr
    (c,) = r.comments()
    assert c["body"] == MARKER + "\n" + _plan_markdown(r)
    r.write([*OTHERS, 3000199])
    ok, p = run_gitlab_job(r, "eeo-plan", ctx)
    assert ok, p.stdout + p.stderr
    (c2,) = r.comments()
    assert c2["id"] == c["id"] and "+11 -0 ~0" in c2["body"]
    ok, p = run_gitlab_job(r, "eeo-apply", ctx)
    assert ok, p.stdout + p.stderr
    assert set(e.sb.roster(442447)["students"]) == {*OTHERS, 3000199}
    assert json.loads((r.dir / "apply-report.json").read_text())["ok"]
    # a merge request that removes most of the course: the check fails (plan exit 3)
    r.write(OTHERS[:2])
    ok, p = run_gitlab_job(r, "eeo-plan", ctx)
    assert not ok and "trips the guard" in p.stderr


def _scripts():
    """The console scripts pyproject.toml installs (read without tomllib: 3.10)."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as fh:
        text = fh.read()
    table = text.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([\w.-]+)\s*=", table, re.M))


INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK",
                "SHELL"}


def test_the_dockerfile_names_files_and_commands_that_exist():
    with open(os.path.join(ROOT, "Dockerfile"), encoding="utf-8") as fh:
        text = fh.read()
    logical = re.sub(r"\\\n", " ", text)
    lines = [x.strip() for x in logical.splitlines() if x.strip() and not x.startswith("#")]
    seen = []
    for line in lines:
        word = line.split()[0]
        assert word in INSTRUCTIONS, line
        seen.append(word)
        if word == "COPY":
            for src in line.split()[1:-1]:
                assert os.path.exists(os.path.join(ROOT, src)), src
        if word == "ENTRYPOINT":
            assert json.loads(line[len("ENTRYPOINT"):])[0] in _scripts()
        if word == "USER":
            assert line.split()[1] not in ("root", "0")
    assert seen[0] == "FROM" and "USER" in seen
    with open(os.path.join(ROOT, ".dockerignore"), encoding="utf-8") as fh:
        ignore = [x.strip() for x in fh if x.strip() and not x.startswith("#")]
    assert ignore[0] == "*"  # only what is let back in: never a state, plan or roster
    for kept in (x[1:] for x in ignore if x.startswith("!")):
        assert os.path.exists(os.path.join(ROOT, kept)), kept


def test_the_pre_commit_hook_runs_a_command_that_exists(tmp_path):
    with open(os.path.join(ROOT, ".pre-commit-hooks.yaml"), encoding="utf-8") as fh:
        hooks = yaml.safe_load(fh)
    (hook,) = hooks
    assert {"id", "name", "entry", "language", "files"} <= hook.keys()
    argv = hook["entry"].split()
    assert argv[0] in _scripts() and re.compile(hook["files"]).search("rosters/a.yaml")
    # as pre-commit runs it: the changed files appended
    shutil.copytree(os.path.join(ROOT, "examples", "school"), tmp_path / "rosters",
                    ignore=shutil.ignore_patterns("eeo.state.json*"))
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "ci.yml").write_text("on: push\n")
    changed = [str(tmp_path / "rosters" / "algebra.yaml"), str(tmp_path / ".github" / "ci.yml")]
    p = subprocess.run([sys.executable, "-m", "eeo_reconcile", *argv[1:], *changed],
                       capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0 and p.stdout.count("Valid:") == 1, p.stdout + p.stderr
    (tmp_path / "rosters" / "algebra.yaml").write_text("courses: [{id: x}]\n")
    p = subprocess.run([sys.executable, "-m", "eeo_reconcile", *argv[1:], *changed],
                       capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 1 and "algebra.yaml:1:" in p.stderr
