from __future__ import annotations

import plistlib
from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import os_analytics_ad_daily as module
from spyglass.records import Observable
from tests.builders.ios_artifacts_system import addaily_plist
from tests.conftest import run_module

DOMAIN, PATH = "HomeDomain", "Library/Preferences/com.apple.osanalytics.addaily.plist"


def test_os_analytics_ad_daily_normal(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, addaily_plist())
    records = run_module(builder.build(backup_dir), module)
    assert len(records) == 2
    first = records[0]
    assert first.timestamp == datetime(2023, 1, 10, 8, 0, tzinfo=UTC)
    assert first.fields["process_name"] == "com.apple.WebKit.WebContent"
    assert (first.fields["wifi_in"], first.fields["wifi_out"], first.fields["wwan_in"],
            first.fields["wwan_out"]) == (1024, 512, 2048, 256)
    assert first.fields["total_bytes"] == 3840
    assert first.observables == (Observable("process", "com.apple.WebKit.WebContent"),)


def test_os_analytics_ad_daily_process_with_subsystem(builder, backup_dir):
    baseline = {"powerd/com.apple.datausage.diagnostics": (datetime(2022, 9, 12, 17, 6, tzinfo=UTC), 0, 0, 5, 6),
                "BackupAgent": (datetime(2022, 9, 12, 17, 7, tzinfo=UTC), 100, 200, 0, 0)}
    builder.ios_version = "15.7"
    builder.add_file(DOMAIN, PATH, addaily_plist(baseline))
    records = run_module(builder.build(backup_dir), module)
    by_name = {r.fields["process_name"]: r for r in records}
    assert sorted(by_name) == ["BackupAgent", "powerd/com.apple.datausage.diagnostics"]
    assert by_name["powerd/com.apple.datausage.diagnostics"].observables == (
        Observable("process", "powerd/com.apple.datausage.diagnostics"), Observable("process", "powerd"))
    assert by_name["BackupAgent"].fields["baseline_date"] == "2022-09-12T17:07:00Z"


def test_os_analytics_ad_daily_short_entry(builder, backup_dir):
    data = plistlib.dumps({"netUsageBaseline": {"nehelper": [datetime(2023, 1, 1), 7]}}, fmt=plistlib.FMT_BINARY)
    builder.add_file(DOMAIN, PATH, data)
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["wifi_in"] == 7
    assert record.fields["wifi_out"] is None


def test_os_analytics_ad_daily_empty(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, addaily_plist({}))
    assert run_module(builder.build(backup_dir), module) == []


def test_os_analytics_ad_daily_corrupt(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, b"\x00garbage bytes, not a plist\xff")
    with pytest.raises(EvidenceError, match=r"com\.apple\.osanalytics\.addaily\.plist: not a valid plist"):
        run_module(builder.build(backup_dir), module)


def test_os_analytics_ad_daily_missing(builder, backup_dir):
    builder.add_file(DOMAIN, "Library/Preferences/com.apple.other.plist", addaily_plist())
    assert run_module(builder.build(backup_dir), module) == []
