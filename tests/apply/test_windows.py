"""Teaching hours: when a window is open, when the next opens."""

import datetime as dt

from eeo_reconcile.apply.windows import is_open, next_open

WEEKDAY_EVENINGS = ((frozenset(range(5)), "18:00", "22:00"),)


def _at(text):
    return dt.datetime.fromisoformat(text)


def test_a_window_is_open_in_the_schools_time_zone_only():
    # Monday 2026-12-07 19:00 in Shanghai is 11:00 UTC
    assert is_open(WEEKDAY_EVENINGS, "Asia/Shanghai", _at("2026-12-07T11:00:00+00:00"))
    assert not is_open(WEEKDAY_EVENINGS, "Asia/Shanghai", _at("2026-12-07T19:00:00+00:00"))
    assert not is_open(WEEKDAY_EVENINGS, "Europe/London", _at("2026-12-07T11:00:00+00:00"))
    assert not is_open(WEEKDAY_EVENINGS, "Asia/Shanghai",  # 22:00 closes
                       _at("2026-12-07T14:00:00+00:00"))


def test_the_next_window_skips_the_weekend():
    # Friday 2026-12-11 23:00 in Shanghai: the next opens Monday 18:00
    got = next_open(WEEKDAY_EVENINGS, "Asia/Shanghai", _at("2026-12-11T15:00:00+00:00"))
    assert got is not None and got.isoformat() == "2026-12-14T18:00:00+08:00"
    assert next_open((), "Asia/Shanghai", _at("2026-12-11T15:00:00+00:00")) is None
