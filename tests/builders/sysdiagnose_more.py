"""More files of a sysdiagnose written in code, in the real formats: taskinfo.txt,
spindump-nosymbols.txt, logs/tailspindb/UUIDToBinaryLocations, the network extension
configuration (an NSKeyedArchiver archive) and its cache, and the known Wi-Fi networks.

Formats (sources named in each module's docstring): taskinfo blocks as EC-DIGIT-CSIRC/sysdiagnose
quotes one in tests/test_tabbasedhierarchy.py; spindump headers and process sections as in
EC-DIGIT's tests/test_parsers_spindumpnosymbols.py (iOS 15.7.6) and AutismIsForDorks/
ios-sysdiagnose-reference artifacts/spindump.md (iOS 26.1); UUIDToBinaryLocations a UUID -> path
dictionary (cheeky4n6monkey's sysdiagnose-uuid2path.py); the network extension archive's $top with
"Version" and one NEConfiguration per UUID key, objects keyed by capitalised property names;
known-networks and com.apple.wifi.plist keys as abrignoni/iLEAPP appleWifiPlist.py reads them.
"""

from __future__ import annotations

import plistlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# -- taskinfo.txt (the trailing blanks of some lines are taskinfo's own) ----------------------------------------------------------------------------

POLICY_LINES = """requested policy
\treq apptype: TASK_APPTYPE_NONE
\treq role: TASK_UNSPECIFIED (PRIO_DARWIN_ROLE_DEFAULT)
\treq qos clamp: THREAD_QOS_UNSPECIFIED
\treq darwin BG: NO\x20\x20
\treq managed: NO
\treq other:\x20
effective policy
\teff role: TASK_UNSPECIFIED (PRIO_DARWIN_ROLE_DEFAULT)
\teff darwin BG: NO
\teff iotier: THROTTLE_LEVEL_TIER0 (IMPORTANT)
\teff qos ceiling: THREAD_QOS_USER_INITIATED
\teff other:\x20"""

THREAD_LINES = """\tthread ID: {thread} / {number}
\tuser/system time: 0.000353 s / 0.000000 s
\tCPU usage (over last tick): 0%
\tsched mode: timeshare
\tpolicy: POLICY_TIMESHARE
\t\ttimeshare max  priority: 63
\t\ttimeshare base priority: 31
\trequested policy:
\t\treq thread qos: THREAD_QOS_LEGACY, relprio: 0
\t\treq workqueue/pthread overides:
\t\t\treq legacy qos override: THREAD_QOS_UNSPECIFIED
\teffective policy:
\t\teff thread qos: THREAD_QOS_LEGACY
\trun state: TH_STATE_WAITING
\tflags: TH_FLAGS_SWAPPED |  |\x20
\tsuspend count: 0
\tsleep time: 0 s
\timportance in task: 0"""


@dataclass
class Task:
    name: str
    pid: int
    unique_id: int
    run_time: int
    threads: int = 2
    application: bool = False
    suspended: bool = False
    architecture: str = "arm64e"
    modern: bool = True        # the P-time, P/E switches and energy lines of recent releases


TASKS = [
    Task("launchd", 1, 1, 216, threads=3),
    Task("SpringBoard", 235, 235, 205, threads=4, application=True),
    Task("bh", 999, 1012, 40, threads=1),
    Task("Secure Chat", 1203, 1290, 12, threads=2, application=True, suspended=True),
]


def _task_block(task: Task) -> str:
    yes = {True: "YES", False: "NO"}
    lines = [
        f'process: "{task.name}" [{task.pid}] [unique ID: {task.unique_id}]',
        f"architecture: {task.architecture}",
        f"coalition (type 0) ID: {task.pid + 100}",
        f"coalition (type 1) ID: {task.pid + 101}",
        "suspend count: 0",
        "virtual bytes: 389.03 GB; phys_footprint bytes: 12.23 MB; phys_footprint lifetime maximum bytes: 12.36 MB",
        f"run time: {task.run_time} s",
        "user/system time    (current threads): 0.145469 s / 0.000000 s",
        "user/system time (terminated threads): 2.225133 s / 0.000000 s",
    ]
    if task.modern:
        lines += ["P-time: 0.000000 s (0%)", "P/E switches: 0", "energy used (nJ): 0"]
    lines += [
        "interrupt wakeups: 21 (15 / 71.43% from platform idle)",
        "default sched policy: POLICY_TIMESHARE",
        "CPU usage monitor: none",
        "CPU wakes monitor: 150 wakes per second (over system-default time period)",
        "dirty tracking: untracked  dirty",
        "boosts: 0 (0 externalized)",
        POLICY_LINES,
        "ios-appledaemon: NO",
        "ios-imppromotion: NO",
        f"ios-application: {yes[task.application]}",
        "imp_donor: NO",
        "imp_receiver: NO",
        f"pid suspended: {yes[task.suspended]}",
        "adaptive daemon: NO (boosted: NO)",
        "threads:",
    ]
    threads = [THREAD_LINES.format(thread=hex(0x338 + index), number=824 + index) for index in range(task.threads)]
    return "\n".join(lines) + "\n" + "\n\n".join(threads) + "\n"


