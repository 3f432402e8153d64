"""A throwaway PostgreSQL 15 cluster for the tests: initdb + pg_ctl in a temp
directory on a free port (as the `postgres` user when run as root), with a
password-protected role so that DSNs carry a password, as in production."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

PASSWORD = "pg-Pa55word-never-shown"
ROLE = "eeo"


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for ver in ("15", "16", "17", "14"):
        cand = f"/usr/lib/postgresql/{ver}/bin/{name}"
        if os.path.exists(cand):
            return cand
    raise RuntimeError(f"PostgreSQL server binary {name!r} not found")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="eeo-pg-")
        os.chmod(self.root, 0o755)
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        pwfile = os.path.join(self.root, "pw")
        with open(pwfile, "w") as fh:
            fh.write("postgres-superuser-pw\n")
        if self.as_root:
            os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
        self._run([_bin("initdb"), "-D", self.data, "-U", "postgres", "--auth-local=trust",
                   "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
                   "--no-instructions"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as fh:
            fh.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                     f"unix_socket_directories = '{self.root}'\nfsync = on\n"
                     "max_connections = 100\n")
        self.start()
        self.psql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}'")
        self.psql(f"CREATE DATABASE eeo OWNER {ROLE}")

    def _run(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess:
        if self.as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> None:
        self._run([_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.root, "log"),
                   "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        self._run([_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"], check=False)

    def psql(self, sql: str, db: str = "postgres") -> str:
        r = self._run([_bin("psql") if shutil.which("psql") else "psql", "-h", self.root,
                       "-p", str(self.port), "-U", "postgres", "-d", db, "-v",
                       "ON_ERROR_STOP=1", "-Atc", sql])
        return r.stdout

    def dsn(self, db: str = "eeo") -> str:
        return f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{self.port}/{db}"

    def create_db(self, name: str) -> str:
        self.psql(f"CREATE DATABASE {name} OWNER {ROLE}")
        return self.dsn(name)

    def destroy(self) -> None:
        self.stop("immediate")
        for _ in range(20):
            try:
                shutil.rmtree(self.root)
                return
            except OSError:  # pragma: no cover - files still being closed
                time.sleep(0.1)
