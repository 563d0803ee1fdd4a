"""iOS backup made by Finder, iTunes or libimobiledevice's idevicebackup2.

Layout: a folder named after the device UDID holding Info.plist, Manifest.plist,
Status.plist and Manifest.db. Manifest.db's Files table maps (domain, relativePath) to
fileID = sha1("domain-relativePath"); the file's bytes are at `<fileID[:2]>/<fileID>`
(flat `<fileID>` before iOS 10). The `file` column is an NSKeyedArchiver MBFile with
size, mode, MACB times and, in encrypted backups, the file's wrapped key.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spyglass.acquisitions.base import (
    IOS_BACKUP,
    Acquisition,
    EvidenceFile,
    FileEntry,
    hash_file,
    read_file_bounded,
)
from spyglass.acquisitions.containers import FILE, Container, open_container, probe_paths
from spyglass.acquisitions.devpath import DevicePattern, path_name, sql_glob
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


# Text read as BLOB and decoded here, with replacement characters where it is not UTF-8: the
# same on every connection (a page-served one has no text factory to do it).
ENTRY_COLUMNS = ("CAST(fileID AS BLOB), CAST(domain AS BLOB), CAST(relativePath AS BLOB), "
                 "CAST(flags AS INTEGER), CAST(file AS BLOB)")


LISTING_QUERY = f"SELECT {ENTRY_COLUMNS} FROM Files"   # see IOSBackup.listing


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


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

    @classmethod
    def of(cls, row: Any) -> ManifestEntry:
        """The entry of a (fileID, domain, relativePath, flags, file) row."""
        file_id, domain, relative_path, flags, blob = row     # unpacked once, not indexed five times
        return cls(_text(file_id), _text(domain), _text(relative_path), int(flags or 0),
                   blob if isinstance(blob, bytes) else None)


MBFILE_NAMES = (("Size", "size"), ("Mode", "mode"), ("UserID", "uid"), ("GroupID", "gid"),
                ("InodeNumber", "inode"), ("ProtectionClass", "protection_class"), ("Flags", "flags"),
                ("LastModified", "modified"), ("LastStatusChange", "status_changed"), ("Birth", "birth"),
                ("Target", "target"))
MBFILE_KEYS = frozenset({key for key, _ in MBFILE_NAMES} | {"EncryptionKey"})


def parse_mbfile(blob: bytes | None) -> dict[str, Any]:
    """The MBFile properties of a Manifest.db `file` blob: size, mode, times, key, class.

    Times are Unix seconds on the device. A corrupt blob gives an empty dict, not an error:
    the entry itself (domain, path) is still evidence.
    """
    if not blob:
        return {}
    resolved: Any = read_mbfile(blob, MBFILE_KEYS)
    if resolved is None:
        try:
            archive = load_plist(blob, "MBFile")
            resolved = unarchive(archive, "MBFile") if is_keyed_archive(archive) else archive
        except EvidenceError:
            return {}
    if not isinstance(resolved, dict):
        return {}
    meta: dict[str, Any] = {}
    for key, name in MBFILE_NAMES:
        value = resolved.get(key)
        if value is not None and not isinstance(value, dict | list):
            meta[name] = value
    key_blob = resolved.get("EncryptionKey")
    if isinstance(key_blob, bytes):
        meta["encryption_key"] = key_blob
    return meta


def mbfile_times(meta: dict[str, Any]) -> dict[str, Any]:
    return {name: unix_time(meta.get(name)) for name in ("modified", "status_changed", "birth")}

# A blob's place in the backup: `ab/ab01…` (iOS 10 and later) or flat `ab01…` before.
_BLOB_NAME = re.compile(r"(?:^|/)([0-9a-f]{2})/\1[0-9a-f]{38}$|(?:^|/)[0-9a-f]{40}$")
PROBE_MEMBERS = 5_000


class _FolderStore:
    """The backup as a folder: databases are opened in place and files streamed from disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # Every blob must resolve to a path below the real root: a linked folder cannot lead out.
        self.real_root = root.resolve()

    def is_file(self, name: str) -> bool:
        return (self.root / name).is_file()

    def local(self, name: str) -> Path | None:
        """The file on disk for `name`, refused when a link on the way would lead elsewhere."""
        candidate = self.root / name
        if not candidate.is_file():
            return None
        if candidate.resolve() != self.real_root.joinpath(*name.split("/")):
            raise EvidenceError(f"{name}: reached through a link; refused (a backup holds no links)")
        return candidate

    def read(self, name: str, limit: int, mutable: bool = False) -> bytes | bytearray:
        return read_file_bounded(self.root / name, limit, name, mutable)

    def head(self, name: str, size: int) -> bytes:
        try:
            path = self.root / name
            if path.is_symlink() or not path.is_file():
                return b""
            with path.open("rb") as handle:
                return handle.read(size)
        except OSError:
            return b""

    def close(self) -> None:
        pass


