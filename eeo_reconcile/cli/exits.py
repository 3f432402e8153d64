"""How library errors become messages on stderr and exit codes.

Exit codes: 0 success / no changes; 1 error; 2 (plan --detailed-exitcode)
the plan has changes; 3 apply refused by the guard.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from ..errors import ConfigError, EeoError
from .gate import gate
from .view import err

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_GUARD = 0, 1, 2, 3


def handle_errors(fn: F) -> F:
    """Map library errors to messages on stderr and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            gate().at_least(exc.redact)
            err(exc.render())
            sys.exit(EXIT_ERROR)
        except EeoError as exc:
            err(f"Error: {exc}")
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err("Interrupted.")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]