def taskinfo_txt(tasks: Sequence[Task] = TASKS, declared: int | None = None) -> bytes:
    """The header line, then each task's block, two blank lines between blocks."""
    count = len(tasks) if declared is None else declared
    return (f"num tasks: {count}\n\n" + "\n\n".join(_task_block(task) for task in tasks)).encode()


# -- spindump-nosymbols.txt ------------------------------------------------------------------

SPINDUMP_HEADER_IOS26 = """Date/Time:        2025-11-22 19:36:24.011 -0500
End time:         2025-11-22 19:36:26.009 -0500
OS Version:       iPhone OS 26.1 (Build 23B85)
Architecture:     arm64e
Report Version:   67

Data Source:      Stackshots
Shared Cache:     EBA74A13-337F-38AA-9EEC-231FFCE9E8B6 slid base address 0x18039c000, slide 0x39c000

Duration:         2.00s
Steps:            8 (250ms sampling interval)

Hardware model:   iPhone16,1
Active cpus:      6
Memory size:      7.50 GB
HW page size:     16384

Time Since Boot:  848s
Total CPU Time:   2.648s (2.9G cycles, 4.1G instructions, 0.71c/i)
Advisory levels:  Battery -> 1, User -> 3, ThermalPressure -> 0, Combined -> 1

------------------------------------------------------------
Heavy format: stacks are sorted by count
Use -i and -timeline to re-report with chronological sorting
------------------------------------------------------------

"""

SPINDUMP_HEADER_IOS15 = """Date/Time:        2023-05-24 13:29:15.759 -0700
End time:         2023-05-24 13:29:17.757 -0700
OS Version:       iPhone OS 15.7.6 (Build 19H349)
Architecture:     arm64
Report Version:   35.1

Data Source:      Stackshots
Shared Cache:     6D5223AF-7B75-3593-9CC4-5DBD74C56497 slid base address 0x180734000, slide 0x734000

Duration:         2.00s
Steps:            8 (250ms sampling interval)

Hardware model:   iPhone9,3
Active cpus:      2

------------------------------------------------------------
Heavy format: stacks are sorted by count
Use -i and -timeline to re-report with chronological sorting
------------------------------------------------------------

"""

FOLLOWUP_PATH = ("/System/Library/PrivateFrameworks/AppleAccountUI.framework/PlugIns/AAUIFollowUpExtension.appex/"
                 "AAUIFollowUpExtension")
ACCESSORYD_PATH = "/System/Library/PrivateFrameworks/CoreAccessories.framework/Support/accessoryd"
IMPLANT_PATH = "/private/var/db/com.apple.xpc.roleaccountd.staging/bh"
IMPLANT_DYLIB = "/private/var/tmp/libhelper.dylib"
SECURE_CHAT_PATH = ("/private/var/containers/Bundle/Application/2A4C7A6B-0F13-4E77-9B52-6E0F2A9B3C11/Secure Chat.app/"
                    "Secure Chat")

THREAD_STACK = """  Thread 0x42d1    DispatchQueue "com.apple.main-thread"(1)    8 samples (1-8)    priority 4 (base 4)    last ran 324.825s ago
  8  ??? (dyld + 20008) [0x1804b6e28]
    8  ??? (Foundation + 1407108) [0x180c4f884]
      8  ??? (libsystem_kernel.dylib + 3588) [0x1977b2e04]
       *8  ??? [0xfffffff0071a86d4]
"""


def _image(start: str, end: str, name: str, image_uuid: str, path: str) -> str:
    return f"           {start} - {end:>18}  {name:<22} <{image_uuid}>  {path}"


