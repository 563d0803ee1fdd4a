"""Known Wi-Fi networks: com.apple.wifi.known-networks.plist (iOS 14 on) and the older
com.apple.wifi.plist, in a sysdiagnose, a backup and a filesystem dump."""

from __future__ import annotations

import plistlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.check import check
from spyglass.errors import EvidenceError
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.modules.ios import wifi_networks
from spyglass.records import Observable
from spyglass.runner import locate, parse_file
from tests.builders.ios_fs import FilesystemBuilder
from tests.builders.sysdiagnose import SysdiagnoseBuilder
from tests.builders.sysdiagnose_artifacts import run_sysdiagnose
from tests.builders.sysdiagnose_more import (
    known_network,
    known_networks_plist,
    legacy_network,
    legacy_wifi_plist,
)
from tests.conftest import run_module
from tests.indicators.stix_bundles import related_bundle, write

KNOWN = "WiFi/com.apple.wifi.known-networks.plist"
LEGACY = "WiFi/com.apple.wifi.plist"


def test_wifi_networks_known_networks(tmp_path: Path) -> None:
    hotspot, home = run_sysdiagnose(tmp_path, {KNOWN: known_networks_plist()}, wifi_networks)
    assert home.timestamp == datetime(2024, 5, 31, 7, 45, tzinfo=UTC)   # joined by the system after the user
    assert home.timestamp_desc == "Wi-Fi network last joined"
    assert home.message == 'Wi-Fi network "HomeNet" (access point a4:2b:b0:11:22:33), last joined 2024-05-31T07:45:00Z'
    assert home.fields == {
        "record_type": "known_network", "network_key": "wifi.network.ssid.HomeNet", "format": "known-networks",
        "ssid": "HomeNet", "bssid": "a4:2b:b0:11:22:33", "hidden": False, "add_reason": "Manual", "added_by": None,
        "security_types": 16, "network_usage": 1.0, "carplay": False, "captive_network": None,
        "captive_portal_url": None, "added_at": "2024-03-02T08:15:00Z", "updated_at": "2024-05-30T21:00:00Z",
        "joined_by_user_at": "2024-05-30T20:59:30Z", "joined_by_system_at": "2024-05-31T07:45:00Z",
        "last_discovered_at": "2024-05-31T07:45:00Z", "password_modified_at": "2024-03-02T08:15:00Z",
        "previous_joined_at": "2024-05-30T20:59:30Z",
        "access_points": [{"bssid": "a4:2b:b0:11:22:33", "channel": 36, "channel_flags": 1040,
                           "last_associated_at": "2024-05-31T07:45:00Z", "latitude": 48.8566, "longitude": 2.3522,
                           "location_accuracy": 12.5, "location_at": "2024-05-31T07:45:00Z"}]}
    assert home.observables == ()
    # Added by an app (a hotspot configuration), never joined: timestamped when added.
    assert hotspot.timestamp == datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
    assert hotspot.timestamp_desc == "Wi-Fi network added"
    assert hotspot.message == ('Wi-Fi network "FreeAirportWiFi", added 2024-04-01T12:00:00Z, added by the app '
                               "com.trackcell.agent, captive portal http://portal.free-wifi.example/login")
    assert (hotspot.fields["add_reason"], hotspot.fields["captive_network"]) == ("Hotspot Helper", True)
    assert hotspot.observables == (Observable("app_id", "com.trackcell.agent"),
                                   Observable("url", "http://portal.free-wifi.example/login"))


def test_wifi_networks_legacy_plist(tmp_path: Path) -> None:
    # iOS 12-13: "List of known networks" in com.apple.wifi.plist.
    (cafe,) = run_sysdiagnose(tmp_path, {LEGACY: legacy_wifi_plist()}, wifi_networks)
    assert cafe.timestamp == datetime(2019, 7, 21, 9, 5, tzinfo=UTC)   # the auto-join, after the manual one
    assert cafe.message == 'Wi-Fi network "CafeNet" (access point 0:1e:58:aa:bb:cc), last joined 2019-07-21T09:05:00Z'
    assert cafe.fields == {
        "record_type": "known_network", "network_key": "List of known networks[1]", "format": "legacy",
        "ssid": "CafeNet", "bssid": "0:1e:58:aa:bb:cc", "hidden": False, "enabled": True, "network_usage": 4.2,
        "country_code": "FR", "carplay": None, "captive_network": None, "captive_portal_url": None,
        "wps": {"device_name": "Livebox", "manufacturer": "Sagemcom", "model_name": "Livebox 4",
                "serial_number": "LK1234"},
        "updated_at": "2019-07-21T09:05:00Z", "last_joined_at": "2019-07-20T18:30:00Z",
        "last_auto_joined_at": "2019-07-21T09:05:00Z", "password_modified_at": None, "previous_joined_at": None,
        "access_points": [{"bssid": "0:1e:58:aa:bb:cc", "channel": 6, "channel_flags": 10,
                           "last_associated_at": "2019-07-20T18:30:00Z"}]}
    assert cafe.observables == ()


