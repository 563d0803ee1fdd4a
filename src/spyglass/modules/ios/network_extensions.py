"""Network extension configurations: the VPNs, content filters, DNS proxies and DNS settings apps
installed, with the app that owns each, its provider's bundle identifier and its servers.
Stalkerware and spyware route a phone's traffic through a VPN or filter profile of their own.

Reads:   /private/var/preferences/com.apple.networkextension.plist on a filesystem dump (a backup
         keeps it in SystemPreferencesDomain, as iLEAPP's iCloud-backup test listing shows; not
         read there yet); in a sysdiagnose
         logs/Networking/com.apple.networkextension.plist and
         logs/Networking/com.apple.networkextension.cache.plist (EC-DIGIT-CSIRC/sysdiagnose
         parsers/networkextension.py and networkextensioncache.py).
         - com.apple.networkextension.plist is an NSKeyedArchiver archive (EC-DIGIT reads it with
           nska_deserialize; erikng/gnes: "not in a standard format"). Its $top holds "Version"
           and one entry per configuration, keyed by the configuration's UUID, each an archived
           NEConfiguration (as public tooling that edits the file shows it, e.g. the
           "com.apple.preferences.networkprivacy-<UUID>" ones, whose PathController holds Rules of
           NEPathRule with SigningIdentifier and Path). An archive whose $top is a single "root"
           dictionary of the same entries is read the same way.
           Inside an object, the archive's keys are the class's property names, capitalised
           (Name, PathController, Rules, SigningIdentifier, Path, Enabled in the archives above).
           What is read is therefore found by Apple's public property names, compared without
           case: NEConfiguration's name, application (the owning app's bundle id),
           applicationName, identifier, grade and its payloads VPN (NEVPN), alwaysOnVPN (NEAOVPN),
           appVPN (NEVPNApp), contentFilter (NEContentFilter), dnsProxy (NEDNSProxy), dnsSettings
           (NEDNSSettingsBundle), appPush (NEAppPush), relay (NERelayConfiguration),
           pathController (NEPathController) (macOS/iOS runtime headers of NEConfiguration);
           inside them serverAddress (NEVPNProtocol, NEFilterProviderConfiguration),
           providerBundleIdentifier (NETunnelProviderProtocol, NEDNSProxyProviderProtocol),
           filterDataProviderBundleIdentifier, filterPacketProviderBundleIdentifier
           (NEFilterProviderConfiguration), servers (NEDNSSettings), serverURL (DNS over HTTPS),
           serverName (DNS over TLS), enabled (Apple's NetworkExtension headers). No public dump of
           an iOS file lists every key, so the payload kinds are also recognised by class name.
         - com.apple.networkextension.cache.plist is a plain plist: "app-rules", a dictionary of
           app -> list of UUIDs (cheeky4n6monkey/iOS_sysdiagnose_forensic_scripts
           sysdiagnose-net-ext-cache.py, iOS 12).
Yields:  one record per configuration (no timestamp: the file keeps none): its name, owning app,
         payload kinds with whether each is enabled, the protocol classes, servers, bundle ids;
         observables app_id (owner, providers and the apps path rules name), domain, ip or url (servers), file_path (paths
         of path rules). One record per cache app rule, with an app_id observable when the app is
         named by a bundle identifier.
Seen:    iOS 12-18 (EC-DIGIT reads the sysdiagnose copy for every version it tests).
"""

from __future__ import annotations

import ipaddress
import plistlib
import re
import uuid
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import IOS_FS, SYSDIAGNOSE, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.extract import url_host
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.modules import Artifact
from spyglass.plists import is_keyed_archive, load_plist, unarchive
from spyglass.records import Observable, Record, observables

ARTIFACT = Artifact(
    name="network_extensions",
    description="VPN, content filter and DNS proxy configurations (com.apple.networkextension.plist)",
    paths=("/private/var/preferences/com.apple.networkextension.plist",),
    extra={SYSDIAGNOSE: ("logs/Networking/com.apple.networkextension.plist",
                         "logs/Networking/com.apple.networkextension.cache.plist")},
    # A backup holds the file too (SystemPreferencesDomain); it runs on backups once the
    # end-to-end backup fixture (tests/builders/full_backup.py) carries one.
    kinds=frozenset({IOS_FS, SYSDIAGNOSE}),
    os_versions="iOS 12-18",
)

MAX_TOP_ENTRIES = 10_000
MAX_WALK = 50_000              # containers visited in one configuration
MAX_VALUES = 500               # servers, bundle ids, paths kept per configuration
MAX_TEXT = 1024
# payload class -> kind; the property name (lowercased) recognises it where the class is unnamed.
KINDS = {"NEVPN": "vpn", "NEAOVPN": "always_on_vpn", "NEVPNApp": "app_vpn", "NEContentFilter": "content_filter",
         "NEDNSProxy": "dns_proxy", "NEDNSSettingsBundle": "dns_settings", "NEAppPush": "app_push",
         "NERelayConfiguration": "relay", "NEPathController": "path_controller"}