IOS26_PROCESSES = [
    f"""Process:          AAUIFollowUpExtension [760] (suspended)
UUID:             6EAD3AFE-1E1F-36F3-B55B-EC1E7E6058E6
Path:             {FOLLOWUP_PATH}
Identifier:       com.apple.AppleAccountUI.AAUIFollowUpExtension
Version:          1.0 (1)
Shared Cache:     EBA74A13-337F-38AA-9EEC-231FFCE9E8B6 slid base address 0x18039c000, slide 0x39c000
Architecture:     arm64e
Parent:           launchd [1]
Responsible:      followupd [543]
RunningBoard Mgd: Yes
UID:              501
Memory Limit:     400MB
Jetsam Priority:  0
Footprint:        4848 KB
Time Since Fork:  392s
Num samples:      8 (1-8)
Note:             Suspended for 8 samples
Num threads:      7

{THREAD_STACK}
  Binary Images:
{_image("0x1027f4000", "???", "AAUIFollowUpExtension", "6EAD3AFE-1E1F-36F3-B55B-EC1E7E6058E6", FOLLOWUP_PATH)}
{_image("0x180a95000", "0x180ed2fff", "CoreFoundation", "717D70C9-3B8E-3ABC-AE16-050588FC3EE8",
        "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation")}
""",
    f"""Process:          bh [999]
UUID:             0A1B2C3D-4E5F-3061-8293-A4B5C6D7E8F9
Path:             {IMPLANT_PATH}
Shared Cache:     EBA74A13-337F-38AA-9EEC-231FFCE9E8B6 slid base address 0x18039c000, slide 0x39c000
Architecture:     arm64e
Parent:           launchd [1]
Responsible:      bh [999]
UID:              0
Footprint:        1024 KB
Time Since Fork:  40s
Num samples:      8 (1-8)
Num threads:      2

{THREAD_STACK}{THREAD_STACK}
  Binary Images:
{_image("0x100a28000", "0x100a3ffff", "bh", "0A1B2C3D-4E5F-3061-8293-A4B5C6D7E8F9", IMPLANT_PATH)}
{_image("0x100b00000", "0x100b0ffff", "libhelper.dylib", "1B2C3D4E-5F60-3172-8394-B5C6D7E8F90A", IMPLANT_DYLIB)}
{_image("0x1bb3f9000", "0x1bb42cfff", "libsystem_kernel.dylib", "D3BAC787-09EE-3319-BE24-4115817391E2",
        "/usr/lib/system/libsystem_kernel.dylib")}
""",
    f"""Process:          Secure Chat [1203]
UUID:             5C6D7E8F-9A0B-3C1D-8E2F-304152637485
Path:             {SECURE_CHAT_PATH}
Identifier:       com.example.securechat
Version:          4.2 (420)
Architecture:     arm64e
Parent:           launchd [1]
Responsible:      Secure Chat [1203]
UID:              501
Time Since Fork:  12s
Num samples:      8 (1-8)

{THREAD_STACK}
  Binary Images:
{_image("0x104000000", "0x104ffffff", "Secure Chat", "5C6D7E8F-9A0B-3C1D-8E2F-304152637485", SECURE_CHAT_PATH)}
""",
]

IOS15_PROCESSES = [
    f"""Process:          accessoryd [176]
UUID:             BDBDD550-2B15-382C-BB61-1798AFD60460
Path:             {ACCESSORYD_PATH}
Shared Cache:     6D5223AF-7B75-3593-9CC4-5DBD74C56497 slid base address 0x180734000, slide 0x734000
Architecture:     arm64
Parent:           launchd [1]
UID:              501
Sudden Term:      Tracked (allows idle exit)
Footprint:        3792 KB
Time Since Fork:  201s
Num samples:      8 (1-8)
Note:             1 idle work queue thread omitted
  Thread 0x8b6    DispatchQueue "com.apple.main-thread"(1)    8 samples (1-8)    priority 31 (base 31)
  8  ??? (dyld + 99536) [0x102c504d0]
    8  ??? (accessoryd + 554572) [0x10287b64c]
                 *8  ??? [0xfffffff0071a86d4]
  Binary Images:
           0x1027f4000 -                ???  accessoryd             <BDBDD550-2B15-382C-BB61-1798AFD60460>  {ACCESSORYD_PATH}
           0x102c38000 -        0x102ca3fff  dyld                   <58AB16CE-D7E0-32D3-946D-4F68FB1A4A17>  /cores/dyld
           0x180a95000 -        0x180ed2fff  CoreFoundation         <717D70C9-3B8E-3ABC-AE16-050588FC3EE8>  /System/Library/Frameworks/CoreFoundation.framework/CoreFoundation
""",
    """Process:          kernel_task [0]
UUID:             2D9E5F1A-0B3C-3D4E-9F5A-6B7C8D9E0F1A
Architecture:     arm64
UID:              0
Num samples:      8 (1-8)
  Thread 0x65    8 samples (1-8)    priority 92 (base 92)
 *8  ??? [0xfffffff00719f5c4]
""",
]


