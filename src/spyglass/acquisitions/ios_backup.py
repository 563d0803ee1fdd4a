"""iOS backup made by Finder, iTunes or libimobiledevice's idevicebackup2.

Layout: a folder named after the device UDID holding Info.plist, Manifest.plist,
Status.plist and Manifest.db. Manifest.db's Files table maps (domain, relativePath) to
fileID = sha1("domain-relativePath"); the file's bytes are at `<fileID[:2]>/<fileID>`
(flat `<fileID>` before iOS 10). The `file` column is an NSKeyedArchiver MBFile with
size, mode, MACB times and, in encrypted backups, the file's wrapped key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from spyglass.acquisitions.base import (
    IOS_BACKUP,
    Acquisition,
    EvidenceFile,
    FileEntry,
    hash_file,
    read_file_bounded,
)
from spyglass.acquisitions.devpath import DevicePattern, sql_glob
from spyglass.bplist import read_mbfile
from spyglass.errors import EvidenceError, MissingFromAcquisition, SpyglassError
from spyglass.limits import MAX_PLIST_BYTES, MAX_SQLITE_BYTES
from spyglass.plists import is_keyed_archive, load_plist, unarchive
from spyglass.sqlite import SQLITE_MAGIC, Database
from spyglass.timestamps import unix_time

META_FILES = ("Info.plist", "Manifest.plist", "Status.plist", "Manifest.db")

# Where each backup domain lives on the device, so records name the real device path.
DOMAIN_ROOTS = {
    "HomeDomain": "/private/var/mobile",
    "MediaDomain": "/private/var/mobile",
    "CameraRollDomain": "/private/var/mobile",
    "KeyboardDomain": "/private/var/mobile",
    "TonesDomain": "/private/var/mobile",
    "BooksDomain": "/private/var/mobile",
    "HealthDomain": "/private/var/mobile",
    "RootDomain": "/private/var/root",
    "WirelessDomain": "/private/var/wireless",
    "SystemPreferencesDomain": "/private/var/preferences",
    "ManagedPreferencesDomain": "/private/var/Managed Preferences",
    "KeychainDomain": "/private/var/Keychains",
    "DatabaseDomain": "/private/var/db",
    "MobileDeviceDomain": "/private/var/MobileDevice",
    "ProtectedDomain": "/private/var/protected",
    "InstallDomain": "/private/var/installd",
    "NetworkDomain": "/private/var/networkd",
}
DOMAIN_PREFIX_ROOTS = {
    "AppDomainGroup-": "/private/var/mobile/Containers/Shared/AppGroup/",
    "AppDomainPlugin-": "/private/var/mobile/Containers/Data/PluginKitPlugin/",
    "AppDomain-": "/private/var/mobile/Containers/Data/Application/",
    "SysSharedContainerDomain-": "/private/var/containers/Shared/SystemGroup/",
    "SysContainerDomain-": "/private/var/containers/Data/System/",
}

# Backup domains of app, extension and system containers: artifacts any container may hold
# (WebKit data, for one) are looked up in all of them.
CONTAINER_DOMAINS = ("AppDomain-*", "AppDomainGroup-*", "AppDomainPlugin-*", "SysContainerDomain-*",
                     "SysSharedContainerDomain-*")

FLAG_FILE, FLAG_DIRECTORY, FLAG_SYMLINK = 1, 2, 4
FLAG_KINDS = {FLAG_FILE: "file", FLAG_DIRECTORY: "directory", FLAG_SYMLINK: "symlink"}


def _manifest_globs(pattern: DevicePattern) -> list[tuple[tuple[str, ...], str]]:
    """(domain globs, relativePath glob) pairs in SQLite GLOB syntax, that together list every
    Manifest row the device-path `pattern` can match (and some more, matched out after)."""
    by_rest: dict[str, list[str]] = {}
    for domain, root in DOMAIN_ROOTS.items():
        for rest, _container in pattern.under(root):
            by_rest.setdefault(sql_glob(rest), []).append(domain)
    for prefix, base in DOMAIN_PREFIX_ROOTS.items():
        # A container folder is a UUID on the phone and the identifier in the domain's name.
        for rest, container in pattern.under(base + "{}"):
            by_rest.setdefault(sql_glob(rest), []).append(prefix + (container or "*"))
    return [(tuple(dict.fromkeys(domains)), rest) for rest, domains in by_rest.items()]


def file_id(domain: str, relative_path: str) -> str:
    return hashlib.sha1(f"{domain}-{relative_path}".encode()).hexdigest()


def device_path(domain: str, relative_path: str) -> str:
    root = DOMAIN_ROOTS.get(domain)
    if root is None:
        for prefix, base in DOMAIN_PREFIX_ROOTS.items():
            if domain.startswith(prefix):
                root = base + domain[len(prefix):]
                break
    if root is None:
        return f"{domain}/{relative_path}"
    return f"{root}/{relative_path}" if relative_path else root


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    file_id: str
    domain: str
    relative_path: str
    flags: int
    blob: bytes | None

    @property
    def source(self) -> str:
        return f"{self.domain}/{self.relative_path}"


def parse_mbfile(blob: bytes | None) -> dict[str, Any]:
    """The MBFile properties of a Manifest.db `file` blob: size, mode, times, key, class.

    Times are Unix seconds on the device. A corrupt blob gives an empty dict, not an error:
    the entry itself (domain, path) is still evidence.
    """
    if not blob:
        return {}
    resolved: Any = read_mbfile(blob)
    if resolved is None:
        try:
            archive = load_plist(blob, "MBFile")
            resolved = unarchive(archive, "MBFile") if is_keyed_archive(archive) else archive
        except EvidenceError:
            return {}
    if not isinstance(resolved, dict):
        return {}
    meta: dict[str, Any] = {}
    for key, name in (("Size", "size"), ("Mode", "mode"), ("UserID", "uid"), ("GroupID", "gid"),
                      ("InodeNumber", "inode"), ("ProtectionClass", "protection_class"),
                      ("Flags", "flags"), ("LastModified", "modified"),
                      ("LastStatusChange", "status_changed"), ("Birth", "birth"),
                      ("Target", "target")):
        value = resolved.get(key)
        if value is not None and not isinstance(value, dict | list):
            meta[name] = value
    key_blob = resolved.get("EncryptionKey")
    if isinstance(key_blob, bytes):
        meta["encryption_key"] = key_blob
    return meta


def mbfile_times(meta: dict[str, Any]) -> dict[str, Any]:
    return {name: unix_time(meta.get(name)) for name in ("modified", "status_changed", "birth")}


class IOSBackup(Acquisition):
    """An iOS backup folder (plain; encrypted ones are unlocked by `spyglass.acquisitions.ios_crypto`)."""

    kind = IOS_BACKUP

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        # Every blob must resolve to a path below the real root: a linked folder cannot lead out.
        self.real_root = root.resolve()
        self.meta_errors: dict[str, str] = {}
        self.info = self._meta_plist("Info.plist")
        self.manifest = self._meta_plist("Manifest.plist")
        self.status = self._meta_plist("Status.plist")
        self.encrypted = bool(self.manifest.get("IsEncrypted"))
        self.decryptor: Any = None
        if self.encrypted:
            self.decryptor = self._unlock(secrets)
        self.database = self._open_manifest_db()
        self.device = self._device()
        self.device_error = self.meta_errors.get("Info.plist")
        self.facts = {"backup_date": self.info.get("Last Backup Date"), "itunes_version": self.info.get("iTunes Version")}

    @classmethod
    def probe(cls, path: Path) -> bool:
        return path.is_dir() and (path / "Manifest.db").is_file() and (
            (path / "Info.plist").is_file() or (path / "Manifest.plist").is_file())

    # -- opening ---------------------------------------------------------------------------
    def _meta_plist(self, name: str) -> dict[str, Any]:
        """One of the plists beside Manifest.db, or {} when it is absent or damaged.

        A damaged one is recorded (a warning, and an error of the module that reads it) and the
        databases are still checked; only an encrypted backup's Manifest.plist, which holds the
        keybag, is needed to go on.
        """
        path = self.root / name
        if not path.exists():
            return {}
        try:
            data = read_file_bounded(path, MAX_PLIST_BYTES, name)
            self.record_input(name, hashlib.sha256(data).hexdigest(), len(data))
            value = load_plist(data, name)
            del data
            if not isinstance(value, dict):
                raise EvidenceError(f"{name}: expected a dictionary at the top")
        except EvidenceError as exc:
            if name == "Manifest.plist" and not self._manifest_db_is_plain():
                raise
            self.meta_errors[name] = str(exc)
            self.warnings.append(f"{exc}; the check went on without it")
            return {}
        return value

    def _manifest_db_is_plain(self) -> bool:
        try:
            with (self.root / "Manifest.db").open("rb") as handle:
                return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
        except OSError:
            return False

    def _unlock(self, secrets: Any) -> Any:
        try:
            from spyglass.acquisitions.ios_crypto import BackupDecryptor
        except ImportError as exc:
            raise SpyglassError("This backup is encrypted; encrypted backups are not supported yet") from exc
        return BackupDecryptor.unlock(self, secrets)

    def _open_manifest_db(self) -> Database:
        path = self.root / "Manifest.db"
        try:
            if self.decryptor is None:
                # Plain: opened in place, read-only and immutable; a full phone's Manifest.db is
                # hundreds of megabytes and need not be copied into memory.
                self.record_input("Manifest.db", *hash_file(path, MAX_SQLITE_BYTES, "Manifest.db"))
                database = Database.open_file(path, "Manifest.db")
            else:
                data = read_file_bounded(path, MAX_SQLITE_BYTES, "Manifest.db")
                self.record_input("Manifest.db", hashlib.sha256(data).hexdigest(), len(data))
                plain = self.decryptor.decrypt_manifest(data)
                del data   # the ciphertext is not needed beside the plaintext and SQLite's copy
                database = Database(plain, "Manifest.db")
                del plain
            database.require({"Files": {"fileID", "domain", "relativePath", "flags", "file"}})
        except EvidenceError as exc:
            raise EvidenceError(f"The backup's Manifest.db cannot be read: {exc}") from exc
        return database

    def _device(self) -> dict[str, Any]:
        info, lockdown = self.info, self.manifest.get("Lockdown") or {}
        if not isinstance(lockdown, dict):
            lockdown = {}

        def pick(*keys: str) -> Any:
            for key in keys:
                value = info.get(key, lockdown.get(key))
                if value not in (None, ""):
                    return value
            return None

        backup_date = info.get("Last Backup Date") or self.manifest.get("Date") or self.status.get("Date")
        device = {
            "name": pick("Device Name", "DeviceName"),
            "model": pick("Product Type", "ProductType"),
            "os": "iOS",
            "os_version": pick("Product Version", "ProductVersion"),
            "build": pick("Build Version", "BuildVersion"),
            "serial": pick("Serial Number", "SerialNumber"),
            "udid": pick("Unique Identifier", "UniqueDeviceID", "Target Identifier") or self.root.name,
            "imei": pick("IMEI"),
            "phone_number": pick("Phone Number"),
            "backup_date": backup_date.isoformat() if hasattr(backup_date, "isoformat") else backup_date,
            "encrypted": self.encrypted,
        }
        return {k: v for k, v in device.items() if v is not None}

    # -- the interface -----------------------------------------------------------------------
    def entries(self, domain: str = "*", relative_path: str = "*",
                flags: int | None = FLAG_FILE) -> Iterator[ManifestEntry]:
        """Manifest rows whose domain and relativePath match the globs (SQLite GLOB syntax)."""
        query = "SELECT fileID, domain, relativePath, flags, file FROM Files WHERE domain GLOB ? AND relativePath GLOB ?"
        params: tuple[Any, ...] = (domain, relative_path)
        if flags is not None:
            query += " AND flags = ?"
            params += (flags,)
        for row in self.database.rows(query + " ORDER BY domain, relativePath", params):
            yield ManifestEntry(str(row[0] or ""), str(row[1] or ""), str(row[2] or ""),
                                int(row[3] or 0), row[4] if isinstance(row[4], bytes) else None)

    def entry(self, domain: str, relative_path: str) -> ManifestEntry | None:
        for row in self.database.rows(
                "SELECT fileID, domain, relativePath, flags, file FROM Files WHERE domain = ? AND relativePath = ?",
                (domain, relative_path)):
            return ManifestEntry(str(row[0]), str(row[1]), str(row[2]), int(row[3] or 0),
                                 row[4] if isinstance(row[4], bytes) else None)
        return None

    def evidence_file(self, entry: ManifestEntry) -> EvidenceFile:
        meta = parse_mbfile(entry.blob)
        return EvidenceFile(self, entry.source, device_path(entry.domain, entry.relative_path),
                            meta.get("size"), meta, entry)

    def files(self, pattern: DevicePattern) -> list[EvidenceFile]:
        """Files at a device-path glob: the glob turned into (domain, relativePath) globs for
        every domain whose device folder it reaches, then matched exactly on the device path."""
        found: dict[str, EvidenceFile] = {}
        for domains, relative_glob in _manifest_globs(pattern):
            for entry in self._entries_in(domains, relative_glob):
                if entry.source not in found and pattern.match(device_path(entry.domain, entry.relative_path)):
                    found[entry.source] = self.evidence_file(entry)
        return sorted(found.values(), key=lambda file: file.source)

    def _entries_in(self, domains: tuple[str, ...], relative_glob: str) -> Iterator[ManifestEntry]:
        where = " OR ".join("domain GLOB ?" for _ in domains)
        query = (f"SELECT fileID, domain, relativePath, flags, file FROM Files WHERE ({where}) "
                 "AND relativePath GLOB ? AND flags = ?")
        for row in self.database.rows(query, (*domains, relative_glob, FLAG_FILE)):
            yield ManifestEntry(str(row[0] or ""), str(row[1] or ""), str(row[2] or ""),
                                int(row[3] or 0), row[4] if isinstance(row[4], bytes) else None)

    def listing(self) -> Iterator[FileEntry]:
        """Every Manifest.db row (files, folders, links) with its MBFile size, mode and times."""
        for entry in self.entries(flags=None):
            meta = parse_mbfile(entry.blob)
            yield FileEntry(
                source=entry.source, device_path=device_path(entry.domain, entry.relative_path),
                kind=FLAG_KINDS.get(entry.flags, str(entry.flags)), size=meta.get("size"), mode=meta.get("mode"),
                modified=meta.get("modified"), changed=meta.get("status_changed"), born=meta.get("birth"),
                name=PurePosixPath(entry.relative_path).name,
                details={"file_id": entry.file_id, "domain": entry.domain, "relative_path": entry.relative_path})

    def whole_source(self, what: str) -> str | None:
        name = {"listing": "Manifest.db", "device": "Info.plist"}.get(what)
        return name if name is not None and (self.root / name).is_file() else None

    def sqlite(self, file: EvidenceFile) -> Database:
        """Plain backup files without a -wal are opened in place; others deserialised in memory."""
        if self.decryptor is None and isinstance(file.key, ManifestEntry) and not self.companion(file, "-wal"):
            path = self.blob_path(file.key)
            if path is None:
                raise MissingFromAcquisition(f"{file.source}: listed in Manifest.db but missing from the backup "
                                             f"(file {file.key.file_id})")
            if file.source not in self.inputs:
                self.record_input(file.source, *hash_file(path, MAX_SQLITE_BYTES, file.source))
            return Database.open_file(path, file.source)
        return super().sqlite(file)

    def companion(self, file: EvidenceFile, suffix: str) -> EvidenceFile | None:
        if not isinstance(file.key, ManifestEntry):
            return None
        entry = self.entry(file.key.domain, file.key.relative_path + suffix)
        return self.evidence_file(entry) if entry and entry.flags == FLAG_FILE else None

    def blob_path(self, entry: ManifestEntry) -> Path | None:
        fid = entry.file_id.lower()
        if len(fid) != 40 or any(c not in "0123456789abcdef" for c in fid):
            raise EvidenceError(f"{entry.source}: malformed fileID {entry.file_id!r}")
        for relative in (Path(fid[:2], fid), Path(fid)):
            candidate = self.root / relative
            if not candidate.is_file():
                continue
            # A link anywhere on the way (the file, or its two-hex-digit folder) would lead
            # the read out of the evidence: the real path must be the one the layout gives.
            if candidate.resolve() != self.real_root / relative:
                raise EvidenceError(f"{entry.source}: its file {relative.as_posix()} is reached through a "
                                    "link; refused (a backup holds no links)")
            return candidate
        return None

    def _read(self, file: EvidenceFile, limit: int, mutable: bool = False) -> bytes | bytearray:
        if isinstance(file.key, Path):
            data = read_file_bounded(file.key, limit, file.source, mutable)
            if self.decryptor is not None and file.source == "Manifest.db":
                return self.decryptor.decrypt_manifest(data)
            return data
        entry: ManifestEntry = file.key
        path = self.blob_path(entry)
        if path is None:
            raise MissingFromAcquisition(f"{entry.source}: listed in Manifest.db but missing from the backup "
                                         f"(file {entry.file_id})")
        if self.decryptor is not None:
            return self.decryptor.read_file(path, file, limit, mutable)
        return read_file_bounded(path, limit, file.source, mutable)

    def installed_apps(self) -> list[dict[str, Any]]:
        """Applications named by Info.plist and Manifest.plist, with what each says of them:
        `listed` (Info.plist has an entry for it) and its raw `itunes_metadata` where kept."""
        apps: dict[str, dict[str, Any]] = {}
        for bundle_id in self.info.get("Installed Applications") or []:
            if isinstance(bundle_id, str):
                apps.setdefault(bundle_id, {"bundle_id": bundle_id})
        manifest_apps = self.manifest.get("Applications") or {}
        if isinstance(manifest_apps, dict):
            for bundle_id, details in manifest_apps.items():
                app = apps.setdefault(str(bundle_id), {"bundle_id": str(bundle_id)})
                if isinstance(details, dict):
                    for key in ("CFBundleVersion", "ContainerContentClass", "Path"):
                        if isinstance(details.get(key), str):
                            app[key] = details[key]
        info_apps = self.info.get("Applications")
        for bundle_id, entry in (info_apps.items() if isinstance(info_apps, dict) else ()):
            app = apps.setdefault(str(bundle_id), {"bundle_id": str(bundle_id)})
            if isinstance(entry, dict):
                app["listed"] = True
                if entry.get("iTunesMetadata") is not None:
                    app["itunes_metadata"] = entry["iTunesMetadata"]
        return sorted(apps.values(), key=lambda a: a["bundle_id"])

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described["encrypted"] = self.encrypted
        if self.decryptor is not None:
            described["decryption"] = self.decryptor.describe()
        return described

    def close(self) -> None:
        self.database.close()
