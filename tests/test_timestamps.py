from __future__ import annotations

from datetime import UTC, datetime

from spyglass.records import iso_utc
from spyglass.timestamps import apple_time, to_utc, unix_time, webkit_time

MOMENT = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)


def test_apple_seconds_and_nanoseconds() -> None:
    assert apple_time(646826400) == MOMENT
    assert apple_time(646826400 * 10**9) == MOMENT
    assert apple_time(646826400.5) == MOMENT.replace(microsecond=500000)


def test_unix_magnitudes() -> None:
    assert unix_time(1625133600) == MOMENT
    assert unix_time(1625133600_000) == MOMENT
    assert unix_time(1625133600_000_000) == MOMENT
    assert unix_time(1625133600_000_000_000) == MOMENT


def test_webkit_microseconds() -> None:
    assert webkit_time(13269607200000000) == MOMENT


def test_out_of_range_and_junk_give_none() -> None:
    for value in (0, None, -10**30, 10**30, float("nan"), float("inf"), "abc", b"\xff", [], True):
        assert apple_time(value) is None
        assert unix_time(value) is None
        assert webkit_time(value) is None


def test_iso_and_naive_plist_dates() -> None:
    assert iso_utc(MOMENT) == "2021-07-01T10:00:00Z"
    assert iso_utc(MOMENT.replace(microsecond=5)) == "2021-07-01T10:00:00.000005Z"
    assert to_utc(datetime(2021, 7, 1, 10, 0)) == MOMENT
