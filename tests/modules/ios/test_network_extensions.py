"""Network extension configurations (VPN, content filter, DNS) and their cache, in a sysdiagnose
and in a backup."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.check import check
from spyglass.errors import EvidenceError
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.modules.ios import network_extensions
from spyglass.records import Observable
from spyglass.runner import locate, parse_file
from tests.builders.ios_fs import FilesystemBuilder
from tests.builders.sysdiagnose import SysdiagnoseBuilder
from tests.builders.sysdiagnose_artifacts import run_sysdiagnose
from tests.builders.sysdiagnose_more import (
    Archived,
    keyed_archive,
    network_extension_cache_plist,
    network_extension_plist,
    tunnel_configuration,
)
from tests.conftest import run_module
from tests.indicators.stix_bundles import related_bundle, write

NAME = "logs/Networking/com.apple.networkextension.plist"
CACHE = "logs/Networking/com.apple.networkextension.cache.plist"
SPOTIFY = "/private/var/containers/Bundle/Application/4E5F6A7B-8C9D-4E0F-9A1B-2C3D4E5F6A7B/Spotify.app/Spotify"


def test_network_extensions_configurations(tmp_path: Path) -> None:
    vpn, content_filter, dns, privacy = run_sysdiagnose(tmp_path, {NAME: network_extension_plist()},
                                                        network_extensions)
    assert vpn.timestamp is None
    assert vpn.timestamp_desc == "network extension configuration"
    assert vpn.message == ('VPN configuration "Phone Care" of Phone Care (provider com.trackcell.agent.tunnel) '
                           "to vpn.track-cell.example:443, enabled")
    assert vpn.fields == {
        "record_type": "configuration", "configuration_id": "9B1D4C2E-7A3F-4E5D-8C6B-1A2B3C4D5E6F",
        "identifier": "9B1D4C2E-7A3F-4E5D-8C6B-1A2B3C4D5E6F", "name": "Phone Care",
        "application": "com.trackcell.agent", "application_name": "Phone Care", "application_identifier": None,
        "grade": 1, "kinds": [{"kind": "vpn", "class": "NEVPN", "enabled": True,
                               "protocols": ["NETunnelProviderProtocol"]}],
        "enabled": True, "server_addresses": ["vpn.track-cell.example:443"],
        "bundle_ids": ["com.trackcell.agent", "com.trackcell.agent.tunnel"], "rule_apps": [], "paths": [],
        "file_version": 7}
    assert vpn.observables == (Observable("app_id", "com.trackcell.agent"),
                               Observable("app_id", "com.trackcell.agent.tunnel"),
                               Observable("domain", "vpn.track-cell.example"))
    assert content_filter.fields["kinds"] == [{"kind": "content_filter", "class": "NEContentFilter", "enabled": True,
                                               "protocols": ["NEFilterProviderConfiguration"]}]
    assert content_filter.fields["bundle_ids"] == ["com.safekids.app", "com.safekids.app.filterdata"]
    assert content_filter.observables[-1] == Observable("url", "https://filter.safe-kids.example/api")
    assert dns.fields["enabled"] is False
    assert dns.fields["server_addresses"] == ["https://dns.example.net/dns-query", "198.51.100.53", "2001:db8::53"]
    assert dns.observables == (Observable("app_id", "net.example.dns"),
                               Observable("url", "https://dns.example.net/dns-query"),
                               Observable("ip", "198.51.100.53"), Observable("ip", "2001:db8::53"))
    assert dns.message.endswith(", disabled")
    # The local network privacy rules: the apps they name, not their placeholder identifier.
    assert privacy.fields["rule_apps"] == ["com.spotify.client"]
    assert privacy.fields["paths"] == [SPOTIFY]
    assert privacy.fields["bundle_ids"] == []
    assert privacy.observables == (Observable("app_id", "com.spotify.client"), Observable("file_path", SPOTIFY))
    assert privacy.message == ('Network path rules configuration '
                               '"com.apple.preferences.networkprivacy-11111111-1111-4111-8111-111111111111", '
                               "rules for 1 app, enabled")


def test_network_extensions_root_dictionary(tmp_path: Path) -> None:
    # The same entries under one "root" dictionary (as nska_deserialize also shows them) read the same.
    records = run_sysdiagnose(tmp_path, {NAME: network_extension_plist(as_root=True)}, network_extensions)
    assert [r.fields["name"] for r in records] == ["Phone Care", "Safe Kids filter", "Private DNS",
                                                   "com.apple.preferences.networkprivacy-11111111-1111-4111-8111-111111111111"]
    assert records[0].fields["file_version"] == 7


def test_network_extensions_lowercase_keys_and_ipv4_server(tmp_path: Path) -> None:
    # Keys are compared without case, payloads found by class name, a bare address is an ip.
    configuration = Archived("NEConfiguration", {
        "name": "Legacy VPN", "application": "com.example.legacy",
        "vpnPayload": Archived("NEVPN", {"enabled": False, "protocol": Archived(
            "NEVPNProtocolIKEv2", {"serverAddress": "203.0.113.9"})})})
    data = keyed_archive({"Version": 1, "6F1E2D3C-4B5A-4968-8776-655443322110": configuration})
    (record,) = run_sysdiagnose(tmp_path, {NAME: data}, network_extensions)
    assert record.fields["kinds"] == [{"kind": "vpn", "class": "NEVPN", "enabled": False,
                                       "protocols": ["NEVPNProtocolIKEv2"]}]
    assert record.observables == (Observable("app_id", "com.example.legacy"), Observable("ip", "203.0.113.9"))
    assert record.message == 'VPN configuration "Legacy VPN" of com.example.legacy to 203.0.113.9, disabled'


def test_network_extensions_filesystem_dump(tmp_path: Path) -> None:
    dump = FilesystemBuilder().add("/private/var/preferences/com.apple.networkextension.plist",
                                   network_extension_plist([tunnel_configuration(enabled=False)])
                                   ).build_folder(tmp_path / "dump")
    acquisition = open_acquisition(dump)
    try:
        records = [r for f in locate(network_extensions.ARTIFACT, acquisition)
                   for r in parse_file(network_extensions.ARTIFACT, network_extensions.parse, f)]
    finally:
        acquisition.close()
    assert [(r.fields["name"], r.fields["enabled"]) for r in records] == [("Phone Care", False)]
    assert network_extensions.ARTIFACT.kinds == frozenset({"ios-fs", "sysdiagnose"})


def test_network_extensions_backup_copy_reads_the_same(builder, backup_dir) -> None:
    # Backups hold the file in SystemPreferencesDomain; the parser reads that copy as it is.
    builder.add_file("SystemPreferencesDomain", "com.apple.networkextension.plist",
                     network_extension_plist([tunnel_configuration(enabled=False)]))
    (record,) = run_module(builder.build(backup_dir), network_extensions)
    assert (record.fields["name"], record.fields["enabled"]) == ("Phone Care", False)


def test_network_extensions_cache(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {CACHE: network_extension_cache_plist()}, network_extensions)
    safari, agent = records   # the plist's order (keys sorted, as plistlib writes them)
    assert agent.fields == {"record_type": "app_rule", "app": "com.trackcell.agent", "bundle_id": "com.trackcell.agent",
                            "uuids": ["8A0F7C21-3B4D-4E5F-9A6B-7C8D9E0F1A2B", "8A0F7C21-3B4D-4E5F-9A6B-7C8D9E0F1A2C"]}
    assert agent.observables == (Observable("app_id", "com.trackcell.agent"),)
    assert agent.message == "Network extension app rule for com.trackcell.agent (2 UUIDs)"
    # An app named by its name, not a bundle identifier, is no app_id.
    assert (safari.fields["bundle_id"], safari.observables) == (None, ())


def test_network_extensions_match_server_and_app_indicators(tmp_path: Path) -> None:
    feed = write(tmp_path / "feed.stix2", related_bundle([
        "[domain-name:value = 'track-cell.example']", "[app:id = 'com.trackcell.agent']"], "TrackCell"))
    archive = SysdiagnoseBuilder().add(NAME, network_extension_plist()).build_tar(tmp_path)
    outcome = check(archive, tmp_path / "case", [], IndicatorIndex(load_paths([feed])))
    hits = sorted((d.module, d.observable.type, d.observable.value) for d in outcome.detections if d.kind == "indicator")
    assert hits == [("network_extensions", "app_id", "com.trackcell.agent"),
                    ("network_extensions", "domain", "vpn.track-cell.example")]


def test_network_extensions_empty(tmp_path: Path) -> None:
    files = {NAME: keyed_archive({"Version": 7}), CACHE: plistlib.dumps({"app-rules": {}})}
    assert run_sysdiagnose(tmp_path, files, network_extensions) == []
    (tmp_path / "zero").mkdir()
    assert run_sysdiagnose(tmp_path / "zero", {NAME: b"", CACHE: plistlib.dumps({})}, network_extensions) == []


def test_network_extensions_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"com\.apple\.networkextension\.plist: not a valid plist"):
        run_sysdiagnose(tmp_path, {NAME: b"bplist00\x00\x01garbage"}, network_extensions)


def test_network_extensions_not_an_archive(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"com\.apple\.networkextension\.plist: not an NSKeyedArchiver archive"):
        run_sysdiagnose(tmp_path, {NAME: plistlib.dumps({"Version": 7})}, network_extensions)


def test_network_extensions_cache_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"cache\.plist: app-rules is not a dictionary"):
        run_sysdiagnose(tmp_path, {CACHE: plistlib.dumps({"app-rules": ["x"]})}, network_extensions)


def test_network_extensions_shared_objects_walked_once(tmp_path: Path) -> None:
    # An archive that shares one object at every level: walked once per object, not per path.
    objects: list = ["$null", {"$classname": "NEConfiguration", "$classes": ["NEConfiguration", "NSObject"]}, "x"]
    for level in range(40):
        objects.append({"$class": plistlib.UID(1), "Left": plistlib.UID(len(objects) - 1 if level else 2),
                        "Right": plistlib.UID(len(objects) - 1 if level else 2), "ServerAddress": "a.example"})
    top = {"A1B2C3D4-0000-4000-8000-000000000000": plistlib.UID(len(objects) - 1)}
    data = plistlib.dumps({"$archiver": "NSKeyedArchiver", "$version": 100000, "$top": top, "$objects": objects},
                          fmt=plistlib.FMT_BINARY)
    (record,) = run_sysdiagnose(tmp_path, {NAME: data}, network_extensions)
    assert record.fields["server_addresses"] == ["a.example"]
