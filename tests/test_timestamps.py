from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import timezone as _tz

import pytest

from spyglass.modules.android.android_tombstones import _crash_time
from spyglass.modules.ios.crash_reports import _ips_time as crash_time
from spyglass.modules.ios.device_identity import _moment
from spyglass.modules.ios.os_update_history import _header_time
from spyglass.modules.ios.spindump import _time as spindump_time
from spyglass.records import iso_utc
from spyglass.timestamps import (
    apple_time,
    local_to_utc,
    named_zone,
    to_utc,
    unix_time,
    utc_offset,
    webkit_time,
)

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


# -- time zones from the evidence: one parser for every module, absurd ones refused --------------



@pytest.mark.parametrize(("text", "hours"), [("Z", 0), ("+0200", 2), ("-05:00", -5), ("+14", 14), ("-1200", -12),
                                             ("+0530", 5.5)])
def test_utc_offset_real_offsets(text, hours):
    assert utc_offset(text) == _tz(timedelta(hours=hours))


@pytest.mark.parametrize("text", ["+9900", "-2400", "+1401", "+0260", "+02:0", "0200", "", None, 200, "+02:00x"])
def test_utc_offset_absurd_or_malformed_is_none(text):
    assert utc_offset(text) is None


def test_named_zone_real_and_hostile_names():
    assert str(named_zone("America/Argentina/Buenos_Aires")) == "America/Argentina/Buenos_Aires"
    for name in ("../../etc/passwd", "/etc/localtime", "Nowhere/Land", "A" * 100, "Europe/Paris\x00", "", None):
        assert named_zone(name) is None, name


def test_local_to_utc_bounds():
    assert local_to_utc(datetime(2024, 1, 1, 10), utc_offset("+0200")) == datetime(2024, 1, 1, 8, tzinfo=UTC)
    assert local_to_utc(datetime(2024, 7, 1, 12), named_zone("Europe/Paris")) == datetime(2024, 7, 1, 10, tzinfo=UTC)
    assert local_to_utc(datetime(2024, 1, 1), None) is None
    assert local_to_utc(datetime(1, 1, 1), utc_offset("+1400")) is None       # before year 1 in UTC: no overflow
    assert local_to_utc(datetime(1980, 1, 1), UTC) is None


@pytest.mark.parametrize("zone", ["+9900", "-2400", "+1460", "+2359"])
def test_every_module_time_parser_refuses_absurd_zones(zone):
    assert crash_time(f"2021-10-02 09:11:05.00 {zone}") is None
    assert spindump_time(f"2021-10-02 09:11:05.000 {zone}") is None
    assert _moment("2021", "10", "02", "09", "11", "05", zone[0], zone[1:3], zone[3:5]) is None
    assert _header_time(f"2021-10-02 09:11:05.00 {zone}") is None
    assert _crash_time(f"2021-10-02 09:11:05.123456789{zone}") is None


def test_every_module_time_parser_reads_a_real_zone():
    expected = datetime(2021, 10, 2, 7, 11, 5, tzinfo=UTC)
    assert crash_time("2021-10-02 09:11:05 +0200") == expected
    assert spindump_time("2021-10-02 09:11:05 +0200") == expected
    assert _moment("2021", "10", "02", "09", "11", "05", "+", "02", "00") == expected
    assert _header_time("2021-10-02 09:11:05 +0200") == expected
    assert _crash_time("2021-10-02 09:11:05.000000000+0200") == expected
