"""Programs and launchd jobs in a full-filesystem dump, for the unexpected_executables module.

Mach-O headers as mach-o/loader.h and mach-o/fat.h lay them out (magic, cputype, cpusubtype,
filetype, ...; a fat header: magic and the number of architectures, big-endian), launchd
jobs as launchd.plist(5) has them, the files of a normal phone's data folders beside them,
and the mode bits a dump keeps (set on the folder after it is written, as a copy made with
`tar -p` or `cp -a` has them).
"""

from __future__ import annotations

import os
import plistlib
import struct
from collections.abc import Mapping
from pathlib import Path

from tests.builders.ios_fs import FilesystemBuilder, system_version

MH_MAGIC_64, MH_MAGIC, FAT_MAGIC = 0xFEEDFACF, 0xFEEDFACE, 0xCAFEBABE
CPU_TYPE_ARM64, CPU_TYPE_ARM = 0x0100000C, 12
MH_EXECUTE, MH_DYLIB = 2, 6


def macho(file_type: int = MH_EXECUTE, cpu: int = CPU_TYPE_ARM64, magic: int = MH_MAGIC_64, pad: int = 4096) -> bytes:
    """A thin Mach-O: the little-endian header an iPhone's arm64 binaries begin with, then bytes."""
    header = struct.pack("<IiiIIII", magic, cpu, 0, file_type, 0, 0, 0)
    return header + (struct.pack("<I", 0) if magic == MH_MAGIC_64 else b"") + b"\0" * pad


def fat_macho(architectures: int = 2) -> bytes:
    """A universal binary's fat header (big-endian) with `architectures` fat_arch entries."""
    entries = b"".join(struct.pack(">iiIII", CPU_TYPE_ARM64, 0, 4096 * (i + 1), 64, 14) for i in range(architectures))
    return struct.pack(">II", FAT_MAGIC, architectures) + entries + b"\0" * 256


def java_class() -> bytes:
    """A Java class file: the same CAFEBABE magic, then minor and major version (52: Java 8)."""
    return struct.pack(">IHH", FAT_MAGIC, 0, 52) + b"\0" * 64


def launch_job(label: str, program: str | None = None, arguments: list[str] | None = None,
               binary: bool = False) -> bytes:
    job: dict[str, object] = {"Label": label, "RunAtLoad": True, "KeepAlive": True}
    if program is not None:
        job["Program"] = program
    if arguments is not None:
        job["ProgramArguments"] = arguments
    return plistlib.dumps(job, fmt=plistlib.FMT_BINARY if binary else plistlib.FMT_XML)


def normal_phone() -> FilesystemBuilder:
    """The data folders of a phone with nothing planted: databases, preferences, caches, logs,
    Apple's programs on the system volume and an installed app's bundle."""
    dump = FilesystemBuilder()
    dump.add("System/Library/CoreServices/SystemVersion.plist", system_version("17.5.1", "21F90"))
    dump.add("usr/libexec/nehelper", macho())
    dump.add("private/var/staged_system_apps/Home.app/Home", macho())
    app = dump.container("private/var/containers/Bundle/Application", "org.whispersystems.signal")
    dump.add(f"{app}/Signal.app/Signal", fat_macho())
    dump.add("private/var/wireless/Library/Databases/DataUsage.sqlite", b"SQLite format 3\0" + b"\0" * 84)
    dump.add("private/var/mobile/Library/Preferences/com.apple.springboard.plist",
             plistlib.dumps({"SBAutoLockTime": 30}, fmt=plistlib.FMT_BINARY))
    dump.add("private/var/root/Library/Preferences/com.apple.coreduetd.plist",
             plistlib.dumps({"ContextStoreVersion": 4}))
    dump.add("private/var/db/com.apple.xpc.launchd/disabled.plist", plistlib.dumps({"com.apple.ftp-proxy": True}))
    dump.add("private/var/db/uuidtext/1F/0A2B3C4D5E6F708192A3B4C5D6E7F8", b"\x99\x88\x77\x66" + b"\0" * 60)
    dump.add("private/var/mobile/Library/Caches/com.apple.nsurlsessiond/fsCachedData/6E1A3DC1", b"<html></html>")
    dump.add("private/var/mobile/Library/Logs/CrashReporter/stacks-2024-01-01.ips", b'{"bug_type":"288"}\n')
    dump.add("private/var/mobile/Library/Mobile Documents/com~apple~CloudDocs/tool", macho())   # iCloud Drive
    dump.add("private/var/mobile/Library/SMS/Attachments/0a/10/ABC/program", macho())        # received
    dump.add("private/var/tmp/com.apple.mobileassetd.cache", b"cache")
    return dump


def build(dump: FilesystemBuilder, root: Path, modes: Mapping[str, int] | None = None, prefix: str = "") -> Path:
    """Write the dump as a folder and give the listed device paths their mode bits."""
    dump.build_folder(root, prefix)
    for device_path, mode in (modes or {}).items():
        os.chmod(root / prefix / device_path.lstrip("/"), mode)
    return root
