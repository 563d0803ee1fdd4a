"""File timeline: every file, folder and link the acquisition lists, with its MACB times.

Reads:   the acquisition's own listing. An iOS backup's Manifest.db (Files table; iOS 10+
         layout, iOS 9 Manifest.mbdb is not supported): each row is domain + relativePath,
         flags (1 file, 2 folder, 4 symlink) and an NSKeyedArchiver MBFile with size, mode and
         Unix times.
Yields:  one record per entry, timestamped with the last modification; observables are the
         device path (file_path) and the file name (file_name), matched against file
         indicators (spyware drops files in system folders).
Seen:    iOS 10 to 18.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import Acquisition
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="manifest",
    description="Files listed in the backup",
    whole="listing",
    os_versions="iOS 10-18",
)

NAMED_KINDS = ("file", "directory", "symlink", "link")


def parse(acquisition: Acquisition) -> Iterator[Record]:
    source = acquisition.whole_source("listing") or ""
    for entry in acquisition.listing():
        modified, changed, born = (unix_time(value) for value in (entry.modified, entry.changed, entry.born))
        path = entry.device_path or entry.source
        yield Record(
            timestamp=modified,
            timestamp_desc="file modified",
            message=f"{entry.kind if entry.kind in NAMED_KINDS else 'entry'} {entry.source}",
            fields={
                **entry.details,
                "device_path": path,
                "kind": entry.kind,
                "size": entry.size,
                "mode": oct(entry.mode) if isinstance(entry.mode, int) else None,
                "modified": iso_utc(modified),
                "status_changed": iso_utc(changed),
                "created": iso_utc(born),
                "raw_times": {"modified": entry.modified, "status_changed": entry.changed, "birth": entry.born},
            },
            observables=observables(("file_path", path), ("file_name", entry.name)),
            source=source,
        )
