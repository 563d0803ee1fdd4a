"""Files of a sysdiagnose (and their device-side twins) written in code, in the real formats:
ps.txt and ps_thread.txt, .ips crash/jetsam/stackshot reports (JSON and text forms),
remotectl_dumpstate.txt, sysdiagnose.log and mobile_installation.log.

Formats: ps columns as sysdiagnose asks for them (`ps axwww -o user,uid,prsna,pid,ppid,flags,
%cpu,%mem,pri,ni,vsz,rss,wchan,tt,stat,start,time,command` since iOS 16, without prsna and
flags before; EC-DIGIT-CSIRC/sysdiagnose tests/test_parsers_ps.py); .ips per Apple's
"Interpreting the JSON format of a crash report" (header line + JSON body, slashes escaped as
Apple writes them) and the older text form; remotectl's tab-indented "Local device" block with
its "Properties: {" of "Key => Value" lines (EC-DIGIT-CSIRC/sysdiagnose tests, pymobiledevice3
RemoteXPC.md); mobile_installation.log lines "Mon Apr  7 06:13:34 2025 [234] <notice>
(0x16b48f000) -[Class method]: message" (as quoted from a real iOS 16 sysdiagnose).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from spyglass.acquisitions import open_acquisition
from spyglass.records import Record
from spyglass.runner import locate, parse_file
from tests.builders.sysdiagnose import SysdiagnoseBuilder

# -- running a module ------------------------------------------------------------------------

def run_on(path: Path, module: Any) -> list[Record]:
    """Open the acquisition at `path` and parse every file the module's artifact finds there."""
    acquisition = open_acquisition(path)
    try:
        return [record for file in locate(module.ARTIFACT, acquisition)
                for record in parse_file(module.ARTIFACT, module.parse, file)]
    finally:
        acquisition.close()


def sources_on(path: Path, module: Any) -> list[str]:
    acquisition = open_acquisition(path)
    try:
        return [file.source for file in locate(module.ARTIFACT, acquisition)]
    finally:
        acquisition.close()


def run_sysdiagnose(tmp_path: Path, files: dict[str, bytes], module: Any, name: str | None = None) -> list[Record]:
    builder = SysdiagnoseBuilder() if name is None else SysdiagnoseBuilder(name=name)
    for relative, data in files.items():
        builder.add(relative, data)
    return run_on(builder.build_tar(tmp_path), module)


# -- ps.txt / ps_thread.txt ------------------------------------------------------------------

PS_COLUMNS_IOS16 = ("USER", "UID", "PRSNA", "PID", "PPID", "F", "%CPU", "%MEM", "PRI", "NI", "VSZ", "RSS",
                    "WCHAN", "TT", "STAT", "STARTED", "TIME", "COMMAND")
PS_COLUMNS_IOS15 = ("USER", "UID", "PID", "PPID", "%CPU", "%MEM", "PRI", "NI", "VSZ", "RSS", "WCHAN", "TT",
                    "STAT", "STARTED", "TIME", "COMMAND")

# (user, uid, persona, pid, ppid, flags, %cpu, %mem, pri, ni, vsz, rss, wchan, tt, stat, started, time, command)
PS_ROWS = [
    ("root", "0", "-", "1", "0", "4004", "0.0", "0.0", "0", "0", "0", "0", "-", "??", "?s", "Tue09PM", "0:00.00",
     "/sbin/launchd"),
    ("mobile", "501", "1000", "235", "1", "4004", "0.3", "1.2", "31", "0", "408215040", "38560", "-", "??", "Ss",
     "Tue09PM", "0:41.33", "/System/Library/CoreServices/SpringBoard.app/SpringBoard"),
    ("mobile", "501", "1000", "812", "1", "4004", "0.0", "0.4", "31", "0", "408911872", "12464", "-", "??", "Ss",
     "10:02AM", "0:00.51", "/usr/libexec/xpcproxy com.apple.example.service"),
    ("root", "0", "-", "999", "1", "4004", "0.0", "0.1", "31", "0", "408000000", "4096", "-", "??", "Ss", "10:05AM",
     "0:00.02", "/private/var/db/com.apple.xpc.roleaccountd.staging/bh"),
    ("mobile", "501", "1000", "1203", "1", "4004", "0.0", "0.9", "31", "0", "409000000", "30000", "-", "??", "Ss",
     "10:06AM", "0:01.20",
     "/private/var/containers/Bundle/Application/2A4C7A6B-0F13-4E77-9B52-6E0F2A9B3C11/Secure Chat.app/Secure Chat"),
]


