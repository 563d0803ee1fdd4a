from __future__ import annotations

from spyglass.heuristics import crash_reporter_disabled
from spyglass.records import Observable, Record

PATH = "Library/Preferences/com.apple.CrashReporter.plist"


def _prefs(keys, unexpected=(), disabling=()):
    return Record(timestamp=None, timestamp_desc="", message="", module="crash_reporter_prefs",
                  source=f"RootDomain/{PATH}",
                  fields={"keys": list(keys), "unexpected_keys": list(unexpected), "disabling_keys": list(disabling),
                          "unexpected_values": {}})


def _manifest(domain="RootDomain", relative_path=PATH, kind="file"):
    return Record(timestamp=None, timestamp_desc="file modified", message="", module="manifest", source="Manifest.db",
                  fields={"domain": domain, "relative_path": relative_path, "kind": kind,
                          "modified": "2021-07-01T10:00:00Z"})


def test_crash_reporter_disabled_high():
    record = _prefs(["DisableCrashReporting", "defTS"], ["DisableCrashReporting"], ["DisableCrashReporting"])
    (found,) = crash_reporter_disabled.check({"crash_reporter_prefs": [record], "manifest": [_manifest()]})
    assert found.severity == "high"
    assert found.observable == Observable("file_name", "com.apple.CrashReporter.plist")
    assert found.message == ("The crash reporter settings turn crash reports off (DisableCrashReporting), "
                             "as Pegasus spyware did to hide its traces")


def test_crash_reporter_disabled_unexpected_keys_low():
    (found,) = crash_reporter_disabled.check({"crash_reporter_prefs": [_prefs(["Odd"], ["Odd"])], "manifest": []})
    assert found.severity == "low"
    assert "(Odd)" in found.message


def test_crash_reporter_disabled_unreadable_file_low():
    (found,) = crash_reporter_disabled.check({"crash_reporter_prefs": [], "manifest": [_manifest()]})
    assert found.severity == "low"
    assert found.message.startswith("A crash reporter settings file is in the backup (RootDomain)")


def test_crash_reporter_disabled_normal_device():
    normal = _prefs(["ExcResourceDiagInfo_geod", "NANDTaskScheduler_Priority", "defTS"])
    found = crash_reporter_disabled.check({"crash_reporter_prefs": [normal], "manifest": [_manifest()]})
    assert list(found) == []


def test_crash_reporter_disabled_near_miss_manifest():
    records = [_manifest(relative_path="Library/Preferences/com.apple.CrashReporter.plist.bak"),
               _manifest(kind="directory"), _manifest(relative_path="Library/Preferences/com.apple.other.plist")]
    assert list(crash_reporter_disabled.check({"crash_reporter_prefs": [], "manifest": records})) == []
