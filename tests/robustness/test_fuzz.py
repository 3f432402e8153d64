"""Hostile input is normal input: seeded mutants of every file a pull request could
plant are read or refused with the library's own error, never a traceback."""

import pytest

from tests.robustness.fuzz import KINDS


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_mutants_are_read_or_refused_cleanly(kind):
    tally = KINDS[kind](250)
    assert tally.tried == 250
    assert not tally.findings, tally.findings[0]
    assert tally.refused > 0 or tally.lenient  # the mutations do break things