KIND_KEYS = {"vpn": "vpn", "alwaysonvpn": "always_on_vpn", "appvpn": "app_vpn", "contentfilter": "content_filter",
             "dnsproxy": "dns_proxy", "dnssettings": "dns_settings", "apppush": "app_push", "relay": "relay",
             "pathcontroller": "path_controller"}
KIND_NAMES = {"vpn": "VPN", "always_on_vpn": "always-on VPN", "app_vpn": "per-app VPN",
              "content_filter": "content filter", "dns_proxy": "DNS proxy", "dns_settings": "DNS settings",
              "app_push": "app push provider", "relay": "relay", "path_controller": "network path rules"}
SERVER_KEYS = frozenset({"serveraddress", "remoteaddress", "servers", "serverurl", "servername"})
RULE_KEYS = frozenset({"signingidentifier"})   # the apps path rules name
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)+")


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.read_bytes(MAX_PLIST_BYTES)
    if not data.strip():
        return
    value = load_plist(data, file.source)
    if file.source.endswith(".cache.plist"):
        yield from _cache(value, file.source)
    else:
        yield from _configurations(value, file.source)


# -- com.apple.networkextension.plist --------------------------------------------------------

def _configurations(archive: Any, source: str) -> Iterator[Record]:
    entries = _top_entries(archive, source)
    version = entries.get("Version")
    version = version if isinstance(version, int | str) and not isinstance(version, bool) else None
    for key, entry in entries.items():
        if isinstance(entry, dict) and (entry.get("$class") == "NEConfiguration" or _get(entry, "Name") is not None):
            yield _configuration(key, entry, version)


def _top_entries(archive: Any, source: str) -> dict[str, Any]:
    """The archive's $top entries, resolved; a single "root" dictionary stands for them."""
    if not is_keyed_archive(archive):
        raise EvidenceError(f"{source}: not an NSKeyedArchiver archive")
    objects, top = archive["$objects"], archive.get("$top")
    if not isinstance(objects, list) or not isinstance(top, dict):
        raise EvidenceError(f"{source}: the archive has no $objects list or no $top dictionary")
    keys = [key for key in top if isinstance(key, str)][:MAX_TOP_ENTRIES]
    # One dictionary object holding every $top entry, appended to a copy of $objects, so the
    # archive is resolved once (shared objects once, one bound for all).
    extended = [*objects, *keys]
    first_key = len(objects)
    extended.append({"NS.keys": [plistlib.UID(first_key + index) for index in range(len(keys))],
                     "NS.objects": [top[key] for key in keys]})
    resolved = unarchive({"$archiver": "NSKeyedArchiver", "$objects": extended,
                          "$top": {"root": plistlib.UID(len(extended) - 1)}}, source)
    if not isinstance(resolved, dict):
        return {}
    if list(resolved) == ["root"] and isinstance(resolved["root"], dict):
        return resolved["root"]
    return resolved


def _configuration(key: str, entry: dict[str, Any], version: Any) -> Record:
    found = _Found()
    kinds = []
    for name, value in entry.items():
        if not isinstance(value, dict):
            continue
        kind = KINDS.get(value.get("$class")) or KIND_KEYS.get(name.lower())
        if kind is None:
            continue
        enabled = _get(value, "Enabled")
        kinds.append({"kind": kind, "class": _text(value.get("$class")),
                      "enabled": enabled if isinstance(enabled, bool) else None,
                      "protocols": sorted(_classes(value))[:20]})
    _walk(entry, found)
    application = _text(_get(entry, "Application"))
    name = _text(_get(entry, "Name"))
    grade = _get(entry, "Grade")
    fields: dict[str, Any] = {
        "record_type": "configuration",
        "configuration_id": key[:MAX_TEXT],
        "identifier": _uuid(_get(entry, "Identifier")),
        "name": name,
        "application": application,
        "application_name": _text(_get(entry, "ApplicationName")),
        "application_identifier": _text(_get(entry, "ApplicationIdentifier")),
        "grade": grade if isinstance(grade, int) and not isinstance(grade, bool) else None,
        "kinds": kinds,
        "enabled": any(kind["enabled"] for kind in kinds) if any(k["enabled"] is not None for k in kinds) else None,
        "server_addresses": found.servers,
        "bundle_ids": found.bundle_ids,
        "rule_apps": found.rule_apps,
        "paths": found.paths,
        "file_version": version,
    }
    what = ", ".join(KIND_NAMES[kind["kind"]] for kind in kinds) or "network extension"
    owner = fields["application_name"] or application
    message = f"{what[0].upper()}{what[1:]} configuration"
    message += f' "{name}"' if name else ""
    message += f" of {owner}" if owner else ""
    providers = [bundle for bundle in found.bundle_ids if bundle != application]
    message += f" (provider {', '.join(providers[:3])})" if providers else ""
    message += f" to {', '.join(found.servers[:3])}" if found.servers else ""
    if found.rule_apps:
        message += f", rules for {len(found.rule_apps)} app{'s' if len(found.rule_apps) != 1 else ''}"
    if fields["enabled"] is not None:
        message += ", enabled" if fields["enabled"] else ", disabled"
    return Record(
        timestamp=None,
        timestamp_desc="network extension configuration",
        message=message,
        fields=fields,
        observables=observables(*(("app_id", bundle) for bundle in [*found.bundle_ids, *found.rule_apps]),
                                *(item for server in found.servers for item in server_observables(server)),
                                *(("file_path", path) for path in found.paths)),
    )