def ps_txt(rows: Sequence[Sequence[str]] = PS_ROWS, columns: Sequence[str] = PS_COLUMNS_IOS16) -> bytes:
    """A ps table with right-aligned numeric columns, COMMAND last and unpadded, as ps prints it."""
    if columns is PS_COLUMNS_IOS15:
        rows = [row[:2] + row[3:5] + row[6:] for row in rows]   # no PRSNA, no F
    widths = [max([len(columns[i])] + [len(row[i]) for row in rows]) for i in range(len(columns) - 1)]

    def line(values: Sequence[str]) -> str:
        cells = [value.ljust(widths[i]) if i == 0 else value.rjust(widths[i]) for i, value in enumerate(values[:-1])]
        return " ".join(cells) + " " + values[-1]
    return ("\n".join([line(columns), *(line(row) for row in rows)]) + "\n").encode()


PS_THREAD_COLUMNS = ("USER", "PID", "TT", "%CPU", "STAT", "PRI", "STIME", "UTIME", "COMMAND")


def ps_thread_txt(processes: Iterable[tuple[str, str, str, Sequence[str]]]) -> bytes:
    """ps -M style: a process line (USER PID TT ... COMMAND), then one line per further thread
    without TT and COMMAND. Each process is (user, pid, command, thread_states)."""
    lines = ["USER               PID   TT  %CPU STAT PRI     STIME     UTIME COMMAND"]
    for user, pid, command, threads in processes:
        lines.append(f"{user:<16} {pid:>5}   ??   0.0 {threads[0]:<4} 31T   0:00.10   0:00.20 {command}")
        for state in threads[1:]:
            lines.append(f"{user:<16} {pid:>5}        0.0 {state:<4} 31T   0:00.00   0:00.00")
    return ("\n".join(lines) + "\n").encode()


# -- .ips reports ----------------------------------------------------------------------------

def _apple_json(value: Any, indent: int | None = 2) -> str:
    # Apple's writer escapes every slash ("\/private\/var\/...").
    return json.dumps(value, indent=indent).replace("/", "\\/")


def ips(header: dict[str, Any], body: dict[str, Any] | str) -> bytes:
    """A report as the phone writes it: the header on one line, then the body (JSON or text)."""
    text = body if isinstance(body, str) else _apple_json(body)
    return (json.dumps(header, separators=(",", ":")) + "\n" + text).encode()


CRASH_PATH = "/private/var/containers/Bundle/Application/3227EEF3-1F31-43C9-B436-36630DF855D2/Slack.app/PlugIns/" \
             "ShareExtension.appex/ShareExtension"


def crash_header(**changes: Any) -> dict[str, Any]:
    header = {"app_name": "ShareExtension", "timestamp": "2024-01-25 19:25:26.00 -0500", "app_version": "23.08.20",
              "slice_uuid": "c0f91e04-6738-3a4c-b067-56f0d0b9b0d0", "adam_id": "618783545", "build_version": "434399",
              "platform": 2, "bundleID": "com.tinyspeck.chatlyio.share", "share_with_app_devs": 0,
              "is_first_party": 0, "bug_type": "309", "os_version": "iPhone OS 17.1.2 (21B101)",
              "roots_installed": 0, "name": "ShareExtension", "incident_id": "F71CCC53-3A83-4BA7-88A4-09303932E28A"}
    header.update(changes)
    return header