def spindump_txt(processes: Sequence[str] = IOS26_PROCESSES, header: str = SPINDUMP_HEADER_IOS26,
                 trailer: str = "") -> bytes:
    return (header + "\n".join(processes) + trailer).encode()


# -- logs/tailspindb/UUIDToBinaryLocations ---------------------------------------------------

UUID_LOCATIONS = {
    "BDBDD550-2B15-382C-BB61-1798AFD60460": ACCESSORYD_PATH,
    "D17AFB64-8E39-3502-B41C-B18BF7C6A380":
        "/private/var/containers/Bundle/Application/DDD157FD-8945-4E3E-86A5-80AD5393E958/cyqp.app/cyqp",
    "0a1b2c3d-4e5f-3061-8293-a4b5c6d7e8f9": IMPLANT_PATH,
    "717D70C9-3B8E-3ABC-AE16-050588FC3EE8": "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation",
    "D3BAC787-09EE-3319-BE24-4115817391E2": "/usr/lib/system/libsystem_kernel.dylib",
}


def uuid_to_binary_locations(locations: Mapping[str, Any] = UUID_LOCATIONS, *, binary: bool = False) -> bytes:
    """The map as tailspin keeps it: XML (as EC-DIGIT describes it), or binary."""
    return plistlib.dumps(dict(locations), fmt=plistlib.FMT_BINARY if binary else plistlib.FMT_XML, sort_keys=False)


# -- NSKeyedArchiver archives (com.apple.networkextension.plist) -------------------------------

@dataclass
class Archived:
    """An archived Objective-C object: its class and its keyed values."""

    class_name: str
    values: dict[str, Any] = field(default_factory=dict)


class _Archiver:
    """Writes $objects as NSKeyedArchiver does: "$null" first, strings, data and objects each
    once, referenced by UID; numbers and booleans inline in the object that holds them."""

    def __init__(self) -> None:
        self.objects: list[Any] = ["$null"]
        self.classes: dict[str, plistlib.UID] = {}

    def _append(self, value: Any) -> plistlib.UID:
        self.objects.append(value)
        return plistlib.UID(len(self.objects) - 1)

    def _class(self, name: str, parents: Sequence[str] = ()) -> plistlib.UID:
        if name not in self.classes:
            self.classes[name] = self._append({"$classname": name, "$classes": [name, *parents, "NSObject"]})
        return self.classes[name]

    def value(self, value: Any) -> Any:
        """`value` as a keyed object holds it: inline for numbers, a UID for anything else."""
        if isinstance(value, bool | int | float):
            return value
        return self.reference(value)

    def reference(self, value: Any) -> plistlib.UID:
        if value is None:
            return plistlib.UID(0)
        if isinstance(value, str | bytes | bool | int | float):
            return self._append(value)
        if isinstance(value, uuid.UUID):
            holder = {"NS.uuidbytes": value.bytes}
            index = self._append(holder)
            holder["$class"] = self._class("NSUUID")
            return index
        if isinstance(value, Archived):
            holder: dict[str, Any] = {}
            index = self._append(holder)
            holder.update({key: self.value(item) for key, item in value.values.items()})
            holder["$class"] = self._class(value.class_name)
            return index
        if isinstance(value, Mapping):
            holder = {}
            index = self._append(holder)
            holder["NS.keys"] = [self.reference(key) for key in value]
            holder["NS.objects"] = [self.reference(item) for item in value.values()]
            holder["$class"] = self._class("NSMutableDictionary", ["NSDictionary"])
            return index
        if isinstance(value, list | tuple):
            holder = {}
            index = self._append(holder)
            holder["NS.objects"] = [self.reference(item) for item in value]
            holder["$class"] = self._class("NSMutableArray", ["NSArray"])
            return index
        raise TypeError(f"cannot archive {type(value).__name__}")


def keyed_archive(top: Mapping[str, Any], *, binary: bool = True) -> bytes:
    """An NSKeyedArchiver plist whose $top holds `top` (numbers inline, the rest by UID)."""
    archiver = _Archiver()
    archived_top = {key: archiver.value(value) for key, value in top.items()}
    archive = {"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": archived_top, "$objects": archiver.objects}
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY if binary else plistlib.FMT_XML, sort_keys=False)


