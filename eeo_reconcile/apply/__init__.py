"""Apply: carry out a plan's calls, record every confirmed result as it lands.

  executor.py  parallel courses, ordered calls, the journal
  record.py    confirmed answers -> state ops
  result.py    what an apply did
"""

from .executor import apply_plan
from .result import ApplyResult, Failure, Skipped

__all__ = ["ApplyResult", "Failure", "Skipped", "apply_plan"]
