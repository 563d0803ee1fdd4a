"""Writes a real iOS backup folder: Info/Manifest/Status.plist, Manifest.db, hashed file layout.

The layout is the one Finder, iTunes and idevicebackup2 write for iOS 10 and later:
`<fileID[:2]>/<fileID>` where fileID = sha1("domain-relativePath"), and Manifest.db's
Files.file column holds an NSKeyedArchiver MBFile (binary plist) with size, mode, times.
"""

from __future__ import annotations

import hashlib
import plistlib
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.builders.sqlite import build_sqlite

MANIFEST_SCHEMA = """
CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB);
CREATE INDEX FilesDomainIdx ON Files(domain);
CREATE INDEX FilesRelativePathIdx ON Files(relativePath);
CREATE INDEX FilesFlagsIdx ON Files(flags);
CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);
"""

DEFAULT_TIME = int(datetime(2021, 7, 1, 10, 0, tzinfo=UTC).timestamp())


def mbfile_blob(relative_path: str, size: int, *, mode: int = 0o100644, modified: int = DEFAULT_TIME,
                birth: int | None = None, status_changed: int | None = None, protection_class: int = 3,
                inode: int = 1000, encryption_key: bytes | None = None, target: str | None = None) -> bytes:
    """An MBFile as NSKeyedArchiver writes it into Manifest.db (binary plist)."""
    mbfile: dict[str, Any] = {
        "$class": plistlib.UID(3),
        "Birth": birth if birth is not None else modified,
        "Flags": 0,
        "GroupID": 501,
        "InodeNumber": inode,
        "LastModified": modified,
        "LastStatusChange": status_changed if status_changed is not None else modified,
        "Mode": mode,
        "ProtectionClass": protection_class,
        "RelativePath": plistlib.UID(2),
        "Size": size,
        "UserID": 501,
    }
    objects: list[Any] = ["$null", mbfile, relative_path,
                          {"$classes": ["MBFile", "NSObject"], "$classname": "MBFile"}]
    if encryption_key is not None:
        mbfile["EncryptionKey"] = plistlib.UID(len(objects))
        objects.append({"$class": plistlib.UID(len(objects) + 1), "NS.data": encryption_key})
        objects.append({"$classes": ["NSMutableData", "NSData", "NSObject"], "$classname": "NSMutableData"})
    if target is not None:
        mbfile["Target"] = plistlib.UID(len(objects))
        objects.append(target)
    archive = {"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": plistlib.UID(1)},
               "$objects": objects}
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


@dataclass
class BackupFile:
    domain: str
    relative_path: str
    data: bytes | None          # None for a directory
    mode: int = 0o100644
    modified: int = DEFAULT_TIME
    birth: int | None = None
    protection_class: int = 3

    @property
    def file_id(self) -> str:
        return hashlib.sha1(f"{self.domain}-{self.relative_path}".encode()).hexdigest()


@dataclass
class App:
    bundle_id: str
    version: str = "1.0"
    itunes_metadata: dict[str, Any] | None = None   # None: no iTunesMetadata (not from the App Store)
    name: str = ""