VPN_ID = uuid.UUID("9B1D4C2E-7A3F-4E5D-8C6B-1A2B3C4D5E6F")
FILTER_ID = uuid.UUID("2C3D4E5F-6A7B-4C8D-9E0F-1A2B3C4D5E6F")
DNS_ID = uuid.UUID("3D4E5F60-7A8B-4C9D-8E0F-2A3B4C5D6E7F")
PRIVACY_ID = uuid.UUID("11111111-1111-4111-8111-111111111111")


def tunnel_configuration(*, enabled: bool = True, server: str = "vpn.track-cell.example:443") -> Archived:
    """A packet tunnel VPN, as an app with a network extension saves one (NETunnelProviderManager)."""
    protocol = Archived("NETunnelProviderProtocol", {
        "ServerAddress": server, "ProviderBundleIdentifier": "com.trackcell.agent.tunnel",
        "DisconnectOnSleep": False, "ProviderConfiguration": {"endpoint": "203.0.113.7"}})
    return Archived("NEConfiguration", {
        "Identifier": VPN_ID, "Name": "Phone Care", "Application": "com.trackcell.agent",
        "ApplicationName": "Phone Care", "Grade": 1,
        "VPN": Archived("NEVPN", {"Enabled": enabled, "OnDemandEnabled": True, "Protocol": protocol})})


def filter_configuration() -> Archived:
    provider = Archived("NEFilterProviderConfiguration", {
        "FilterBrowsers": True, "FilterSockets": True, "ServerAddress": "https://filter.safe-kids.example/api",
        "FilterDataProviderBundleIdentifier": "com.safekids.app.filterdata", "Organization": "Safe Kids"})
    return Archived("NEConfiguration", {
        "Identifier": FILTER_ID, "Name": "Safe Kids filter", "Application": "com.safekids.app",
        "ApplicationName": "Safe Kids",
        "ContentFilter": Archived("NEContentFilter", {"Enabled": True, "Provider": provider})})


def dns_configuration() -> Archived:
    settings = Archived("NEDNSOverHTTPSSettings", {"ServerURL": "https://dns.example.net/dns-query",
                                                    "Servers": ["198.51.100.53", "2001:db8::53"]})
    return Archived("NEConfiguration", {
        "Identifier": DNS_ID, "Name": "Private DNS", "Application": "net.example.dns",
        "DNSSettings": Archived("NEDNSSettingsBundle", {"Enabled": False, "Settings": settings})})


def privacy_configuration() -> Archived:
    """The local network privacy rules, one NEPathRule per app (SigningIdentifier, Path)."""
    rules = [Archived("NEPathRule", {"SigningIdentifier": "PathRuleDefaultNonSystemIdentifier",
                                     "MulticastPreferenceSet": False, "DenyMulticast": True}),
             Archived("NEPathRule", {"SigningIdentifier": "com.spotify.client",
                                     "Path": "/private/var/containers/Bundle/Application/"
                                             "4E5F6A7B-8C9D-4E0F-9A1B-2C3D4E5F6A7B/Spotify.app/Spotify",
                                     "MulticastPreferenceSet": True, "DenyMulticast": False})]
    return Archived("NEConfiguration", {
        "Identifier": PRIVACY_ID, "Name": f"com.apple.preferences.networkprivacy-{str(PRIVACY_ID).upper()}",
        "PathController": Archived("NEPathController", {"Enabled": True, "Rules": rules})})


def network_extension_plist(configurations: Sequence[Archived] | None = None, *, version: int = 7,
                            as_root: bool = False) -> bytes:
    """$top: "Version" and one configuration per UUID key; with `as_root`, a single "root"
    dictionary of the same entries."""
    configurations = [tunnel_configuration(), filter_configuration(), dns_configuration(),
                      privacy_configuration()] if configurations is None else configurations
    entries: dict[str, Any] = {"Version": version}
    for index, configuration in enumerate(configurations):
        identifier = configuration.values.get("Identifier")
        entries[str(identifier).upper() if isinstance(identifier, uuid.UUID) else f"config-{index}"] = configuration
    return keyed_archive({"root": entries} if as_root else entries)


