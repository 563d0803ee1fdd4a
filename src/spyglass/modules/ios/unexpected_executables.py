"""Unexpected executables: programs and launchd jobs in the data folders, where iOS keeps none.

Reads:   the listing of a full-filesystem dump, and the files it names in the folders where
         Apple ships no program (each read whole, the interface having no partial read, within
         the bounds below): /private/var/db/, /private/var/tmp/,
         /private/var/root/, /private/var/mobile/Library/ (but iCloud Drive, SMS attachments
         and the app-install staging folder, which hold what the person downloads, receives
         and installs), /private/var/mobile/tmp/, /private/var/run/, /private/var/log(s)/,
         /private/var/Keychains/, /private/var/keybags/, /private/var/preferences/,
         /private/var/wireless/, /private/var/networkd/, files directly in /private/var/ and
         /private/var/mobile/, and the launchd folders iOS leaves empty (/Library/LaunchDaemons/,
         /Library/LaunchAgents/); not the unified-log stores (/private/var/db/uuidtext/ and
         diagnostics/: thousands of files in Apple's own formats). Programs iOS runs live on the
         sealed system volume (/System, /usr, /Applications), in /private/var/staged_system_apps/ and the installed
         apps' bundles (/private/var/containers/Bundle/Application/), none of which is read.
         Spyware drops its programs in the data folders: Pegasus in
         /private/var/db/com.apple.xpc.roleaccountd.staging/ (Amnesty, 2021-07-18_nso/files.txt),
         QuaDream's KingsPawn in the same folder (subridged, PlugIns/fud.appex; Citizen Lab,
         April 2023, as MVT's kingspawn.stix2 lists them), Predator in /private/var/tmp/
         (UserEventAgent, com.apple.WebKit.Networking, hooker; Amnesty 2021-12-16_cytrox and
         MVT's predator.stix2), Coruna in /private/var/tmp/ and the root and mobile caches
         (upgrade.dylib; MVT's coruna.stix2); Kaspersky's shutdown.log study (January 2024) saw
         Pegasus run from /private/var/db/ in every infection, Predator often from /private/var/tmp/.
         A file is a program when it begins with a Mach-O magic (mach-o/loader.h, mach-o/fat.h:
         FEEDFACE and FEEDFACF, 32- and 64-bit; CAFEBABE and CAFEBABF, fat; each also stored
         byte-swapped, as arm64's little-endian CFFAEDFE; a fat header counts its architectures
         next, which tells it from a Java class file, whose version follows the same magic), or
         when the executable mode bit is set (scripts begin with "#!"). A launchd job is a plist
         with Program or ProgramArguments (launchd.plist(5)).
Yields:  one record per such file, timestamped with its last modification: `reason` mach-o,
         launch-item, script or executable-mode, with the Mach-O kind and CPU, the job's label
         and program; observables file_path, file_name, sha256 (when read) and the program as a
         process. Then one `summary` record: how many files were looked at, read, and left
         unread (over the bounds below, or unreadable). Mode bits are ignored, and said so, when
         the dump's data files mostly carry them (a copy through a filesystem without Unix modes).
Bounds:  at most MAX_FILES_READ files read, each of at most MAX_FILE_BYTES (plists
         MAX_PLIST_READ_BYTES), MAX_TOTAL_BYTES in all; files marked executable first, then files
         without a data extension, outside the mobile user's library first.
Seen:    iOS 12 to 26 (the folder layout); the implants' folders are those reported on iOS 14 to 17.
"""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from spyglass.acquisitions.base import IOS_FS, Acquisition, EvidenceFile, FileEntry
from spyglass.acquisitions.devpath import DevicePattern
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.plists import load_plist
from spyglass.records import Record, iso_utc, observables, text_field
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="unexpected_executables",
    description="Programs and launchd jobs in folders where iOS keeps none",
    whole="listing",
    kinds=frozenset({IOS_FS}),
    os_versions="iOS 12-26",
)

WATCHED = ("/private/var/db/", "/private/var/tmp/", "/private/var/root/", "/private/var/mobile/Library/",
           "/private/var/mobile/tmp/", "/private/var/run/", "/private/var/log/", "/private/var/logs/",
           "/private/var/Keychains/", "/private/var/keybags/", "/private/var/preferences/",
           "/private/var/wireless/", "/private/var/networkd/")