def crash_body(**changes: Any) -> dict[str, Any]:
    body = {
        "uptime": 3600, "procRole": "Foreground", "version": 2, "userID": 501, "deployVersion": 210,
        "modelCode": "iPhone11,8", "coalitionID": 720,
        "osVersion": {"isEmbedded": True, "train": "iPhone OS 17.1.2", "releaseType": "User", "build": "21B101"},
        "captureTime": "2024-01-25 19:25:25.7990 -0500", "codeSigningMonitor": 1,
        "incident": "F71CCC53-3A83-4BA7-88A4-09303932E28A", "pid": 748, "cpuType": "ARM-64", "roots_installed": 0,
        "bug_type": "309", "procLaunch": "2024-01-25 19:25:02.9991 -0500", "procStartAbsTime": 88216098538,
        "procExitAbsTime": 88762923984, "procName": "ShareExtension", "procPath": CRASH_PATH,
        "bundleInfo": {"CFBundleShortVersionString": "23.08.20", "CFBundleVersion": "434399",
                       "CFBundleIdentifier": "com.tinyspeck.chatlyio.share"},
        "parentProc": "launchd", "parentPid": 1, "coalitionName": "com.tinyspeck.chatlyio.share",
        "crashReporterKey": "7a9faa053cc6766d36bd3d28aaaaaaaaaaaaaaaa", "isCorpse": 1,
        "exception": {"codes": "0x0000000000000000, 0x0000000000000000", "rawCodes": [0, 0], "type": "EXC_CRASH",
                      "signal": "SIGABRT"},
        "termination": {"code": 6, "flags": 0, "namespace": "SIGNAL", "indicator": "Abort trap: 6",
                        "byProc": "ShareExtension", "byPid": 748},
        "faultingThread": 0,
        "threads": [{"triggered": True, "id": 93703, "queue": "com.apple.main-thread",
                     "frames": [{"imageOffset": 8952, "symbol": "__pthread_kill", "symbolLocation": 8,
                                 "imageIndex": 0}]}],
        "usedImages": [{"source": "P", "arch": "arm64e", "base": 7437000000, "size": 240000,
                        "uuid": "2fcd52e1-fd4e-3b2a-8fbb-1c9c4a1e57b3", "path": "/usr/lib/system/libsystem_kernel.dylib",
                        "name": "libsystem_kernel.dylib"}],
    }
    body.update(changes)
    return body


def crash_ips(**body_changes: Any) -> bytes:
    return ips(crash_header(), crash_body(**body_changes))


def legacy_crash_ips() -> bytes:
    """An iOS 13 crash report: JSON header (bug_type 109), then the text report."""
    header = {"app_name": "cyqp", "timestamp": "2020-07-29 01:39:07.00 +0800", "app_version": "1.6",
              "slice_uuid": "d17afb64-8e39-3502-b41c-b18bf7c6a380", "adam_id": 0, "build_version": "18",
              "bundleID": "qipai.guangxichangyou.com", "share_with_app_devs": 0, "is_first_party": 0,
              "bug_type": "109", "os_version": "iPhone OS 13.4.1 (17E262)",
              "incident_id": "8B8D7A5F-13CF-4943-BA6B-1B0EC51D312A", "name": "cyqp"}
    text = """Incident Identifier: 8B8D7A5F-13CF-4943-BA6B-1B0EC51D312A
CrashReporter Key:   90c92369f81f72aec2605dedd44a5d3b6370ac97
Hardware Model:      iPhone9,4
Process:             cyqp [424]
Path:                /private/var/containers/Bundle/Application/DDD157FD-8945-4E3E-86A5-80AD5393E958/cyqp.app/cyqp
Identifier:          qipai.guangxichangyou.com
Version:             18 (1.6)
Code Type:           ARM-64 (Native)
Role:                Foreground
Parent Process:      launchd [1]
Coalition:           qipai.guangxichangyou.com [562]


Date/Time:           2020-07-29 01:39:07.0825 +0800
Launch Time:         2020-07-29 01:38:59.6953 +0800
OS Version:          iPhone OS 13.4.1 (17E262)
Release Type:        User
Baseband Version:    4.02.02
Report Version:      104

Exception Type:  EXC_BAD_ACCESS (SIGSEGV)
Exception Subtype: KERN_INVALID_ADDRESS at 0x0000000000000010
Termination Signal: Segmentation fault: 11
Termination Reason: Namespace SIGNAL, Code 0xb
Triggered by Thread:  0

Thread 0 name:  Dispatch queue: com.apple.main-thread
Thread 0 Crashed:
0   libobjc.A.dylib               \t0x00000001a1e6e4a0 0x1a1e4a000 + 148640
Process:             not-the-crashed-one [1]

Binary Images:
0x100a28000 - 0x101f3ffff cyqp arm64  <f0d3a1cd2b3c3a5f9d1d4f0c1e2b3a4c> /var/containers/Bundle/Application/cyqp
"""
    return ips(header, text)