def network_extension_cache_plist(rules: Mapping[str, Sequence[str]] | None = None) -> bytes:
    rules = {"com.trackcell.agent": ["8A0F7C21-3B4D-4E5F-9A6B-7C8D9E0F1A2B", "8A0F7C21-3B4D-4E5F-9A6B-7C8D9E0F1A2C"],
             "MobileSafari": ["9B1E8D32-4C5E-4F60-8B7C-8D9E0F1A2B3C"]} if rules is None else rules
    return plistlib.dumps({"app-rules": {app: list(uuids) for app, uuids in rules.items()}}, fmt=plistlib.FMT_XML)


# -- Wi-Fi ------------------------------------------------------------------------------------

ADDED = datetime(2024, 3, 2, 8, 15)
UPDATED = datetime(2024, 5, 30, 21, 0)
USER_JOINED = datetime(2024, 5, 30, 20, 59, 30)
SYSTEM_JOINED = datetime(2024, 5, 31, 7, 45)


def known_network(ssid: bytes = b"HomeNet", **changes: Any) -> dict[str, Any]:
    network: dict[str, Any] = {
        "SSID": ssid, "AddedAt": ADDED, "UpdatedAt": UPDATED, "JoinedByUserAt": USER_JOINED,
        "JoinedBySystemAt": SYSTEM_JOINED, "LastDiscoveredAt": SYSTEM_JOINED, "AddReason": "Manual",
        "Hidden": False, "SupportedSecurityTypes": 16,
        "__OSSpecific__": {"BSSID": "a4:2b:b0:11:22:33", "networkUsage": 1.0, "CarPlayNetwork": False,
                           "WiFiNetworkPasswordModificationDate": ADDED, "prevJoined": USER_JOINED},
        "BSSList": [{"BSSID": "a4:2b:b0:11:22:33", "Channel": 36, "ChannelFlags": 1040,
                     "LastAssociatedAt": SYSTEM_JOINED, "LocationLatitude": 48.8566, "LocationLongitude": 2.3522,
                     "LocationAccuracy": 12.5, "LocationTimestamp": SYSTEM_JOINED}],
    }
    network.update(changes)
    return network


def hotspot_network() -> dict[str, Any]:
    """A network an app added itself (NEHotspotConfiguration), behind a captive portal."""
    return {"SSID": b"FreeAirportWiFi", "AddedAt": datetime(2024, 4, 1, 12, 0), "AddReason": "Hotspot Helper",
            "BundleID": "com.trackcell.agent",
            "CaptiveProfile": {"CaptiveNetwork": True, "UserPortalURL": "http://portal.free-wifi.example/login"}}


def known_networks_plist(networks: Mapping[str, dict[str, Any]] | None = None) -> bytes:
    networks = {"wifi.network.ssid.HomeNet": known_network(),
                "wifi.network.ssid.FreeAirportWiFi": hotspot_network()} if networks is None else networks
    return plistlib.dumps(dict(networks), fmt=plistlib.FMT_BINARY)


LEGACY_JOINED = datetime(2019, 7, 20, 18, 30)
LEGACY_AUTO_JOINED = datetime(2019, 7, 21, 9, 5)


def legacy_network(ssid: str = "CafeNet", **changes: Any) -> dict[str, Any]:
    network: dict[str, Any] = {
        "SSID_STR": ssid, "BSSID": "0:1e:58:aa:bb:cc", "networkUsage": 4.2, "enabled": True, "Hidden": False,
        "lastJoined": LEGACY_JOINED, "lastAutoJoined": LEGACY_AUTO_JOINED, "lastUpdated": LEGACY_AUTO_JOINED,
        "80211D_IE": {"IE_KEY_80211D_COUNTRY_CODE": "FR"},
        "WPS_PROB_RESP_IE": {"IE_KEY_WPS_DEV_NAME": "Livebox", "IE_KEY_WPS_MANUFACTURER": "Sagemcom",
                             "IE_KEY_WPS_MODEL_NAME": "Livebox 4", "IE_KEY_WPS_SERIAL_NUM": "LK1234"},
        "networkKnownBSSListKey": [{"BSSID": "0:1e:58:aa:bb:cc", "CHANNEL": 6, "CHANNEL_FLAGS": 10,
                                    "lastRoamed": LEGACY_JOINED}],
    }
    network.update(changes)
    return network


def legacy_wifi_plist(networks: Sequence[dict[str, Any]] | None = None) -> bytes:
    """com.apple.wifi.plist of iOS 12-13: "List of known networks" and other settings."""
    networks = [legacy_network()] if networks is None else networks
    return plistlib.dumps({"List of known networks": list(networks), "KeepWiFiPoweredAirplaneMode": False,
                           "Version": 14}, fmt=plistlib.FMT_BINARY)