@dataclass
class BackupBuilder:
    """Collects files and device facts, then `build(root)` writes the backup folder."""

    ios_version: str = "17.5.1"
    build_version: str = "21F90"
    product_type: str = "iPhone14,2"
    device_name: str = "Test iPhone"
    udid: str = "00008030-001A2B3C4D5E802E"
    serial: str = "F2LXK0AAAAAA"
    backup_date: datetime = datetime(2021, 7, 20, 9, 30, tzinfo=UTC)
    files: list[BackupFile] = field(default_factory=list)
    apps: list[App] = field(default_factory=list)
    flat_layout: bool = False      # iOS 9 and older: files at the root, not in two-hex folders

    def add_file(self, domain: str, relative_path: str, data: bytes, **attributes: Any) -> BackupFile:
        entry = BackupFile(domain, relative_path, data, **attributes)
        self.files.append(entry)
        return entry

    def add_directory(self, domain: str, relative_path: str) -> BackupFile:
        entry = BackupFile(domain, relative_path, None, mode=0o40755)
        self.files.append(entry)
        return entry

    def add_sqlite(self, domain: str, relative_path: str, schema: str,
                   rows: dict[str, list[Any]] | None = None, **attributes: Any) -> BackupFile:
        return self.add_file(domain, relative_path, build_sqlite(schema, rows), **attributes)

    def add_plist(self, domain: str, relative_path: str, value: Any, *, binary: bool = True,
                  **attributes: Any) -> BackupFile:
        fmt = plistlib.FMT_BINARY if binary else plistlib.FMT_XML
        return self.add_file(domain, relative_path, plistlib.dumps(value, fmt=fmt), **attributes)

    def add_app(self, bundle_id: str, **attributes: Any) -> App:
        app = App(bundle_id, **attributes)
        self.apps.append(app)
        return app

    # -- writing -------------------------------------------------------------------------------
    def info_plist(self) -> dict[str, Any]:
        applications = {}
        for app in self.apps:
            details: dict[str, Any] = {"PlaceholderIcon": b"\x89PNG\r\n\x1a\n"}
            if app.itunes_metadata is not None:
                details["iTunesMetadata"] = plistlib.dumps(app.itunes_metadata, fmt=plistlib.FMT_BINARY)
                details["ApplicationSINF"] = b"\x00\x00\x00\x10sinf"
            applications[app.bundle_id] = details
        return {
            "Applications": applications,
            "Build Version": self.build_version,
            "Device Name": self.device_name,
            "Display Name": self.device_name,
            "GUID": uuid.uuid5(uuid.NAMESPACE_DNS, self.udid).hex.upper(),
            "IMEI": "356789012345678",
            "Installed Applications": [app.bundle_id for app in self.apps],
            "Last Backup Date": self.backup_date.replace(tzinfo=None),
            "Product Name": "iPhone",
            "Product Type": self.product_type,
            "Product Version": self.ios_version,
            "Serial Number": self.serial,
            "Target Identifier": self.udid,
            "Target Type": "Device",
            "Unique Identifier": self.udid,
            "iTunes Version": "12.13.2.3",
        }

    def manifest_plist(self, encrypted: bool = False) -> dict[str, Any]:
        return {
            "Applications": {
                app.bundle_id: {
                    "CFBundleIdentifier": app.bundle_id,
                    "CFBundleVersion": app.version,
                    "ContainerContentClass": "Data/Application",
                    "Path": f"/private/var/containers/Bundle/Application/{uuid.uuid5(uuid.NAMESPACE_DNS, app.bundle_id)}"
                            f"/{app.name or app.bundle_id.split('.')[-1]}.app",
                } for app in self.apps
            },
            "BackupKeyBag": b"",
            "Date": self.backup_date.replace(tzinfo=None),
            "IsEncrypted": encrypted,
            "Lockdown": {
                "BuildVersion": self.build_version,
                "DeviceName": self.device_name,
                "ProductType": self.product_type,
                "ProductVersion": self.ios_version,
                "SerialNumber": self.serial,
                "UniqueDeviceID": self.udid,
                "com.apple.MobileDeviceCrashCopy": {},
                "com.apple.TerminalFlashr": {},
                "com.apple.mobile.data_sync": {},
                "com.apple.Accessibility": {},
            },
            "SystemDomainsVersion": "24.0",
            "Version": "10.0",
            "WasPasscodeSet": True,
        }

    def status_plist(self) -> dict[str, Any]:
        return {
            "BackupState": "new",
            "Date": self.backup_date.replace(tzinfo=None),
            "IsFullBackup": False,
            "SnapshotState": "finished",
            "UUID": str(uuid.uuid5(uuid.NAMESPACE_URL, self.udid)).upper(),
            "Version": "3.3",
        }

    def manifest_rows(self) -> list[tuple[str, str, str, int, bytes]]:
        rows = []
        for inode, entry in enumerate(self.files, start=1000):
            size = len(entry.data) if entry.data is not None else 0
            blob = mbfile_blob(entry.relative_path, size, mode=entry.mode, modified=entry.modified,
                               birth=entry.birth, protection_class=entry.protection_class, inode=inode)
            flags = 1 if entry.data is not None else 2
            rows.append((entry.file_id, entry.domain, entry.relative_path, flags, blob))
        return rows

    def build(self, root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        for entry in self.files:
            if entry.data is None:
                continue
            target = root / entry.file_id if self.flat_layout else root / entry.file_id[:2] / entry.file_id
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(entry.data)
        (root / "Info.plist").write_bytes(plistlib.dumps(self.info_plist(), fmt=plistlib.FMT_XML))
        (root / "Manifest.plist").write_bytes(plistlib.dumps(self.manifest_plist(), fmt=plistlib.FMT_BINARY))
        (root / "Status.plist").write_bytes(plistlib.dumps(self.status_plist(), fmt=plistlib.FMT_BINARY))
        (root / "Manifest.db").write_bytes(self.manifest_db())
        return root

    def manifest_db(self) -> bytes:
        def populate(connection: sqlite3.Connection) -> None:
            connection.executemany("INSERT INTO Files VALUES (?, ?, ?, ?, ?)", self.manifest_rows())
        return build_sqlite(MANIFEST_SCHEMA, populate=populate)


def concrete_device_path(pattern: str) -> str:
    """One device path a device-path glob matches: `**` as no folder, `*` and `?` as x, a
    container `{id}` as that identifier."""
    parts = []
    for component in pattern[1:].split("/"):
        if component == "**":
            continue
        if component.startswith("{") and component.endswith("}"):
            component = component[1:-1]
        parts.append(component.replace("*", "x").replace("?", "x"))
    return "/" + "/".join(parts)


def backup_location(device_path: str) -> tuple[str, str]:
    """Where a backup keeps the file at `device_path`: (domain, relativePath), by the domain
    table spyglass reads backups with (the first domain of a device folder, HomeDomain for
    /private/var/mobile; an app, group or system container by its identifier)."""
    from spyglass.acquisitions.ios_backup import DOMAIN_PREFIX_ROOTS, DOMAIN_ROOTS

    for prefix, base in DOMAIN_PREFIX_ROOTS.items():
        if device_path.startswith(base):
            identifier, _, rest = device_path[len(base):].partition("/")
            return prefix + identifier, rest
    for domain, root in DOMAIN_ROOTS.items():
        if device_path.startswith(root + "/"):
            return domain, device_path[len(root) + 1:]
    raise ValueError(f"{device_path}: no backup domain keeps this folder")
