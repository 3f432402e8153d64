"""The exception hierarchy: one root class, one subclass per kind of failure.

The library raises these and never prints; the CLI maps them to exit codes.
Messages are complete sentences meant for the user, and never carry a secret.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class EeoError(Exception):
    """Root of every error eeo-reconcile raises on purpose."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a user's file; line and column are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in the user's configuration: where, what, and how to fix it."""

    location: Location | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}error: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        if loc is None:
            return ("", 0, 0, self.message)
        return (loc.file, loc.line, loc.column, self.message)


class ConfigError(EeoError):
    """The configuration is invalid; carries every diagnostic found in the run."""

    SHOWN = 100  # render() prints at most this many, then says how many more there are

    def __init__(self, diagnostics: Iterable[Diagnostic], redact: str | None = None):
        self.diagnostics: Sequence[Diagnostic] = sorted(diagnostics, key=Diagnostic.sort_key)
        self.redact = redact  # school.privacy.redact, when the school block could be read
        n = len(self.diagnostics)
        super().__init__(f"{n} error{'s' if n != 1 else ''} in the configuration")

    def render(self, limit: int | None = None) -> str:
        limit = self.SHOWN if limit is None else limit
        lines = [str(d) for d in self.diagnostics[:limit]]
        n = len(self.diagnostics)
        if n > limit:
            lines.append(f"... and {n - limit} more error{'s' if n - limit != 1 else ''} "
                         "not shown (fix these first).")
        lines.append(f"{n} error{'s' if n != 1 else ''} found.")
        return "\n".join(lines)


class StateError(EeoError):
    """The recorded state cannot be read, written or trusted."""


class LockError(EeoError):
    """The state lock could not be taken (or released)."""

    def __init__(self, message: str, info: object | None = None):
        super().__init__(message)
        self.info = info


class PlanFileError(EeoError):
    """A saved plan file is unreadable, altered, or stale."""


class SafetyError(EeoError):
    """The plan trips the guard (mass removals, likely uid typos) and was not allowed."""

    exit_code = 3


class ApplyRefused(EeoError):
    """Apply would not start (no terminal to confirm, user said no, ...)."""


class ApiError(EeoError):
    """A ClassIn call failed in a way that stops the run (auth, bug, transport)."""
