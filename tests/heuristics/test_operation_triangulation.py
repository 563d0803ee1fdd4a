from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spyglass.heuristics import operation_triangulation
from spyglass.modules.ios import datausage, locationd_clients, manifest, os_analytics_ad_daily
from spyglass.records import Observable, Record, iso_utc
from tests.builders.full_backup import triangulation_backup
from tests.conftest import run_module

T = datetime(2022, 9, 12, 17, 6, 21, tzinfo=UTC)
WRM = "com.apple.locationd.bundle-/System/Library/LocationBundles/WRMLinkSelection.bundle"


def _entry(domain, path, modified, changed=None, created=None, kind="directory"):
    changed = changed or modified
    return Record(timestamp=modified, timestamp_desc="file modified", message="", module="manifest",
                  source="Manifest.db",
                  fields={"domain": domain, "relative_path": path, "kind": kind, "modified": iso_utc(modified),
                          "status_changed": iso_utc(changed), "created": iso_utc(created or modified)})


def _process(name, first, last):
    return Record(timestamp=first, timestamp_desc="", message="", module="datausage", source="WirelessDomain/x",
                  fields={"record_type": "process", "process_name": name, "first_seen": iso_utc(first),
                          "last_seen": iso_utc(last)})


def _live(name, moment):
    return Record(timestamp=moment, timestamp_desc="", message="", module="datausage", source="WirelessDomain/x",
                  fields={"record_type": "live_usage", "process_name": name})


def _location(client, stopped):
    return Record(timestamp=stopped, timestamp_desc="", message="", module="locationd_clients", source="",
                  fields={"client": client, "location_time_stopped": iso_utc(stopped)})


def _check(**records):
    return list(operation_triangulation.check(records))


def test_operation_triangulation_sms_folders_and_network():
    records = {
        "manifest": [_entry("MediaDomain", "Library/SMS/Attachments/5c", T),
                     _entry("MediaDomain", "Library/SMS/Attachments/5c/12", T + timedelta(seconds=2))],
        "datausage": [_process("com.apple.WebKit.WebContent", T + timedelta(seconds=70), T + timedelta(days=3))],
    }
    (found,) = _check(**records)
    assert found.severity == "high"
    assert found.heuristic == "operation_triangulation"
    assert found.record.fields["relative_path"] == "Library/SMS/Attachments/5c"
    assert found.message == ("Within 1 min 10 s on 2022-09-12 17:06 UTC: SMS attachment folders changed, system "
                             "processes used the network; this is the pattern of the Operation Triangulation spyware")


def test_operation_triangulation_settings_file_and_location():
    records = {"manifest": [_entry("RootDomain", "Library/Preferences/com.apple.ImageIO.plist", T, kind="file")],
               "locationd_clients": [_location(WRM, T + timedelta(minutes=3))]}
    (found,) = _check(**records)
    assert "image or location settings files changed, a location service stopped" in found.message


def test_operation_triangulation_exact_backupagent():
    records = {"datausage": [_process("BackupAgent", T, T), _live("BackupAgent", T), _process("nehelper", T, T)]}
    (found,) = _check(**records)
    assert found.observable == Observable("process", "BackupAgent")
    assert found.message == ("The process BackupAgent used the network; the Operation Triangulation spyware ran "
                             "under this name, which normal iPhones no longer use")


def test_operation_triangulation_near_misses():
    net = _process("nehelper", T + timedelta(seconds=30), T + timedelta(days=1))
    real_attachment = _entry("MediaDomain", "Library/SMS/Attachments/5c/12/F00D-1234/IMG_0001.HEIC", T, kind="file")
    folder = _entry("MediaDomain", "Library/SMS/Attachments/5c", T)
    # A real attachment arriving explains the folder changes.
    assert _check(manifest=[folder, real_attachment], datausage=[net]) == []
    # The folder was modified, but its status change is outside the window.
    half = _entry("MediaDomain", "Library/SMS/Attachments/5c", T, changed=T - timedelta(days=2),
                  created=T - timedelta(days=2))
    assert _check(manifest=[half], datausage=[net]) == []
    # Network use six minutes later is outside the five-minute window.
    late = _process("nehelper", T + timedelta(minutes=6), T + timedelta(days=1))
    assert _check(manifest=[folder], datausage=[late]) == []
    # One kind only; other processes and other location clients do not count.
    assert _check(datausage=[_process("nehelper", T, T), _process("mDNSResponder", T, T)],
                  locationd_clients=[_location("com.apple.Maps", T)],
                  manifest=[_entry("HomeDomain", "Library/Preferences/com.apple.other.plist", T, kind="file")]) == []
    # The same watched file name in another domain is not watched.
    assert _check(manifest=[_entry("HomeDomain", "Library/Preferences/com.apple.ImageIO.plist", T, kind="file")],
                  datausage=[net]) == []


def test_operation_triangulation_from_module_records(tmp_path):
    root = triangulation_backup(tmp_path / "backup")
    records = {module.ARTIFACT.name: run_module(root, module)
               for module in (manifest, os_analytics_ad_daily, locationd_clients, datausage)}
    found = _check(**records)
    assert [d.severity for d in found] == ["high", "high"]
    assert found[0].observable == Observable("process", "BackupAgent")
    # Ten events at most per window (Kaspersky's rule): the six folder times, BackupAgent's three
    # and the settings file's first fill it; the location stop 50 s later is the same burst.
    assert found[1].message == ("Within 20 s on 2022-09-12 17:06 UTC: SMS attachment folders changed, image or "
                                "location settings files changed, system processes used the network; this is the "
                                "pattern of the Operation Triangulation spyware")
