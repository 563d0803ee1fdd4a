from __future__ import annotations

import plistlib
from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import locationd_clients as module
from spyglass.records import Observable
from tests.builders.ios_artifacts_system import locationd_clients_plist
from tests.conftest import run_module

DOMAIN, PATH = "RootDomain", "Library/Caches/locationd/clients.plist"
WRM = "/System/Library/LocationBundles/WRMLinkSelection.bundle"


def test_locationd_clients_normal(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, locationd_clients_plist())
    maps, wrm = run_module(builder.build(backup_dir), module)     # "Version" (an int) is skipped

    assert maps.fields["client"] == "com.apple.Maps"
    assert maps.fields["bundle_id"] == "com.apple.Maps"
    assert maps.fields["authorized"] is True
    assert maps.fields["authorization"] == 2
    assert maps.fields["location_time_stopped"] == "2023-06-01T07:45:00Z"
    assert maps.fields["times"]["ConsumptionPeriodBegin"] == "2023-06-01T07:35:00Z"
    assert maps.timestamp == datetime(2023, 6, 1, 7, 45, tzinfo=UTC)
    assert maps.observables == (Observable("app_id", "com.apple.Maps"),
                                Observable("file_path", "/Applications/Maps.app/Maps"), Observable("process", "Maps"))

    assert wrm.fields["client"] == f"com.apple.locationd.bundle-{WRM}"
    assert wrm.fields["bundle_id"] is None
    assert wrm.fields["bundle_path"] == WRM
    assert wrm.fields["registered"] is None
    assert wrm.fields["location_time_stopped"] == "2023-06-01T07:45:30Z"
    assert wrm.observables == (Observable("file_path", WRM),)


def test_locationd_clients_prefixed_keys(builder, backup_dir):
    builder.ios_version = "13.5"
    clients = {
        "icom.example.app:": {"Authorized": False},
        "ic:com.example.other": {"LocationTimeStopped": 1.0e20},
        "/usr/libexec/spyd": {"Executable": "/usr/libexec/spyd", "Registered": "/usr/libexec/spyd"},
    }
    builder.add_file(DOMAIN, PATH, locationd_clients_plist(clients))
    by_client = {r.fields["client"]: r for r in run_module(builder.build(backup_dir), module)}
    assert sorted(by_client) == ["/usr/libexec/spyd", "com.example.other", "icom.example.app"]
    assert by_client["com.example.other"].timestamp is None
    assert by_client["com.example.other"].fields["raw_times"] == {"LocationTimeStopped": 1.0e20}
    assert by_client["/usr/libexec/spyd"].observables == (Observable("file_path", "/usr/libexec/spyd"),
                                                         Observable("process", "spyd"))


def test_locationd_clients_empty(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, plistlib.dumps({}, fmt=plistlib.FMT_BINARY))
    assert run_module(builder.build(backup_dir), module) == []


def test_locationd_clients_corrupt(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, plistlib.dumps(["a", "list"])[:30])
    with pytest.raises(EvidenceError, match=r"clients\.plist: not a valid plist"):
        run_module(builder.build(backup_dir), module)


def test_locationd_clients_missing(builder, backup_dir):
    # The mobile user's Library/Caches/locationd/clients.plist is a place it is read from too
    # (filesystem dumps keep one there): a file of another name is not it.
    builder.add_file("HomeDomain", "Library/Caches/locationd/clients.plist.bak", locationd_clients_plist())
    assert run_module(builder.build(backup_dir), module) == []