def test_wifi_networks_recent_wifi_plist_has_no_networks(tmp_path: Path) -> None:
    # Recent sysdiagnoses keep a com.apple.wifi.plist of settings only.
    data = plistlib.dumps({"KeepWiFiPoweredAirplaneMode": True, "Version": 30, "CustomNetworkSettings": {"a": 1}})
    assert run_sysdiagnose(tmp_path, {LEGACY: data}, wifi_networks) == []


def test_wifi_networks_ssid_not_utf8(tmp_path: Path) -> None:
    network = known_network(b"\xff\xfeCafe", __OSSpecific__={}, BSSList=[{"BSSID": b"\xa4\x2b\xb0\x11\x22\x33"}])
    del network["JoinedByUserAt"], network["JoinedBySystemAt"]
    data = known_networks_plist({"wifi.network.ssid.x": network})
    (record,) = run_sysdiagnose(tmp_path, {KNOWN: data}, wifi_networks)
    assert record.fields["ssid"] == "fffe43616665"
    assert record.fields["access_points"][0]["bssid"] == "a4:2b:b0:11:22:33"
    assert record.timestamp == datetime(2024, 3, 2, 8, 15, tzinfo=UTC)


def test_wifi_networks_backup_copies_read_the_same(builder, backup_dir) -> None:
    # Backups hold both files in SystemPreferencesDomain; the parser reads those copies as they are.
    builder.add_file("SystemPreferencesDomain", "com.apple.wifi.known-networks.plist", known_networks_plist())
    builder.add_file("SystemPreferencesDomain", "SystemConfiguration/com.apple.wifi.plist", legacy_wifi_plist())
    records = run_module(builder.build(backup_dir), wifi_networks)
    assert sorted(r.fields["ssid"] for r in records) == ["CafeNet", "FreeAirportWiFi", "HomeNet"]


def test_wifi_networks_filesystem_dump(tmp_path: Path) -> None:
    dump = FilesystemBuilder().add("/private/var/preferences/com.apple.wifi.known-networks.plist",
                                   known_networks_plist()).build_folder(tmp_path / "dump")
    acquisition = open_acquisition(dump)
    try:
        records = [r for f in locate(wifi_networks.ARTIFACT, acquisition)
                   for r in parse_file(wifi_networks.ARTIFACT, wifi_networks.parse, f)]
    finally:
        acquisition.close()
    assert [r.fields["ssid"] for r in records] == ["FreeAirportWiFi", "HomeNet"]
    assert wifi_networks.ARTIFACT.kinds == frozenset({"ios-fs", "sysdiagnose"})


def test_wifi_networks_match_an_app_indicator(tmp_path: Path) -> None:
    feed = write(tmp_path / "feed.stix2", related_bundle(["[app:id = 'com.trackcell.agent']"], "TrackCell"))
    archive = SysdiagnoseBuilder().add(KNOWN, known_networks_plist()).build_tar(tmp_path)
    outcome = check(archive, tmp_path / "case", [], IndicatorIndex(load_paths([feed])))
    hits = [(d.module, d.observable.type, d.observable.value) for d in outcome.detections if d.kind == "indicator"]
    assert hits == [("wifi_networks", "app_id", "com.trackcell.agent")]


def test_wifi_networks_empty(tmp_path: Path) -> None:
    files = {KNOWN: plistlib.dumps({}), LEGACY: plistlib.dumps({"List of known networks": []})}
    assert run_sysdiagnose(tmp_path, files, wifi_networks) == []


def test_wifi_networks_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"com\.apple\.wifi\.known-networks\.plist: not a valid plist"):
        run_sysdiagnose(tmp_path, {KNOWN: b"bplist00\xff\xff"}, wifi_networks)


def test_wifi_networks_list_not_a_list(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"com\.apple\.wifi\.plist: List of known networks is not a list"):
        run_sysdiagnose(tmp_path, {LEGACY: plistlib.dumps({"List of known networks": {"a": 1}})}, wifi_networks)


def test_wifi_networks_hostile_values(tmp_path: Path) -> None:
    network = legacy_network(SSID_STR=7, lastJoined="yesterday", lastAutoJoined=None, lastUpdated=None,
                             networkKnownBSSListKey="x", WPS_PROB_RESP_IE=[1], **{"80211D_IE": "FR"})
    (record,) = run_sysdiagnose(tmp_path, {LEGACY: legacy_wifi_plist([network, "not a network"])}, wifi_networks)
    assert (record.fields["ssid"], record.fields["last_joined_at"], record.fields["access_points"]) == (None, None, [])
    assert (record.fields["wps"], record.fields["country_code"]) == (None, None)
    assert (record.timestamp, record.timestamp_desc) == (None, "Wi-Fi network known")
    assert record.message == 'Wi-Fi network "(no name)" (access point 0:1e:58:aa:bb:cc)'
