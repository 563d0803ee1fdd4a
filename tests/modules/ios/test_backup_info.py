from __future__ import annotations

import plistlib
from datetime import UTC, datetime

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import backup_info
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_core import add_apps, itunes_metadata, run_module
from tests.builders.ios_backup import BackupBuilder


def test_backup_info_normal(tmp_path):
    builder = BackupBuilder()
    add_apps(builder)
    records = run_module(builder, tmp_path / "b", backup_info)
    assert len(records) == 5
    device = records[0]
    assert device.fields["record_type"] == "device"
    assert device.timestamp == datetime(2021, 7, 20, 9, 30, tzinfo=UTC)
    assert device.fields["model"] == "iPhone14,2"
    assert device.fields["os_version"] == "17.5.1"
    assert device.fields["build"] == "21F90"
    assert device.fields["udid"] == "00008030-001A2B3C4D5E802E"
    assert device.message == "iPhone14,2 iOS 17.5.1 (21F90) named 'Test iPhone'"
    apps = {r.fields["bundle_id"]: r for r in records[1:]}
    assert list(apps) == ["com.apple.Pages", "com.corp.agent", "net.whatsapp.WhatsApp", "org.example.beta"]
    whatsapp = apps["net.whatsapp.WhatsApp"]
    assert whatsapp.timestamp == datetime(2020, 5, 4, 9, 8, 7, tzinfo=UTC)
    assert whatsapp.fields["from_app_store"] is True
    assert whatsapp.fields["source_app"] == "com.apple.AppStore"
    assert whatsapp.fields["name"] == "WhatsApp Messenger"
    assert whatsapp.fields["artist"] == "WhatsApp Inc."
    assert whatsapp.fields["version"] == "2.21.1"
    assert whatsapp.fields["purchase_date"] == "2020-05-04T09:08:07Z"
    assert whatsapp.observables == (Observable("app_id", "net.whatsapp.WhatsApp"),)
    assert apps["org.example.beta"].fields["from_app_store"] is False
    assert apps["org.example.beta"].fields["source_app"] == "com.apple.TestFlight"
    agent = apps["com.corp.agent"]
    assert agent.fields["from_app_store"] is False
    assert agent.fields["has_itunes_metadata"] is False
    assert agent.timestamp is None
    assert agent.message == "Installed app com.corp.agent from not the App Store (no store metadata)"
    assert apps["com.apple.Pages"].fields["is_apple"] is True


def test_backup_info_ios12_metadata_without_source_app(tmp_path):
    # Older App Store metadata names no installer and may hold the date as a plist date.
    builder = BackupBuilder(ios_version="12.5.7", build_version="16H81", product_type="iPhone7,2")
    metadata = itunes_metadata("com.example.old", "Old", "Old Co", source_app=None)
    metadata["purchaseDate"] = datetime(2018, 2, 3, 4, 5, 6)
    builder.add_app("com.example.old", itunes_metadata=metadata)
    records = run_module(builder, tmp_path / "b", backup_info)
    assert records[0].fields["os_version"] == "12.5.7"
    old = records[1]
    assert old.fields["from_app_store"] is None
    assert old.fields["has_itunes_metadata"] is True
    assert old.timestamp == datetime(2018, 2, 3, 4, 5, 6, tzinfo=UTC)


def test_backup_info_corrupt_metadata(tmp_path):
    builder = BackupBuilder()
    builder.add_app("com.example.bad", itunes_metadata={})
    root = builder.build(tmp_path / "b")
    info = plistlib.loads((root / "Info.plist").read_bytes())
    info["Applications"]["com.example.bad"]["iTunesMetadata"] = b"bplist00garbage"
    (root / "Info.plist").write_bytes(plistlib.dumps(info))
    backup = IOSBackup(root)
    [file] = locate(backup_info.ARTIFACT, backup)
    records = list(backup_info.parse(file))
    assert records[1].fields["from_app_store"] is None
    assert records[1].fields["itunes_metadata_error"].startswith("iTunesMetadata: not a valid plist")


def test_backup_info_empty(tmp_path):
    records = run_module(BackupBuilder(), tmp_path / "b", backup_info)
    assert [r.fields["record_type"] for r in records] == ["device"]


def test_backup_info_corrupt(tmp_path):
    root = BackupBuilder().build(tmp_path / "b")
    (root / "Info.plist").write_bytes(b"<?xml version='1.0'?><plist><dict><key>x")
    backup = IOSBackup(root)   # the backup still opens: the databases are checked
    [file] = locate(backup_info.ARTIFACT, backup)
    with pytest.raises(EvidenceError, match=r"^Info\.plist: not a valid plist"):
        list(backup_info.parse(file))


def test_backup_info_missing(tmp_path):
    root = BackupBuilder().build(tmp_path / "b")
    (root / "Info.plist").unlink()
    backup = IOSBackup(root)
    assert locate(backup_info.ARTIFACT, backup) == []


def test_backup_info_app_store_sheet_counts_as_the_app_store(tmp_path):
    # Apps installed from the App Store sheet shown inside another app name its extension.
    builder = BackupBuilder()
    builder.add_app("com.example.sheet", itunes_metadata={"sourceApp": "com.apple.AppStore.ProductPageExtension"})
    records = run_module(builder, tmp_path / "b", backup_info)
    [app] = [r for r in records if r.fields.get("bundle_id") == "com.example.sheet"]
    assert (app.fields["source_app"], app.fields["from_app_store"]) == ("com.apple.AppStore.ProductPageExtension", True)