class _ArchiveStore:
    """The backup as one .zip or .tar (how platforms hand a folder over): members read into
    memory within the container's bounds; the backup may sit at the top or in one folder."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.root = container.path
        tops = sorted((m.path for m in container.members() if m.kind == FILE
                       and m.path.rsplit("/", 1)[-1] == "Manifest.db" and m.path.count("/") <= 1),
                      key=lambda path: (path.count("/"), path))
        if not tops:
            raise SpyglassError(f"{container.path.name}: no Manifest.db at its top or in a folder below it; "
                                "not an iOS backup")
        self.prefix = tops[0][: -len("Manifest.db")]

    def _member(self, name: str) -> Any:
        member = self.container.member(self.prefix + name)
        return member if member is not None and member.kind == FILE else None

    def is_file(self, name: str) -> bool:
        return self._member(name) is not None

    def local(self, name: str) -> Path | None:
        return None

    def read(self, name: str, limit: int, mutable: bool = False) -> bytes | bytearray:
        if self._member(name) is None:
            raise EvidenceError(f"{name}: not a regular file in {self.container.path.name}")
        data = self.container.read(self.prefix + name, limit)
        return bytearray(data) if mutable else data

    def head(self, name: str, size: int) -> bytes:
        if not self.is_file(name):
            return b""
        try:     # streamed: a look at the start need not inflate the whole member
            with self.container.stream(self.prefix + name, MAX_SQLITE_BYTES) as handle:
                return handle.read(size)
        except EvidenceError:
            return b""

    def close(self) -> None:
        self.container.close()


def _archive_is_backup(path: Path) -> bool:
    """A probe's look at an archive's first members: the backup's own files, or blobs laid out
    by fileID, which no filesystem dump has."""
    try:
        for name in probe_paths(path, PROBE_MEMBERS):
            if name.count("/") <= 1 and name.rsplit("/", 1)[-1] in ("Manifest.db", "Manifest.plist"):
                return True
            if name.count("/") <= 2 and _BLOB_NAME.search(name):
                return True
        return False
    except EvidenceError:
        return False


class IOSBackup(Acquisition):
    """An iOS backup: a folder, or a .zip/.tar of one (plain; encrypted ones are unlocked by
    `spyglass.acquisitions.ios_crypto`)."""

    kind = IOS_BACKUP

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        self.store: _FolderStore | _ArchiveStore = (
            _FolderStore(root) if root.is_dir() else _ArchiveStore(open_container(root)))
        if isinstance(self.store, _ArchiveStore):
            for refusal in self.store.container.refused:
                self.warnings.append(f"{root.name}: {refusal}")
        self.meta_errors: dict[str, str] = {}
        try:
            self._open(secrets)
        except BaseException:
            self.store.close()
            raise

    def _open(self, secrets: Any) -> None:
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
        if path.is_file():
            return _archive_is_backup(path)
        return path.is_dir() and (path / "Manifest.db").is_file() and (
            (path / "Info.plist").is_file() or (path / "Manifest.plist").is_file())

    @property
    def name(self) -> str:
        """The backup's folder name (the UDID for Finder's backups), inside an archive too."""
        if isinstance(self.store, _ArchiveStore) and self.store.prefix:
            return self.store.prefix.rstrip("/")
        return self.root.name

    def head(self, name: str, size: int) -> bytes:
        """The first `size` bytes of one of the backup's own files, or b"" (a probe's look)."""
        return self.store.head(name, size)

    # -- opening ---------------------------------------------------------------------------
    def _meta_plist(self, name: str) -> dict[str, Any]:
        """One of the plists beside Manifest.db, or {} when it is absent or damaged.

        A damaged one is recorded (a warning, and an error of the module that reads it) and the
        databases are still checked; only an encrypted backup's Manifest.plist, which holds the
        keybag, is needed to go on.
        """
        if not self.store.is_file(name):
            return {}
        try:
            data = self.store.read(name, MAX_PLIST_BYTES)
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
        return self.head("Manifest.db", len(SQLITE_MAGIC)) == SQLITE_MAGIC

    def _unlock(self, secrets: Any) -> Any:
        try:
            from spyglass.acquisitions.ios_crypto import BackupDecryptor
        except ImportError as exc:
            raise SpyglassError("This backup is encrypted; encrypted backups are not supported yet") from exc
        return BackupDecryptor.unlock(self, secrets)

    def _open_manifest_db(self) -> Database:
        try:
            path = self.store.local("Manifest.db")
            pages = self.decryptor.manifest_pages(path, MAX_SQLITE_BYTES) \
                if self.decryptor is not None and path is not None else None
            if path is not None and (self.decryptor is None or pages is not None):
                # On disk, a full phone's Manifest.db is hundreds of megabytes, never copied into
                # memory: plain, opened in place, read-only and immutable; encrypted, decrypted
                # page by page as SQLite reads it.
                self.record_input("Manifest.db", *hash_file(path, MAX_SQLITE_BYTES, "Manifest.db"))
                database = Database.open_file(path, "Manifest.db") if pages is None \
                    else Database.open_pages(pages, "Manifest.db")
            else:
                if not self.store.is_file("Manifest.db"):
                    raise EvidenceError("Manifest.db: missing or not a regular file")
                data = self.store.read("Manifest.db", MAX_SQLITE_BYTES)
                self.record_input("Manifest.db", hashlib.sha256(data).hexdigest(), len(data))
                plain = self.decryptor.decrypt_manifest(data) if self.decryptor is not None else data
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
            "udid": pick("Unique Identifier", "UniqueDeviceID", "Target Identifier") or self.name,
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
        query = f"SELECT {ENTRY_COLUMNS} FROM Files WHERE domain GLOB ? AND relativePath GLOB ?"
        params: tuple[Any, ...] = (domain, relative_path)
        if flags is not None:
            query += " AND flags = ?"
            params += (flags,)
        for row in self.database.rows(query + " ORDER BY domain, relativePath", params):
            yield ManifestEntry.of(row)

    def entry(self, domain: str, relative_path: str) -> ManifestEntry | None:
        for row in self.database.rows(
                f"SELECT {ENTRY_COLUMNS} FROM Files WHERE domain = ? AND relativePath = ?",
                (domain, relative_path)):
            return ManifestEntry.of(row)
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
        query = (f"SELECT {ENTRY_COLUMNS} FROM Files WHERE ({where}) "
                 "AND relativePath GLOB ? AND flags = ?")
        for row in self.database.rows(query, (*domains, relative_glob, FLAG_FILE)):
            yield ManifestEntry.of(row)

    slices_listing = True

    def listing(self) -> Iterator[FileEntry]:
        """Every Manifest.db row (files, folders, links) with its MBFile size, mode and times."""
        # In the table's own order (rowid, or the key of a WITHOUT ROWID table), which is fixed by
        # the file: every process slicing the listing sees the same rows in the same order, and
        # nothing is sorted. Sorted by path, SQLite held each domain's rows, MBFile blobs
        # included, in a temporary B-tree: 190 MB per process for a CameraRollDomain of 300k
        # rows, and the whole table for a hostile Manifest.db without its domain index.
        rows: Iterator[Any] = iter(self.database.rows(LISTING_QUERY))
        if self.listing_part is not None:
            count = sum(int(row[0] or 0) for row in self.database.rows("SELECT COUNT(*) FROM Files"))
            start, stop = self.listing_bounds(count)
            # A slice skips the rows before it (about a microsecond a row) rather than asking
            # for LIMIT/OFFSET, which made SQLite sort the whole table in memory for each slice
            # while the listing was ordered by path (1.5 GB in one worker at 5x).
            rows = itertools.islice(rows, start, stop)
        for row in rows:
            entry = ManifestEntry.of(row)
            meta = parse_mbfile(entry.blob)
            yield FileEntry(
                source=entry.source, device_path=device_path(entry.domain, entry.relative_path),
                kind=FLAG_KINDS.get(entry.flags, str(entry.flags)), size=meta.get("size"), mode=meta.get("mode"),
                modified=meta.get("modified"), changed=meta.get("status_changed"), born=meta.get("birth"),
                name=path_name(entry.relative_path),
                details={"file_id": entry.file_id, "domain": entry.domain, "relative_path": entry.relative_path})

    def whole_source(self, what: str) -> str | None:
        name = {"listing": "Manifest.db", "device": "Info.plist"}.get(what)
        return name if name is not None and self.store.is_file(name) else None

    def sqlite(self, file: EvidenceFile) -> Database:
        """Plain backup files in a folder, without a -wal, are opened in place; others
        deserialised in memory."""
        if (self.decryptor is None and isinstance(self.store, _FolderStore) and isinstance(file.key, ManifestEntry)
                and not self.companion(file, "-wal")):
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

    def blob_name(self, entry: ManifestEntry) -> str | None:
        """Where the entry's bytes are in the backup (`ab/ab01…`, or flat before iOS 10), or None."""
        fid = entry.file_id.lower()
        if len(fid) != 40 or any(c not in "0123456789abcdef" for c in fid):
            raise EvidenceError(f"{entry.source}: malformed fileID {entry.file_id!r}")
        for name in (f"{fid[:2]}/{fid}", fid):
            if self.store.is_file(name):
                return name
        return None

    def blob_path(self, entry: ManifestEntry) -> Path | None:
        """The entry's file on disk (a backup folder only). A link anywhere on the way (the file,
        or its two-hex-digit folder) would lead the read out of the evidence: refused."""
        name = self.blob_name(entry)
        if name is None or not isinstance(self.store, _FolderStore):
            return None
        try:
            return self.store.local(name)
        except EvidenceError:
            raise EvidenceError(f"{entry.source}: its file {name} is reached through a link; refused "
                                "(a backup holds no links)") from None

    def _read(self, file: EvidenceFile, limit: int, mutable: bool = False) -> bytes | bytearray:
        entry: ManifestEntry = file.key
        name = self.blob_name(entry)
        if name is None:
            raise MissingFromAcquisition(f"{entry.source}: listed in Manifest.db but missing from the backup "
                                         f"(file {entry.file_id})")
        stored: Path | bytes | bytearray
        if isinstance(self.store, _FolderStore):
            stored = self.blob_path(entry)
        else:
            # Ciphertext is padded to whole AES blocks past the plaintext bound.
            stored = self.store.read(name, limit + 16 if self.decryptor is not None else limit)
        if self.decryptor is not None:
            return self.decryptor.read_file(stored, file, limit, mutable)
        if isinstance(stored, Path):
            return read_file_bounded(stored, limit, file.source, mutable)
        return bytearray(stored) if mutable else stored

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
        self.store.close()
