"""Who changed the rosters, from which configuration commit, in which CI run.

Recorded with every history entry (`state.history`). CI systems say who and
where through their environment (GitHub Actions, GitLab CI); elsewhere it is
the user and the host, and the commit comes from `git rev-parse HEAD` in the
configuration directory.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Provenance:
    operation: str  # apply, import, state rm, state push, state migrate, force-unlock
    who: str
    commit: str | None = None
    run: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.operation, "who": self.who, "commit": self.commit,
                "run": self.run}

    @classmethod
    def from_json(cls, d: Any) -> Provenance | None:
        if not isinstance(d, dict):
            return None
        fields = [d.get(k) for k in ("operation", "who", "commit", "run")]
        if not all(v is None or isinstance(v, str) for v in fields) or not fields[0]:
            return None
        return cls(fields[0], fields[1] or "unknown", fields[2], fields[3])


def who(env: Mapping[str, str]) -> str:
    if env.get("GITHUB_ACTOR"):
        return f"{env['GITHUB_ACTOR']} (GitHub Actions)"
    if env.get("GITLAB_USER_LOGIN"):
        return f"{env['GITLAB_USER_LOGIN']} (GitLab CI)"
    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name and no passwd database (containers)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def commit(directory: str | None, env: Mapping[str, str]) -> str | None:
    for var in ("GITHUB_SHA", "CI_COMMIT_SHA"):
        if env.get(var):
            return env[var][:64]
    if directory is None:
        return None
    import subprocess  # only when there is a directory to ask git about

    try:
        r = subprocess.run(["git", "-C", directory, "rev-parse", "HEAD"], capture_output=True,
                           text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = r.stdout.strip()
    return sha if r.returncode == 0 and sha and len(sha) <= 64 else None


def run_url(env: Mapping[str, str]) -> str | None:
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    return env.get("CI_JOB_URL") or None


def detect(operation: str, directory: str | None = None,
           env: Mapping[str, str] | None = None) -> Provenance:
    environ = os.environ if env is None else env
    return Provenance(operation, who(environ), commit(directory, environ), run_url(environ))
