"""The `eeo-reconcile` command line: a thin click layer over the library.

  entry.py     the process entry point (the only place that tunes the process)
  app.py       the command group, errors -> messages and exit codes
  options.py   the option stacks the commands share
  commands.py  validate, plan, apply, show
  roster.py    import (roster files into the state)
  convert.py   convert oneroster / convert csv (a source of truth into YAML)
  state.py     state list/show/rm/pull/push/migrate, force-unlock
  sandbox.py   the local ClassIn
  view.py      what people see: colours, the progress bar, the apply summary
"""

from .app import main
from .entry import run

__all__ = ["main", "run"]
