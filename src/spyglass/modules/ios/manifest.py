"""Backup Manifest: every file and folder the backup lists, with its MACB times.

Reads:   Manifest.db at the backup root (Files table; iOS 10+ layout, iOS 9 Manifest.mbdb
         is not supported). Each row is domain + relativePath, flags (1 file, 2 folder,
         4 symlink) and an NSKeyedArchiver MBFile with size, mode and Unix times.
Yields:  one record per row, timestamped with the last modification; observables are the
         device path (file_path) and the file name (file_name), matched against file
         indicators (spyware drops files in system folders).
Seen:    iOS 10 to 18.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from spyglass.acquisitions.base import IOS_BACKUP, EvidenceFile
from spyglass.acquisitions.ios_backup import IOSBackup, device_path, mbfile_times, parse_mbfile
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables

ARTIFACT = Artifact(
    name="manifest",
    description="Files listed in the backup",
    kinds=frozenset({IOS_BACKUP}),
    meta=("Manifest.db",),
    os_versions="iOS 10-18",
)

FLAG_NAMES = {1: "file", 2: "directory", 4: "symlink"}


def parse(file: EvidenceFile) -> Iterator[Record]:
    backup = file.acquisition
    if not isinstance(backup, IOSBackup):
        return
    for entry in backup.entries(flags=None):
        meta = parse_mbfile(entry.blob)
        times = mbfile_times(meta)
        path = device_path(entry.domain, entry.relative_path)
        name = PurePosixPath(entry.relative_path).name
        yield Record(
            timestamp=times["modified"],
            timestamp_desc="file modified",
            message=f"{FLAG_NAMES.get(entry.flags, 'entry')} {entry.domain}/{entry.relative_path}",
            fields={
                "file_id": entry.file_id,
                "domain": entry.domain,
                "relative_path": entry.relative_path,
                "device_path": path,
                "kind": FLAG_NAMES.get(entry.flags, str(entry.flags)),
                "size": meta.get("size"),
                "mode": oct(meta["mode"]) if isinstance(meta.get("mode"), int) else None,
                "modified": iso_utc(times["modified"]),
                "status_changed": iso_utc(times["status_changed"]),
                "created": iso_utc(times["birth"]),
                "raw_times": {k: meta.get(k) for k in ("modified", "status_changed", "birth")},
            },
            observables=observables(("file_path", path), ("file_name", name)),
            source="Manifest.db",
        )