TOP_FOLDERS = ("/private/var", "/private/var/mobile")           # their own files, not their subfolders
LAUNCH_FOLDERS = ("/Library/LaunchDaemons/", "/Library/LaunchAgents/")
USER_FILES = ("/private/var/mobile/Library/Mobile Documents/", "/private/var/mobile/Library/SMS/Attachments/",
              "/private/var/mobile/Library/Caches/com.apple.mobile.installd.staging/")
# Apple's unified-log stores: thousands of small files in their own formats, never programs.
LOG_STORES = ("/private/var/db/uuidtext/", "/private/var/db/diagnostics/")
USER_LIBRARY = "/private/var/mobile/Library/"
DATA_EXTENSIONS = frozenset({
    "sqlite", "sqlite3", "sqlitedb", "db", "wal", "shm", "sqlite-wal", "sqlite-shm", "db-wal", "db-shm",
    "storedata", "png", "jpg", "jpeg", "heic", "heif", "gif", "tif", "tiff", "bmp", "webp", "mov", "mp4",
    "m4a", "m4v", "mp3", "aac", "caf", "wav", "amr", "aiff", "json", "txt", "log", "xml", "html", "htm",
    "css", "ips", "tracev3", "pb", "gz", "bz2", "xz", "zip", "strings", "stringsdict", "nib", "car",
    "ttf", "otf", "ttc", "ktx", "pdf", "vcf", "ics", "csv", "kb", "keybag", "lock", "pid",
})
PLIST = "plist"
MAX_FILES_READ = 4000
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_PLIST_READ_BYTES = 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_ERRORS_KEPT = 20
MAX_FOLDERS_KEPT = 64
MAX_ARGUMENTS = 32
# Mode bits say nothing when most data files carry the executable bit: counted over this many
# data files at least, half or more marked.
MODE_SAMPLE = 50

MACHO = {0xFEEDFACE: ("Mach-O 32-bit", "big"), 0xCEFAEDFE: ("Mach-O 32-bit", "little"),
         0xFEEDFACF: ("Mach-O 64-bit", "big"), 0xCFFAEDFE: ("Mach-O 64-bit", "little")}
FAT = {0xCAFEBABE: "big", 0xBEBAFECA: "little", 0xCAFEBABF: "big", 0xBFBAFECA: "little"}
MAX_FAT_ARCHS = 30          # a Java class file's version here is 45 or more
FILE_TYPES = {1: "object", 2: "executable", 6: "dynamic library", 7: "dynamic linker", 8: "bundle",
              10: "debug symbols", 11: "kernel extension"}
CPU_TYPES = {7: "x86", 12: "arm", 0x01000007: "x86_64", 0x0100000C: "arm64", 0x0200000C: "arm64_32"}


@dataclass(frozen=True, slots=True)
class Candidate:
    rank: int
    path: str
    size: int
    executable_bit: bool
    plist: bool
    entry: FileEntry


@dataclass
class Tally:
    looked_at: int = 0
    read: int = 0
    bytes_read: int = 0
    over_count: int = 0
    over_size: int = 0
    unreadable: int = 0
    data_files: int = 0
    data_files_marked: int = 0


def parse(acquisition: Acquisition) -> Iterator[Record]:
    source = acquisition.whole_source("listing") or ""
    tally = Tally()
    listed = list(_watched_files(acquisition, tally))
    modes_meaningful = not (tally.data_files >= MODE_SAMPLE and 2 * tally.data_files_marked >= tally.data_files)
    candidates = sorted(_candidates(listed, modes_meaningful), key=lambda c: (c.rank, c.path))
    tally.looked_at = len(listed)
    errors: list[str] = []
    folders = _Folders(acquisition)
    for candidate in candidates:
        limit = MAX_PLIST_READ_BYTES if candidate.plist else MAX_FILE_BYTES
        if candidate.size > limit:
            tally.over_size += 1
            if candidate.executable_bit:
                yield _record(candidate, source, "executable-mode",
                              f"marked executable (mode {_octal(candidate.entry.mode)}), "
                              f"{candidate.size} bytes: too large to read", None)
            continue
        if tally.read >= MAX_FILES_READ or tally.bytes_read + candidate.size > MAX_TOTAL_BYTES:
            tally.over_count += 1
            continue
        try:
            data = _read(folders, candidate, limit)
        except EvidenceError as exc:
            tally.unreadable += 1
            if len(errors) < MAX_ERRORS_KEPT:
                errors.append(str(exc))
            continue
        tally.read += 1
        tally.bytes_read += len(data)
        found = _launch_item(candidate, data) if candidate.plist else _program(candidate, data)
        if found is not None:
            reason, detail, extra = found
            yield _record(candidate, source, reason, detail, hashlib.sha256(data).hexdigest(), extra)
    yield _summary(source, tally, len(candidates), modes_meaningful, errors)


