"""convert: the school's source of truth -> roster YAML, for nightly sync pull requests.

  oneroster.py  OneRoster 1.1 bulk CSV -> courses (who is which uid, what is current)
  tables.py     CSV files with named columns and located problems
  model.py      converted courses and the report (what was left out, and why)
  yamlout.py    deterministic YAML, marked as generated
  output.py     writing the files: atomic, never over a hand-kept file, --prune
  run.py        convert_oneroster, convert_csv

A new input source is a reader that returns `ConvertedCourse`s and a
`ConvertReport`, plus a function in run.py and a subcommand in cli/convert.py.
"""

from .model import ConvertedCourse, ConvertReport
from .oneroster import OneRosterOptions
from .run import convert_csv, convert_oneroster

__all__ = ["ConvertReport", "ConvertedCourse", "OneRosterOptions", "convert_csv",
           "convert_oneroster"]
