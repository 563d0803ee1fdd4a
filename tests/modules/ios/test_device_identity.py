"""Device identity from a sysdiagnose: remotectl_dumpstate.txt and sysdiagnose.log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import device_identity
from tests.builders.sysdiagnose_artifacts import (
    LOCAL_PROPERTIES,
    remotectl_dumpstate,
    run_sysdiagnose,
    sysdiagnose_log,
)

WRITTEN = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)   # the builders' file time


def test_device_identity_remotectl(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {"remotectl_dumpstate.txt": remotectl_dumpstate()}, device_identity)
    local, peer = records
    assert local.timestamp == WRITTEN
    assert local.message == "This device: iPhone15,3 (OS 17.5.1, build 21F90), serial F2LXK0Q9N7"
    fields = local.fields
    assert {key: value for key, value in fields.items() if key != "properties"} == {
        "record_type": "local_device", "section": "Local device", "uuid": "3B1C0F62-5D41-4C2E-9E11-7A0B8C9D0E1F",
        "product_type": "iPhone15,3", "os_version": "17.5.1", "build": "21F90", "serial_number": "F2LXK0Q9N7",
        "udid": "00008120-001A2D3C0E91401E", "ecid": "6198491719098414", "hardware_model": "D74AP",
        "model_number": "MQ9U3", "region": "HX/A", "device_class": "iPhone", "product_name": "iPhone OS",
        "release_type": "User", "supplemental_build": None, "state": None}
    # Every top-level property is kept; the OID list below one of them is not a property.
    assert fields["properties"] == LOCAL_PROPERTIES
    assert local.observables == ()
    assert peer.fields["record_type"] == "peer_device"
    assert (peer.fields["section"], peer.fields["product_type"], peer.fields["os_version"], peer.fields["build"]) == (
        "Found ncm-0 (ncm)", "MacBookPro18,1", "14.5", "23F79")
    assert peer.fields["state"] == "connected (connectable)"
    assert peer.fields["properties"] == {"AppleInternal": "false", "CPUArchitecture": "arm64e",
                                         "ProductType": "MacBookPro18,1", "OSVersion": "14.5", "BuildVersion": "23F79"}
    assert peer.message == "Connected device ncm-0 (ncm): MacBookPro18,1 (OS 14.5, build 23F79)"


def test_device_identity_remotectl_without_serial(tmp_path: Path) -> None:
    # Some versions show fewer properties: the block's own lines still give model and build.
    data = remotectl_dumpstate({"AppleInternal": "false", "CPUArchitecture": "arm64e"}, product_type="iPhone9,3",
                               os_build="15.7.6 (19H349)", peer=False)
    [local] = run_sysdiagnose(tmp_path, {"remotectl_dumpstate.txt": data}, device_identity)
    assert (local.fields["product_type"], local.fields["os_version"], local.fields["build"]) == (
        "iPhone9,3", "15.7.6", "19H349")
    assert local.fields["serial_number"] is None
    assert local.message == "This device: iPhone9,3 (OS 15.7.6, build 19H349)"


def test_device_identity_sysdiagnose_log(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {"sysdiagnose.log": sysdiagnose_log()}, device_identity)
    [record] = records
    assert record.timestamp == datetime(2024, 6, 1, 17, 0, tzinfo=UTC)
    assert record.fields == {
        "record_type": "sysdiagnose", "sysdiagnose_name": "sysdiagnose_2024.06.01_10-00-00-0700_iPhone-OS_iPhone_21F90",
        "started_at": "2024-06-01T17:00:00Z", "utc_offset": "-07:00", "platform": "iPhone OS",
        "model_family": "iPhone", "build": "21F90", "product_type": None, "os_version": None}
    assert record.message == "Sysdiagnose taken on iPhone, build 21F90"


def test_device_identity_sysdiagnose_log_ios12_underscores(tmp_path: Path) -> None:
    folder = "IN_PROGRESS_sysdiagnose_2025.11.04_08-31-30+0100_iPhone_OS_iPhone_16H81"
    data = sysdiagnose_log(folder) + b"2025-11-04 08:31:31: device iPhone10,4 running iPhone OS 12.5.7 (16H81)\n"
    [record] = run_sysdiagnose(tmp_path, {"sysdiagnose.log": data}, device_identity)
    assert record.timestamp == datetime(2025, 11, 4, 7, 31, 30, tzinfo=UTC)
    assert (record.fields["build"], record.fields["utc_offset"], record.fields["product_type"],
            record.fields["os_version"]) == ("16H81", "+01:00", "iPhone10,4", "iPhone OS 12.5.7")
    assert record.message == "Sysdiagnose taken on iPhone10,4, iPhone OS 12.5.7, build 16H81"


def test_device_identity_both_files(tmp_path: Path) -> None:
    files = {"sysdiagnose.log": sysdiagnose_log(), "remotectl_dumpstate.txt": remotectl_dumpstate(peer=False)}
    records = run_sysdiagnose(tmp_path, files, device_identity)
    assert sorted(r.fields["record_type"] for r in records) == ["local_device", "sysdiagnose"]


def test_device_identity_empty(tmp_path: Path) -> None:
    # The builder's own sysdiagnose.log names no folder, model or version: no record either.
    assert run_sysdiagnose(tmp_path, {"remotectl_dumpstate.txt": b""}, device_identity) == []


def test_device_identity_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"remotectl_dumpstate\.txt: not a remotectl dumpstate"):
        run_sysdiagnose(tmp_path, {"remotectl_dumpstate.txt": bytes(range(256)) * 4}, device_identity)


def test_device_identity_impossible_date(tmp_path: Path) -> None:
    data = sysdiagnose_log("IN_PROGRESS_sysdiagnose_2024.13.45_99-00-00-0700_iPhone-OS_iPhone_21F90")
    [record] = run_sysdiagnose(tmp_path, {"sysdiagnose.log": data}, device_identity)
    assert record.timestamp is None
    assert record.fields["build"] == "21F90"
