"""Bug report file timeline: every file a bug report copied from the phone (its FS/ tree), with
the times the zip keeps.

Reads:   the bug report's own listing: FS/<device path> members (tombstones, ANR traces, system
         files dumpstate copies), and their modification times (zip times are the phone's local
         wall-clock time with no zone; kept as given, said in the record).
Yields:  one record per file, timestamped with its modification; observables the device path
         (file_path) and the file name (file_name), matched against file indicators.
Seen:    Android 8-16 bug reports.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import ANDROID_BUGREPORT, Acquisition
from spyglass.modules import Artifact
from spyglass.records import Record, iso_utc, observables
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="android_fs_timeline",
    description="Files a bug report copied from the phone, with their times",
    whole="listing",
    platform="android",
    kinds=frozenset({ANDROID_BUGREPORT}),
    os_versions="Android 8-16",
)
FS = "FS/"


def parse(acquisition: Acquisition) -> Iterator[Record]:
    for entry in acquisition.listing():
        if not entry.source.startswith(FS) or entry.kind != "file":
            continue
        device_path = entry.source[len(FS) - 1:]
        modified = unix_time(entry.modified)
        yield Record(
            timestamp=modified,
            timestamp_desc="file modified (phone's local time)",
            message=f"file {device_path} copied by the bug report",
            fields={"device_path": device_path, "size": entry.size, "modified": iso_utc(modified),
                    "time_zone_known": False},
            observables=observables(("file_path", device_path), ("file_name", entry.name)),
            source=entry.source,
        )