def microstackshot_ips() -> bytes:
    """An iOS 16 disk-writes resource report (bug_type 145): JSON header, then text."""
    header = {"duration_ms": "660145", "share_with_app_devs": 0, "roots_installed": 0, "bug_type": "145",
              "os_version": "iPhone OS 16.5 (20F66)", "slice_uuid": "D2F695AB-CD14-3A45-AE80-9D0900550A63",
              "is_first_party": 0, "incident_id": "665783B8-D8C3-45E9-A2A1-AC7F362A3302",
              "timestamp": "2023-06-27 02:27:33.00 -0700", "app_name": "Passcode", "name": "afcd"}
    text = """Date/Time:        2023-06-27 02:16:30.865 -0700
End time:         2023-06-27 02:27:31.009 -0700
OS Version:       iPhone OS 16.5 (Build 20F66)
Architecture:     arm64e
Report Version:   40
Incident Identifier: 665783B8-D8C3-45E9-A2A1-AC7F362A3302

Data Source:      Microstackshots
Shared Cache:     07361364-7D97-3E07-87C5-6D3C7687C968 slid base address 0x1bac90000, slide 0x3ac90000

Command:          afcd
Path:             /usr/libexec/afcd
Resource Coalition ID: 470
Architecture:     arm64e
Parent:           UNKNOWN [1]
PID:              299

Event:            disk writes
Action taken:     Read
Writes:           1074.31 MB of file backed memory dirtied over 660 seconds, exceeding limit of 12.43 KB per second

Hardware model:   iPhone12,1
Active cpus:      6

Heaviest stack for the target process:
  18  ??? (libsystem_pthread.dylib + 14340) [0x1db258804]
"""
    return ips(header, text)


def jetsam_ips() -> bytes:
    """An iOS 15 jetsam event (bug_type 298)."""
    header = {"bug_type": "298", "timestamp": "2022-07-10 01:18:15.51 +0800", "os_version": "iPhone OS 15.5 (19F77)",
              "incident_id": "893A5949-F274-434F-938F-96DF562C9486"}
    body = {
        "crashReporterKey": "1fccb167681199b571738b0f60a42574dace79ac",
        "kernel": "Darwin Kernel Version 21.5.0: Thu Apr 21 21:51:27 PDT 2022; root:xnu-8020.122.1~1/RELEASE_ARM64_T8101",
        "product": "iPhone13,2", "incident": "893A5949-F274-434F-938F-96DF562C9486",
        "date": "2022-07-10 01:18:15.51 +0800", "build": "iPhone OS 15.5 (19F77)", "timeDelta": 5,
        "memoryStatus": {"compressorSize": 55911, "pageSize": 16384,
                         "memoryPages": {"active": 55880, "free": 8686, "wired": 51160}},
        "largestProcess": "WeChat", "genCounter": 0,
        "processes": [
            {"uuid": "c5bfd6df-d788-3dd4-a585-3ad5aa26b390", "states": ["daemon", "idle"], "purgeable": 0,
             "age": 111572686953, "fds": 25, "coalition": 3457, "rpages": 84, "priority": 0,
             "physicalPages": {"internal": [3, 68]}, "pid": 85307, "cpuTime": 0.007986,
             "name": "EnforcementService", "lifetimeMax": 87},
            {"uuid": "0d8a3c1b-6c0e-3d6f-9a43-0b1c2d3e4f50", "states": ["frontmost", "resume"], "rpages": 262144,
             "priority": 10, "pid": 4021, "name": "WeChat", "reason": "per-process-limit", "lifetimeMax": 262144},
            {"states": ["daemon"], "rpages": 120, "pid": 2143, "name": "bh"},
        ],
    }
    return ips(header, body)