def _watched_files(acquisition: Acquisition, tally: Tally) -> Iterator[tuple[FileEntry, str, bool]]:
    """The listed files of the watched folders, each with its extension and executable bit;
    counts on the way how many data files anywhere carry that bit."""
    for entry in acquisition.listing():
        path = entry.device_path
        if entry.kind != "file" or not isinstance(path, str):
            continue
        extension = _extension(path)
        executable_bit = isinstance(entry.mode, int) and bool(entry.mode & 0o111)
        if extension in DATA_EXTENSIONS and path.startswith("/private/var/"):
            tally.data_files += 1
            tally.data_files_marked += executable_bit
        if _watched(path):
            yield entry, extension, executable_bit


def _candidates(listed: list[tuple[FileEntry, str, bool]], modes_meaningful: bool) -> Iterator[Candidate]:
    for entry, extension, executable_bit in listed:
        marked = executable_bit and modes_meaningful
        rank = _rank(entry.device_path or "", extension, marked)
        if rank is not None:
            size = entry.size if isinstance(entry.size, int) and entry.size >= 0 else 0
            yield Candidate(rank, entry.device_path or "", size, marked, extension == PLIST, entry)


def _watched(path: str) -> bool:
    if path.startswith(LAUNCH_FOLDERS):
        return True
    if not (path.startswith(WATCHED) or str(PurePosixPath(path).parent) in TOP_FOLDERS):
        return False
    return not path.startswith(USER_FILES) and not path.startswith(LOG_STORES)


def _rank(path: str, extension: str, marked: bool) -> int | None:
    """The order in which a watched file is read (0 first), or None when it is not read."""
    if path.startswith(LAUNCH_FOLDERS):
        return 0 if extension == PLIST else None
    if extension == PLIST:
        return 3
    if marked:
        return 0
    if extension in DATA_EXTENSIONS:
        return None
    return 2 if path.startswith(USER_LIBRARY) else 1


class _Folders:
    """The evidence files of the folders candidates sit in, looked up once per folder: a glob
    per file would walk its folder's whole subtree again for each of its files."""

    def __init__(self, acquisition: Acquisition) -> None:
        self.acquisition = acquisition
        self.folders: dict[str, dict[str, EvidenceFile]] = {}

    def file(self, path: str) -> EvidenceFile | None:
        folder = path.rsplit("/", 1)[0]
        if folder not in self.folders:
            if len(self.folders) >= MAX_FOLDERS_KEPT:
                self.folders.clear()
            # Device-path globs have no escapes: a wildcard stands in for each special
            # character, and only files directly in this very folder are kept.
            pattern = "".join("?" if char in "*?[]{}" else char for char in folder) + "/*"
            try:
                found = self.acquisition.files(DevicePattern(pattern))
            except ValueError as exc:
                raise EvidenceError(f"{path}: cannot be looked up ({exc})") from exc
            self.folders[folder] = {f.device_path: f for f in found
                                    if f.device_path and f.device_path.rsplit("/", 1)[0] == folder}
        return self.folders[folder].get(path)


def _read(folders: _Folders, candidate: Candidate, limit: int) -> bytes:
    file = folders.file(candidate.path)
    if file is None:
        raise EvidenceError(f"{candidate.path}: listed but not found")
    return bytes(file.read_bytes(limit))


def _program(candidate: Candidate, data: bytes) -> tuple[str, str, dict[str, Any]] | None:
    described = _macho(data)
    if described is not None:
        return "mach-o", described, {}
    if candidate.executable_bit:
        if data.startswith(b"#!"):
            line = data[2:200].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
            return "script", f"a script run by {line or 'an unnamed interpreter'}", {"interpreter": line or None}
        return "executable-mode", f"marked executable (mode {_octal(candidate.entry.mode)}), not a Mach-O", {}
    return None


