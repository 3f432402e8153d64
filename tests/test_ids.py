"""What an id is: positive, and within ClassIn's signed 64 bits, however written."""

import pytest

from eeo_reconcile.ids import MAX_ID, as_id


@pytest.mark.parametrize("value, expected", [
    (1, 1), ("42", 42), (" 42 ", 42), (12.0, 12), (MAX_ID, MAX_ID), (str(MAX_ID), MAX_ID),
    (MAX_ID + 1, None), (str(MAX_ID + 1), None), ("9" * 40, None), ("9" * 5000, None),
    (float(2 ** 64), None), (0, None), ("0", None), (-3, None), (True, None), ("1e3", None),
    ("١٢", None), (None, None),
])
def test_as_id(value, expected):
    assert as_id(value) == expected