class _Found:
    """What a configuration names, each list kept in order without repeats and bounded."""

    def __init__(self) -> None:
        self.servers: list[str] = []
        self.bundle_ids: list[str] = []
        self.rule_apps: list[str] = []
        self.paths: list[str] = []

    @staticmethod
    def add(values: list[str], value: Any, *, identifier: bool = False) -> None:
        text = _text(value)
        # Path rules also name placeholders ("PathRuleDefaultNonSystemIdentifier"): no app.
        if text and (not identifier or _IDENTIFIER.fullmatch(text)) and text not in values and len(values) < MAX_VALUES:
            values.append(text)


def _walk(entry: dict[str, Any], found: _Found) -> None:
    """Every key of the configuration's objects, each container visited once (an archive shares
    objects: walked per path, a small one could take 2**depth steps)."""
    seen: set[int] = set()
    stack: list[Any] = [entry]
    visited = 0
    while stack and visited < MAX_WALK:
        value = stack.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        visited += 1
        if isinstance(value, list):
            stack.extend(item for item in reversed(value) if isinstance(item, list | dict))
            continue
        for key, item in value.items():
            lowered = key.lower() if isinstance(key, str) else ""
            if lowered in SERVER_KEYS:
                for server in item if isinstance(item, list) else [item]:
                    found.add(found.servers, server)
            elif lowered == "application" or lowered.endswith("bundleidentifier"):
                found.add(found.bundle_ids, item, identifier=True)
            elif lowered in RULE_KEYS:
                found.add(found.rule_apps, item, identifier=True)
            elif lowered == "path" and isinstance(item, str) and item.startswith("/"):
                found.add(found.paths, item)
            if isinstance(item, list | dict):
                stack.append(item)


def _classes(value: dict[str, Any]) -> set[str]:
    """The class names of the objects a payload holds (NETunnelProviderProtocol, ...)."""
    names: set[str] = set()
    seen: set[int] = set()
    stack: list[Any] = [item for item in value.values() if isinstance(item, list | dict)]
    while stack and len(seen) < MAX_WALK:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        children = item if isinstance(item, list) else list(item.values())
        if isinstance(item, dict) and isinstance(item.get("$class"), str):
            names.add(item["$class"][:MAX_TEXT])
        stack.extend(child for child in children if isinstance(child, list | dict))
    return names


def server_observables(server: str) -> tuple[Observable, ...]:
    """A server as written (a host, host:port, an address or a URL) as domain, ip or url."""
    text = server.strip()
    if "://" in text:
        return observables(("url", text))
    for candidate in (text, text.strip("[]")):
        try:
            return observables(("ip", str(ipaddress.ip_address(candidate))))
        except ValueError:
            pass
    host = url_host(text) or text
    try:
        return observables(("ip", str(ipaddress.ip_address(host.strip("[]")))))
    except ValueError:
        return observables(("domain", host)) if "." in host else ()


def _get(value: dict[str, Any], name: str) -> Any:
    """`value[name]`, the key compared without case (archives capitalise property names)."""
    if name in value:
        return value[name]
    lowered = name.lower()
    return next((item for key, item in value.items() if isinstance(key, str) and key.lower() == lowered), None)


def _text(value: Any) -> str | None:
    return value.strip()[:MAX_TEXT] or None if isinstance(value, str) else None


def _uuid(value: Any) -> str | None:
    """An archived NSUUID ({"NS.uuidbytes": 16 bytes}) or a UUID string, as text."""
    if isinstance(value, dict):
        value = value.get("NS.uuidbytes")
    if isinstance(value, bytes) and len(value) == 16:
        return str(uuid.UUID(bytes=value)).upper()
    return _text(value)


# -- com.apple.networkextension.cache.plist --------------------------------------------------

def _cache(value: Any, source: str) -> Iterator[Record]:
    if not isinstance(value, dict):
        raise EvidenceError(f"{source}: expected a dictionary at the top")
    rules = value.get("app-rules")
    if rules is None:
        return
    if not isinstance(rules, dict):
        raise EvidenceError(f"{source}: app-rules is not a dictionary")
    for app, uuids in rules.items():
        name = _text(app) if isinstance(app, str) else None
        if name is None:
            continue
        listed = [text for item in (uuids if isinstance(uuids, list) else [uuids])[:MAX_VALUES]
                  if (text := _text(item))]
        bundle_id = name if _IDENTIFIER.fullmatch(name) else None
        yield Record(
            timestamp=None,
            timestamp_desc="network extension app rule",
            message=f"Network extension app rule for {name} ({len(listed)} UUIDs)",
            fields={"record_type": "app_rule", "app": name, "bundle_id": bundle_id, "uuids": listed},
            observables=observables(("app_id", bundle_id)),
        )
