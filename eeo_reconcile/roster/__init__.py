"""Roster files: who is in which course, as a spreadsheet or an export says.

  columns.py    the contract: columns, their aliases, roles
  model.py      `Roster`: per course, its students, auditors and lesson students
  read.py       CSV (UTF-8, GB18030/GBK, UTF-16) and XLSX files into a `Roster`
  rows.py       the checks of each row, located (file, sheet, row, column)
  importing.py  what importing a roster into the recorded state changes
  write.py      roster CSV out (the sandbox's export)
"""