def stackshot_ips() -> bytes:
    """A stackshot (bug_type 288): processByPid keyed by pid."""
    header = {"bug_type": "288", "timestamp": "2024-05-02 08:00:01.00 +0200", "os_version": "iPhone OS 17.4.1 (21E236)",
              "incident_id": "0E2B6A44-8E0F-4B9B-9D8F-2C8E8F1B2A11"}
    body = {"build": "iPhone OS 17.4.1 (21E236)", "product": "iPhone14,2", "reason": "stackshot taken on request",
            "crashReporterKey": "aa", "kernel": "Darwin Kernel Version 23.4.0",
            "processByPid": {"1": {"pid": 1, "procname": "launchd", "userID": 0, "flags": ["boosted"]},
                             "612": {"pid": 612, "procname": "roleaccountd", "userID": 0}}}
    return ips(header, body)


# -- remotectl_dumpstate.txt / sysdiagnose.log -----------------------------------------------

LOCAL_PROPERTIES = {
    "AppleInternal": "false", "BoardId": "14", "BuildVersion": "21F90", "CPUArchitecture": "arm64e",
    "ChipID": "33056", "DeviceClass": "iPhone", "DeviceColor": "1", "DeviceEnclosureColor": "1",
    "HWModel": "D74AP", "HardwarePlatform": "t8120", "ModelNumber": "MQ9U3", "OSVersion": "17.5.1",
    "ProductName": "iPhone OS", "ProductType": "iPhone15,3", "RegionInfo": "HX/A", "ReleaseType": "User",
    "SerialNumber": "F2LXK0Q9N7", "UniqueChipID": "6198491719098414", "UniqueDeviceID": "00008120-001A2D3C0E91401E",
}


def remotectl_dumpstate(properties: dict[str, str] | None = None, *, product_type: str = "iPhone15,3",
                        os_build: str = "17.5.1 (21F90)", peer: bool = True) -> bytes:
    props = LOCAL_PROPERTIES if properties is None else properties
    lines = ["Local device", "\tUUID: 3B1C0F62-5D41-4C2E-9E11-7A0B8C9D0E1F", "\tMessaging Protocol Version: 3",
             f"\tProduct Type: {product_type}", f"\tOS Build: {os_build}", "\tProperties: {",
             *(f"\t\t{key} => {value}" for key, value in props.items()),
             "\t\tEncryptedRemoteXPCPopulatedOIDs => [<capacity = 2>",
             "\t\t\t0: 1.2.840.113635.100.6.83", "\t\t\t1: 1.2.840.113635.100.6.84", "\t\t]",
             "\t}", "\tServices:", "\t\tcom.apple.remote.installcoordination_proxy",
             "\t\tcom.apple.bluetooth.BTPacketLogger.shim.remote", ""]
    if peer:
        lines += ["Found ncm-0 (ncm)", "\tState: connected (connectable)", "\tUUID: 9C1F7E20-0A1B-4C3D-8E9F-0123456789AB",
                  '\tProduct Type: "MacBookPro18,1"', "\tOS Build: 14.5 (23F79)", "\tMessaging Protocol Version: 3",
                  "\tHeartbeat:", "\t\t0 heartbeats sent, 0 received", "\tProperties: {",
                  "\t\tAppleInternal => false", "\t\tCPUArchitecture => arm64e", "\t\tProductType => MacBookPro18,1",
                  "\t\tOSVersion => 14.5", "\t\tBuildVersion => 23F79", "\t}", "\tServices:",
                  "\t\tcom.apple.osanalytics.logRelay", "\t\t\tProperties: {", "\t\t\t\tUsesRemoteXPC => true",
                  "\t\t\t}", ""]
    return "\n".join(lines).encode()


def sysdiagnose_log(folder: str = "IN_PROGRESS_sysdiagnose_2024.06.01_10-00-00-0700_iPhone-OS_iPhone_21F90") -> bytes:
    return f"""2024-06-01 10:00:00: sysdiagnose version 3.0 started
2024-06-01 10:00:01: Output directory: /private/var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/{folder}.tmp
2024-06-01 10:02:10: Tar streaming from: /var/mobile/Library/Logs/CrashReporter/DiagnosticLogs/sysdiagnose/{folder}.tmp/ps.txt, to: {folder}/ps.txt
2024-06-01 10:04:40: Done
""".encode()


# -- mobile_installation.log -----------------------------------------------------------------

def mi_line(when: str, message: str, *, pid: int = 234, level: str = "notice", thread: str = "0x16b48f000") -> str:
    return f"{when} [{pid}] <{level}> ({thread}) {message}"


