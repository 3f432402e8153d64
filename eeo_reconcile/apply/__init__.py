"""Apply: carry out a plan's calls, record every confirmed result as it lands.

  executor.py  parallel courses, the journal, what needs no call
  course.py    one course's calls in order: skips, held removals, the 130 retry
  sending.py   one call: send it, record what it confirmed, count it (the run)
  answers.py   what an answer means: call + answer -> ops, failures, tallies (pure)
  record.py    confirmed answers -> state ops
  result.py    what an apply did
"""

from .executor import apply_plan
from .result import ApplyResult, Failure, Held, Skipped

__all__ = ["ApplyResult", "Failure", "Held", "Skipped", "apply_plan"]
