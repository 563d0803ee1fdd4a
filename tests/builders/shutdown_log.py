"""shutdown.log written in code, in the format iOS writes it (see the shutdown_log module's
sources): per reboot, "After N.NNs, these clients are still here:" notices, each followed by
tab-indented "remaining client pid: <pid> (<path>)" lines, then "SIGTERM: [<Unix seconds>]"
closing the reboot. iOS 26 names the file shutdown.0.log and appends the binary's UUID to
each client path (mvt-project/mvt issue #830; iAnonymous3000/tracescan, whose test mirrors a
real iOS 26.5.2 capture, for the "/kernel/<UUID>" and "/usr/sbin/filecoordinationd/<UUID>"
clients)."""

from __future__ import annotations

from dataclasses import dataclass, field

DEVICE_PATH = "private/var/db/diagnostics/shutdown.log"
DEVICE_PATH_ROTATED = "private/var/db/diagnostics/shutdown.0.log"
SYSDIAGNOSE_PATH = "system_logs.logarchive/Extra/shutdown.log"
SYSDIAGNOSE_PATH_ROTATED = "system_logs.logarchive/Extra/shutdown.0.log"
IOS26_SYSDIAGNOSE = "sysdiagnose_2026.01.02_10-00-00-0800_iPhone-OS_iPhone_23C55"

# Clients iOS itself leaves running at shutdown, and the locations spyware delayed reboots from
# (Kaspersky's iShutdown research: Pegasus under /private/var/db/, Predator under /private/var/tmp/).
FILECOORDINATIOND = "/usr/sbin/filecoordinationd"
NFCD = "/usr/libexec/nfcd"
MEDIAREMOTED = "/System/Library/PrivateFrameworks/MediaRemote.framework/Support/mediaremoted"
WHATSAPP = "/private/var/containers/Bundle/Application/3B5C2A1E-7F4D-4E8A-9C1B-2D6E8F0A1B3C/WhatsApp.app/WhatsApp"
MAIL = "/Applications/MobileMail.app/MobileMail"
PEGASUS = "/private/var/db/com.apple.xpc.roleaccountd.staging/rolexd"
PREDATOR = "/private/var/tmp/agentd"
MOBILE_LIBRARY = "/private/var/mobile/Library/Caches/com.apple.nsurlsessiond/helperd"

# 2024-01-05, 2024-01-15 09:30, 2024-02-01 and 2024-02-15, all UTC.
REBOOT_TIMES = (1704412800, 1705311000, 1706745600, 1707955200)
IOS26_REBOOT = 1767225600     # 2026-01-01 00:00 UTC
UUID_FILECOORDINATIOND = "EBFB3E7F-4CA4-3656-8E9C-8CCF5995C34A"
UUID_KERNEL = "D504008E-47BE-3030-836A-E692031BB4AE"
UUID_ROLEXD = "5C1A9E2B-0D3F-3A47-B8E6-1F2C3D4E5A6B"


@dataclass
class Notice:
    delay: float
    clients: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Reboot:
    notices: list[Notice] = field(default_factory=list)
    sigterm: int | None = None     # None: the log ends inside this shutdown


def shutdown_log_text(reboots: list[Reboot], indent: str = "\t\t") -> bytes:
    lines = []
    for reboot in reboots:
        for notice in reboot.notices:
            lines.append(f"After {notice.delay:.2f}s, these clients are still here:")
            lines.extend(f"{indent}remaining client pid: {pid} ({path})" for pid, path in notice.clients)
        if reboot.sigterm is not None:
            lines.append(f"SIGTERM: [{reboot.sigterm}] All buffers flushed")
    return ("\n".join(lines) + "\n").encode()


def classic_reboots() -> list[Reboot]:
    """Four reboots of an iOS 17 phone: the log's first line closes a reboot whose notices were
    cut off; two reboots held up by ordinary clients; one by spyware in the locations Kaspersky
    names, with four notices (iShutdown_detect flags three or more)."""
    return [
        Reboot(sigterm=REBOOT_TIMES[0]),
        Reboot([Notice(0.53, [(153, FILECOORDINATIOND), (88, NFCD), (1204, WHATSAPP)]),
                Notice(1.04, [(153, FILECOORDINATIOND)])], REBOOT_TIMES[1]),
        Reboot([Notice(0.51, [(153, FILECOORDINATIOND), (2143, PEGASUS), (2150, PREDATOR)]),
                Notice(1.02, [(2143, PEGASUS), (2150, PREDATOR), (2188, MOBILE_LIBRARY)]),
                Notice(2.04, [(2143, PEGASUS)]),
                Notice(3.06, [(2143, PEGASUS)])], REBOOT_TIMES[2]),
        Reboot([Notice(0.50, [(97, MEDIAREMOTED), (612, MAIL), (1840, PEGASUS)])], REBOOT_TIMES[3]),
    ]


def classic_log() -> bytes:
    return shutdown_log_text(classic_reboots())


def ios26_log(with_spyware: bool = False) -> bytes:
    """shutdown.0.log as an iOS 26 phone writes it: client paths end in the binary's UUID. One
    reboot here (the file need not hold only one: see the module)."""
    first = [(153, f"{FILECOORDINATIOND}/{UUID_FILECOORDINATIOND}"), (0, f"/kernel/{UUID_KERNEL}")]
    if with_spyware:
        first.append((2143, f"{PEGASUS}/{UUID_ROLEXD}"))
    return shutdown_log_text([Reboot([Notice(1.26, first),
                                 Notice(1.77, [(153, f"{FILECOORDINATIOND}/{UUID_FILECOORDINATIOND}")])],
                                IOS26_REBOOT)])