SIGNAL_DATA = "/private/var/mobile/Containers/Data/Application/99FCC994-C7C1-4F60-A797-0BFFB204453A"
SIGNAL_BUNDLE = "/private/var/containers/Bundle/Application/1EC20F02-263B-4299-AE05-3F5D7A7744E9"


def mobile_installation_log() -> bytes:
    """An iOS 16 mobile_installation.log: install, container moves, a reboot, an uninstall."""
    lines = [
        mi_line("Mon Apr  7 06:10:02 2025", "main: Reboot detected; cleaning up"),
        mi_line("Mon Apr  7 06:13:50 2025", "-[MIInstaller _installInstallable:containingSymlink:error:]: Installing "
                "<MIInstallableBundle ID=org.whispersystems.signal; Version=703, ShortVersion=7.53>"),
        mi_line("Mon Apr  7 06:13:51 2025", "-[MIInstallableBundle _validateApplicationIdentifierForNewBundleSigningInfo"
                ":error:]: Allowing update to app org.whispersystems.signal even though the older version does not "
                "have the application-identifier entitlement."),
        mi_line("Mon Apr  7 06:13:52 2025", "-[MIInstallableBundle _refreshUUIDForContainer:withError:]: Data container "
                f"for org.whispersystems.signal is now at {SIGNAL_DATA}"),
        mi_line("Mon Apr  7 06:13:52 2025", "-[MIContainer makeContainerLiveReplacingContainer:reason:waitForDeletion:"
                f"withError:]: Made container live for org.whispersystems.signal at {SIGNAL_BUNDLE}"),
        mi_line("Mon Apr  7 06:13:52 2025", "-[MIInstaller performInstallationWithError:]: Install Successful for "
                "(Customer:org.whispersystems.signal); Staging: 0.03s; Waiting: 0.00s; Preflight/Patch: 0.06s, "
                "Verifying: 1.03s; Overall: 1.27s"),
        mi_line("Mon Apr  7 07:40:47 2025", "-[MIUninstaller _uninstallBundleWithIdentity:linkedToChildren:"
                "waitForDeletion:uninstallReason:temporaryReference:wasLastReference:error:]: Uninstalling identifier "
                "org.whispersystems.signal", pid=446, thread="0x16fc9b000"),
        mi_line("Mon Apr  7 07:40:47 2025", "-[MIUninstaller _uninstallBundleWithIdentity:linkedToChildren:"
                "waitForDeletion:uninstallReason:temporaryReference:wasLastReference:error:]: Destroying container "
                f"org.whispersystems.signal with persona 8A4A857A-0269-4861-BE19-06B76B941887 at {SIGNAL_DATA}",
                pid=446, level="err", thread="0x16fc9b000"),
        mi_line("Mon Apr  7 07:41:00 2025", "-[MIClientConnection _doInstallationForURL:identity:domain:options:"
                "completion:]: Install of \"com.fiore.trolldecrypt\" type Customer (LSInstallType = (null), Domain: "
                "MIInstallationDomainDefault) requested by trollstorehelper (pid 454 (501/501))"),
        "continuation line of a multi-line message, kept with the line above",
    ]
    return ("\n".join(lines) + "\n").encode()


def mobile_installation_log_ios12() -> bytes:
    """An iOS 12 log: the older "Destroying container with identifier ... at ..." wording."""
    lines = [
        mi_line("Sat Jul 27 12:00:05 2019", "-[MIContainer makeContainerLiveReplacingContainer:withError:]: Made "
                "container live for com.cisco.anyconnect.applevpn.plugin at "
                "/private/var/mobile/Containers/Data/VPNPlugin/BD579B95-919D-42D5-B135-916C6BB2522F", pid=61),
        mi_line("Sat Jul 27 12:30:00 2019", "-[MIUninstaller _uninstallBundleWithIdentifier:error:]: Destroying "
                "container with identifier com.cisco.anyconnect.applevpn.plugin at "
                "/private/var/mobile/Containers/Data/VPNPlugin/BD579B95-919D-42D5-B135-916C6BB2522F", pid=61),
    ]
    return ("\n".join(lines) + "\n").encode()
