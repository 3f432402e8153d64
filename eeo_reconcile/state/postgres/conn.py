"""One connection to the state database, shared by a store's threads.

The connection string may carry a password: it is never stored in the ref,
shown by `describe()`, nor left in any message (`Scrubber`). Once the store
holds its lock, a lost connection is an error, never a silent reconnect: the
session-level advisory lock went away with it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

from ...errors import StateError


def psycopg_module() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency; guard for odd installs
        raise StateError(
            "the postgres state backend needs psycopg 3: pip install 'psycopg[binary]'"
        ) from None
    return psycopg


class Scrubber:
    """Removes the DSN's password (and the DSN itself) from any text."""

    def __init__(self, dsn: str):
        self.secrets: list[str] = [dsn]
        try:
            from psycopg.conninfo import conninfo_to_dict

            pw = conninfo_to_dict(dsn).get("password")
            if pw:
                self.secrets.append(str(pw))
        except Exception:  # unparsable DSN: psycopg will say so; keep the whole DSN out
            pass
        m = re.search(r"://[^:/@]*:([^@]*)@", dsn)
        if m and m.group(1):
            self.secrets.append(m.group(1))
            self.secrets.append(unquote(m.group(1)))

    def __call__(self, text: str) -> str:
        for s in sorted(set(self.secrets), key=len, reverse=True):
            if s:
                text = text.replace(s, "***")
        return text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Connection:
    """A lazily opened autocommit connection; `use()` maps errors to StateError."""

    def __init__(self, dsn: str, describe: str, connect_timeout: float = 10.0):
        self._dsn = dsn
        self.describe = describe
        self.scrub = Scrubber(dsn)
        self._connect_timeout = connect_timeout
        self._conn: Any = None
        self.lock_held = False
        self._io = threading.RLock()

    @contextmanager
    def use(self, doing: str) -> Iterator[Any]:
        psycopg = psycopg_module()
        try:
            with self._io:
                if self._conn is None or self._conn.closed:
                    if self.lock_held:
                        raise StateError(
                            f"lost the connection to the state database ({self.describe}) "
                            "while holding its lock; the lock is gone with it. Everything "
                            "recorded before is kept: run plan again."
                        )
                    self._conn = psycopg.connect(
                        self._dsn, autocommit=True, connect_timeout=int(self._connect_timeout),
                        application_name="eeo-reconcile",
                    )
                yield self._conn
        except StateError:
            raise
        except psycopg.Error as exc:
            if self._conn is not None and self._conn.closed and self.lock_held:
                text = self.scrub(str(exc).strip().splitlines()[0] if str(exc) else "")
                raise StateError(
                    f"lost the connection to the state database ({self.describe}) during "
                    f"{doing}: {text}. Everything recorded before is kept; run plan again "
                    "when it is back."
                ) from None
            raise StateError(
                f"PostgreSQL state ({self.describe}): {doing} failed: "
                f"{self.scrub(_first_line(exc))}"
            ) from None

    def close(self) -> None:
        with self._io:
            if self._conn is not None and not self._conn.closed:
                try:
                    self._conn.close()
                except Exception:  # noqa: S110 - closing a broken connection
                    pass
            self._conn = None
            self.lock_held = False
