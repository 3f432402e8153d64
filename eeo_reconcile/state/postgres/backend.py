"""`state: {backend: postgres, dsn_env: VAR, workspace: NAME}`; `--state-dsn` and
`--workspace` select it. The DSN comes from `--state-dsn` or the variable the
ref names, and is never stored in the ref."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import StateError
from ...model import StateRef
from ..registry import Overrides, register
from ..store import StateStore
from .store import DEFAULT_DSN_ENV, DEFAULT_WORKSPACE, PostgresStore


class PostgresBackend:
    name = "postgres"
    overrides: tuple[str, ...] = ("dsn", "workspace")
    flags = "--state-dsn/--workspace"
    left_as_is = "The workspace was left as it was."

    def config_block(self, ref: StateRef, base_dir: str) -> dict[str, str]:
        return {"backend": self.name, **dict(ref.options)}

    def ref_from_config(self, block: Mapping[str, Any], base_dir: str) -> StateRef:
        return StateRef.of(self.name, dsn_env=str(block.get("dsn_env", DEFAULT_DSN_ENV)),
                           workspace=str(block.get("workspace", DEFAULT_WORKSPACE)))

    def default_ref(self, base_dir: str) -> StateRef:
        return StateRef.of(self.name, dsn_env=DEFAULT_DSN_ENV, workspace=DEFAULT_WORKSPACE)

    def with_overrides(self, ref: StateRef, overrides: Overrides) -> StateRef:
        workspace = overrides.get("workspace")
        return ref.with_options(workspace=workspace) if workspace else ref

    def open(self, ref: StateRef, env: Mapping[str, str], overrides: Overrides) -> StateStore:
        dsn_env = ref.get("dsn_env") or DEFAULT_DSN_ENV
        dsn = overrides.get("dsn") or env.get(dsn_env)
        if not dsn:
            raise StateError(
                f"the postgres state backend needs a connection string: set the environment "
                f"variable {dsn_env} (or pass --state-dsn)"
            )
        return PostgresStore(ref, dsn)


register(PostgresBackend())
