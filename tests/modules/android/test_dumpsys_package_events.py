from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import dumpsys_package_events
from spyglass.records import Observable
from tests.builders.dumpsys_text import (
    BATTERY,
    dumpstate,
    dumpsys_txt,
    from_androidqf,
    from_bugreport,
    section,
)


def test_dumpsys_package_events_normal_bugreport(tmp_path):
    records = from_bugreport(tmp_path, dumpsys_package_events, dumpstate(section("batterystats", BATTERY)))
    assert [(r.fields["origin"], r.fields["event"], r.fields["package_name"], r.fields["version"]) for r in records] == [
        ("history", "installed", "com.spy.helper", 120034),
        ("history", "uninstalled", "com.old.tool", None),
        ("daily", "updated", "com.spy.helper", 120035),
        ("daily", "updated", "com.facebook.katana", 315814651),   # the repeated line once
        ("daily", "uninstalled", "com.old.tool", None)]
    # RESET:TIME 2024-05-30 10:00:00 local + 1h26m18s, Europe/Paris.
    assert records[0].fields == {"package_name": "com.spy.helper", "event": "installed", "version": 120034,
                                 "origin": "history", "time_local": "2024-05-30 11:26:18",
                                 "time": "2024-05-30T09:26:18Z", "history_time": "+1h26m18s315ms"}
    assert records[0].timestamp == datetime(2024, 5, 30, 9, 26, 18, tzinfo=UTC)
    assert records[0].observables == (Observable("app_id", "com.spy.helper"),)
    assert records[4].fields == {"package_name": "com.old.tool", "event": "uninstalled", "version": None,
                                 "origin": "daily", "period_start_local": "2024-05-31-01-10-00",
                                 "period_end_local": "2024-06-01-01-15-45"}
    assert records[2].fields["period_end_local"] is None


def test_dumpsys_package_events_androidqf_without_zone(tmp_path):
    records = from_androidqf(tmp_path, dumpsys_package_events, dumpsys_txt(section("batterystats", BATTERY)))
    assert len(records) == 5
    assert records[1].fields["time_local"] == "2024-05-31 12:00:00"
    assert records[1].fields["time"] is None
    assert records[1].timestamp is None


def test_dumpsys_package_events_older_uid_formatted_install(tmp_path):
    # Before Android 9 pkginst's value went through the uid formatter.
    body = 'Battery History (1% used):\n   +5m0s000ms (2) 100 pkginst=u0a12:"com.example"\n'
    records = from_bugreport(tmp_path, dumpsys_package_events, dumpstate(section("batterystats", body)))
    assert [(r.fields["event"], r.fields["version"], r.fields["time_local"]) for r in records] == [
        ("installed", None, None)]


def test_dumpsys_package_events_empty_section(tmp_path):
    body = "Battery History (0% used):\n\nDaily stats:\n  Current start time: 2024-06-01-01-15-45\n"
    assert from_androidqf(tmp_path, dumpsys_package_events, dumpsys_txt(section("batterystats", body))) == []


def test_dumpsys_package_events_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"no 'DUMP OF SERVICE' section"):
        from_bugreport(tmp_path, dumpsys_package_events, bytes(range(256)) * 16)
    body = "  Daily from 9999-99-99-99-99-99 to x:\n    Package changes:\n      Update \x00 vers=notanumber\n"
    assert from_androidqf(tmp_path, dumpsys_package_events, dumpsys_txt(section("batterystats", body))) == []
