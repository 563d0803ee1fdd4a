"""Known Wi-Fi networks: every network the phone remembers, its access points, when it was added
and last joined, and which app added it.

Reads:   /private/var/preferences/com.apple.wifi.known-networks.plist (iOS 14 on) and
         /private/var/preferences/SystemConfiguration/com.apple.wifi.plist (before) on a filesystem
         dump (a backup keeps both in SystemPreferencesDomain; not read there yet); in a sysdiagnose
         WiFi/com.apple.wifi.known-networks.plist and WiFi/com.apple.wifi.plist
         (EC-DIGIT-CSIRC/sysdiagnose parsers/wifi_known_networks.py
         and wifinetworks.py; cheeky4n6monkey/iOS_sysdiagnose_forensic_scripts
         sysdiagnose-wifi-plist.py, iOS 12). Key names as abrignoni/iLEAPP
         scripts/artifacts/appleWifiPlist.py reads them (its samples run from iOS 12.4 to 18.7):
         - known-networks: a dictionary "wifi.network.ssid.<SSID>" -> network: SSID (data),
           AddedAt, UpdatedAt, JoinedByUserAt, JoinedBySystemAt, LastDiscoveredAt (dates),
           AddReason, BundleID (the app that added it), Hidden, SupportedSecurityTypes,
           CaptiveProfile {CaptiveNetwork, UserPortalURL}, __OSSpecific__ {BSSID, networkUsage,
           CarPlayNetwork, WiFiNetworkPasswordModificationDate, prevJoined} and BSSList, the
           access points [{BSSID, Channel, ChannelFlags, LastAssociatedAt, LocationLatitude,
           LocationLongitude, LocationAccuracy, LocationTimestamp}].
         - com.apple.wifi.plist: "List of known networks", each with SSID_STR, BSSID, lastJoined,
           lastAutoJoined, lastUpdated, prevJoined, WiFiNetworkPasswordModificationDate, enabled,
           Hidden, networkUsage, 80211D_IE {IE_KEY_80211D_COUNTRY_CODE}, CaptiveProfile,
           WPS_PROB_RESP_IE {IE_KEY_WPS_DEV_NAME, _MANUFACTURER, _MODEL_NAME, _SERIAL_NUM} and
           networkKnownBSSListKey [{BSSID, CHANNEL, CHANNEL_FLAGS, lastRoamed}]. Recent
           sysdiagnoses still carry a com.apple.wifi.plist, without that list: nothing is read
           from it then.
         Dates are plist dates (UTC). An SSID that is not UTF-8 is kept as hex.
Yields:  one record per network, timestamped with its latest join (by the user or the system),
         else when it was added, else last updated; observables app_id (the app that added it,
         e.g. through a hotspot configuration) and url (its captive portal page).
Seen:    iOS 12-18.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from spyglass.acquisitions.base import IOS_FS, SYSDIAGNOSE, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import plist_bool, plist_date, plist_scalar
from spyglass.plists import load_plist
from spyglass.records import Record, iso_utc, observables

ARTIFACT = Artifact(
    name="wifi_networks",
    description="Known Wi-Fi networks (com.apple.wifi.known-networks.plist, com.apple.wifi.plist)",
    paths=("/private/var/preferences/com.apple.wifi.known-networks.plist",
           "/private/var/preferences/SystemConfiguration/com.apple.wifi.plist"),
    extra={SYSDIAGNOSE: ("WiFi/com.apple.wifi.known-networks.plist", "WiFi/com.apple.wifi.plist")},
    # Backups hold the files too (SystemPreferencesDomain); it runs on backups once the
    # end-to-end backup fixture (tests/builders/full_backup.py) carries them.
    kinds=frozenset({IOS_FS, SYSDIAGNOSE}),
    os_versions="iOS 12-18",
)

MAX_TEXT = 1024
MAX_ACCESS_POINTS = 100
LEGACY_LIST = "List of known networks"
NETWORK_PREFIX = "wifi.network."
# Join times, most telling first: the record's time is the latest of them.
JOINS = ("joined_by_user_at", "joined_by_system_at", "last_joined_at", "last_auto_joined_at")


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.read_bytes(MAX_PLIST_BYTES)
    if not data.strip():
        return
    value = load_plist(data, file.source)
    if not isinstance(value, dict):
        raise EvidenceError(f"{file.source}: expected a dictionary at the top")
    legacy = value.get(LEGACY_LIST)
    if legacy is not None:
        if not isinstance(legacy, list):
            raise EvidenceError(f"{file.source}: {LEGACY_LIST} is not a list")
        for number, network in enumerate(legacy, 1):
            if isinstance(network, dict):
                yield _record(_legacy(network), f"{LEGACY_LIST}[{number}]")
        return
    for key, network in value.items():
        # A known-networks file holds networks only; com.apple.wifi.plist of recent releases
        # holds settings, none of them a network dictionary.
        if isinstance(key, str) and isinstance(network, dict) and (key.startswith(NETWORK_PREFIX) or "SSID" in network):
            yield _record(_known(network), key[:MAX_TEXT])


def _known(network: dict[str, Any]) -> dict[str, Any]:
    specific = _dict(network.get("__OSSpecific__"))
    captive = _dict(network.get("CaptiveProfile"))
    access_points = [{
        "bssid": _bssid(point.get("BSSID")),
        "channel": _scalar(point.get("Channel")),
        "channel_flags": _scalar(point.get("ChannelFlags")),
        "last_associated_at": iso_utc(plist_date(point.get("LastAssociatedAt"))),
        "latitude": _number(point.get("LocationLatitude")),
        "longitude": _number(point.get("LocationLongitude")),
        "location_accuracy": _number(point.get("LocationAccuracy")),
        "location_at": iso_utc(plist_date(point.get("LocationTimestamp"))),
    } for point in _dicts(network.get("BSSList"))]
    return {
        "format": "known-networks",
        "ssid": _ssid(network.get("SSID")),
        "bssid": _bssid(specific.get("BSSID")),
        "hidden": plist_bool(network.get("Hidden")),
        "add_reason": _scalar(network.get("AddReason")),
        "added_by": _text(network.get("BundleID")),
        "security_types": _scalar(network.get("SupportedSecurityTypes")),
        "network_usage": _scalar(specific.get("networkUsage")),
        "carplay": plist_bool(specific.get("CarPlayNetwork")),
        "captive_network": plist_bool(captive.get("CaptiveNetwork")),
        "captive_portal_url": _text(captive.get("UserPortalURL")),
        "added_at": plist_date(network.get("AddedAt")),
        "updated_at": plist_date(network.get("UpdatedAt")),
        "joined_by_user_at": plist_date(network.get("JoinedByUserAt")),
        "joined_by_system_at": plist_date(network.get("JoinedBySystemAt")),
        "last_discovered_at": plist_date(network.get("LastDiscoveredAt")),
        "password_modified_at": plist_date(specific.get("WiFiNetworkPasswordModificationDate")),
        "previous_joined_at": plist_date(specific.get("prevJoined")),
        "access_points": access_points,
    }


def _legacy(network: dict[str, Any]) -> dict[str, Any]:
    captive = _dict(network.get("CaptiveProfile"))
    wps = _dict(network.get("WPS_PROB_RESP_IE"))
    access_points = [{
        "bssid": _bssid(point.get("BSSID")),
        "channel": _scalar(point.get("CHANNEL")),
        "channel_flags": _scalar(point.get("CHANNEL_FLAGS")),
        "last_associated_at": iso_utc(plist_date(point.get("lastRoamed"))),
    } for point in _dicts(network.get("networkKnownBSSListKey"))]
    return {
        "format": "legacy",
        "ssid": _ssid(network.get("SSID_STR")),
        "bssid": _bssid(network.get("BSSID")),
        "hidden": plist_bool(network.get("Hidden")),
        "enabled": plist_bool(network.get("enabled")),
        "network_usage": _scalar(network.get("networkUsage")),
        "country_code": _text(_dict(network.get("80211D_IE")).get("IE_KEY_80211D_COUNTRY_CODE")),
        "carplay": plist_bool(network.get("CarPlayNetwork", network.get("CARPLAY_NETWORK"))),
        "captive_network": plist_bool(captive.get("CaptiveNetwork")),
        "captive_portal_url": _text(captive.get("UserPortalURL")),
        "wps": {name: _text(wps.get(f"IE_KEY_WPS_{key}")) for name, key in (
            ("device_name", "DEV_NAME"), ("manufacturer", "MANUFACTURER"), ("model_name", "MODEL_NAME"),
            ("serial_number", "SERIAL_NUM"))} if wps else None,
        "updated_at": plist_date(network.get("lastUpdated")),
        "last_joined_at": plist_date(network.get("lastJoined")),
        "last_auto_joined_at": plist_date(network.get("lastAutoJoined")),
        "password_modified_at": plist_date(network.get("WiFiNetworkPasswordModificationDate")),
        "previous_joined_at": plist_date(network.get("prevJoined")),
        "access_points": access_points,
    }


def _record(network: dict[str, Any], key: str) -> Record:
    joins = [network[name] for name in JOINS if network.get(name) is not None]
    if joins:
        moment, what, when = max(joins), "Wi-Fi network last joined", "last joined"
    elif network.get("added_at") is not None:
        moment, what, when = network["added_at"], "Wi-Fi network added", "added"
    elif network.get("updated_at") is not None:
        moment, what, when = network["updated_at"], "Wi-Fi network updated", "updated"
    else:
        moment, what, when = None, "Wi-Fi network known", None
    fields: dict[str, Any] = {"record_type": "known_network", "network_key": key}
    fields.update({name: iso_utc(value) if isinstance(value, datetime) else value for name, value in network.items()})
    parts = [f'Wi-Fi network "{network["ssid"] if network["ssid"] is not None else "(no name)"}"']
    if network.get("bssid"):
        parts.append(f" (access point {network['bssid']})")
    if when:
        parts.append(f", {when} {iso_utc(moment)}")
    if network.get("added_by"):
        parts.append(f", added by the app {network['added_by']}")
    if network.get("captive_portal_url"):
        parts.append(f", captive portal {network['captive_portal_url']}")
    return Record(
        timestamp=moment,
        timestamp_desc=what,
        message="".join(parts),
        fields=fields,
        observables=observables(("app_id", network.get("added_by")), ("url", network.get("captive_portal_url"))),
    )


def _ssid(value: Any) -> str | None:
    if isinstance(value, bytes):
        try:
            return value[:MAX_TEXT].decode("utf-8")
        except UnicodeDecodeError:
            return value[:MAX_TEXT].hex()
    return _text(value)


def _bssid(value: Any) -> str | None:
    """An access point's address: text as written, six bytes as aa:bb:cc:dd:ee:ff."""
    if isinstance(value, bytes):
        return ":".join(f"{byte:02x}" for byte in value[:6]) or None
    return _text(value)


def _text(value: Any) -> str | None:
    return (value.strip()[:MAX_TEXT] or None) if isinstance(value, str) else None


def _scalar(value: Any) -> bool | int | float | str | None:
    return plist_scalar(value, MAX_TEXT)


def _number(value: Any) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:   # an integer past what a float holds
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value[:MAX_ACCESS_POINTS] if isinstance(item, dict)] if isinstance(value, list) else []
