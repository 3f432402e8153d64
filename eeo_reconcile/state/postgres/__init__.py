"""The PostgreSQL state backend (psycopg 3): shared state for teams and CI fleets.

  schema.py   tables, their versions and migrations, the member kinds
  conn.py     one connection per store, errors scrubbed of the DSN
  locker.py   the per-workspace advisory lock (a `Locker`)
  sql.py      the state as rows: read it, replace it
  store.py    `PostgresDriver` (snapshot, journal lines, history) under the shared
              `state.driver.DriverStore`
  backend.py  `state: {backend: postgres, ...}`, registered on import
"""

from .backend import PostgresBackend
from .store import PostgresDriver, PostgresStore

__all__ = ["PostgresBackend", "PostgresDriver", "PostgresStore"]