def _macho(data: bytes) -> str | None:
    """What the Mach-O magic at the start of `data` says, or None when it is not a Mach-O."""
    if len(data) < 8:
        return None
    magic = int.from_bytes(data[:4], "big")
    if magic in MACHO:
        kind, order = MACHO[magic]
        if len(data) < 16:
            return f"{kind}, {order}-endian, header cut short"
        cpu = int.from_bytes(data[4:8], order)
        file_type = int.from_bytes(data[12:16], order)
        return (f"{kind} {FILE_TYPES.get(file_type, f'file type {file_type}')} for "
                f"{CPU_TYPES.get(cpu, f'CPU type {cpu:#x}')}, {order}-endian")
    if magic in FAT:
        order = FAT[magic]
        count = int.from_bytes(data[4:8], order)
        if 0 < count <= MAX_FAT_ARCHS:
            width = "64-bit " if magic in (0xCAFEBABF, 0xBFBAFECA) else ""
            return f"Mach-O universal ({width}fat) binary of {count} architecture{'s' if count > 1 else ''}"
    return None


def _launch_item(candidate: Candidate, data: bytes) -> tuple[str, str, dict[str, Any]] | None:
    if b"Program" not in data:
        return None     # neither key can be in the plist: not worth parsing
    try:
        job = load_plist(data, candidate.path)
    except EvidenceError:
        return None     # a damaged plist is no job launchd would run
    if not isinstance(job, dict) or ("Program" not in job and "ProgramArguments" not in job):
        return None
    arguments = job.get("ProgramArguments")
    arguments = [text_field(a, 1024) for a in arguments[:MAX_ARGUMENTS]] if isinstance(arguments, list) else []
    program = text_field(job.get("Program"), 1024) or next((a for a in arguments if a), None)
    label = text_field(job.get("Label"), 1024)
    extra = {"label": label, "program": program, "program_arguments": arguments,
             "process_name": PurePosixPath(program).name if program else None, "process_path": program}
    return "launch-item", f"launchd job {label or '(no label)'} runs {program or '(no program)'}", extra


def _record(candidate: Candidate, source: str, reason: str, detail: str, sha256: str | None,
            extra: dict[str, Any] | None = None) -> Record:
    entry = candidate.entry
    modified = unix_time(entry.modified)
    name = PurePosixPath(candidate.path).name
    extra = extra or {}
    program = extra.get("process_name") if reason == "launch-item" else name
    return Record(
        timestamp=modified,
        timestamp_desc="file modified",
        message=f"{candidate.path}: {detail}",
        fields={
            "record_type": "file",
            "reason": reason,
            "detail": detail,
            "file_path": candidate.path,
            "file_name": name,
            "size": candidate.size,
            "mode": _octal(entry.mode),
            "modified": iso_utc(modified),
            "status_changed": iso_utc(unix_time(entry.changed)),
            "created": iso_utc(unix_time(entry.born)),
            "sha256": sha256,
            **extra,
        },
        observables=observables(("file_path", candidate.path), ("file_name", name), ("sha256", sha256),
                                ("process", program), ("file_path", extra.get("process_path"))),
        source=source,
    )


def _summary(source: str, tally: Tally, candidates: int, modes_meaningful: bool, errors: list[str]) -> Record:
    unread = tally.over_count + tally.over_size + tally.unreadable
    return Record(
        timestamp=None,
        timestamp_desc="",
        message=f"Looked at {tally.looked_at} files in folders where iOS keeps no programs; read {tally.read}"
                + (f", {unread} left unread" if unread else ""),
        fields={
            "record_type": "summary",
            "files_looked_at": tally.looked_at,
            "candidates": candidates,
            "files_read": tally.read,
            "bytes_read": tally.bytes_read,
            "unread_over_count": tally.over_count,
            "unread_too_large": tally.over_size,
            "unreadable": tally.unreadable,
            "errors": errors,
            "mode_bits_used": modes_meaningful,
            "data_files_marked_executable": tally.data_files_marked,
            "data_files": tally.data_files,
        },
        source=source,
    )


def _extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""


def _octal(mode: object) -> str | None:
    return oct(stat.S_IMODE(mode)) if isinstance(mode, int) else None
