"""Root binaries: su, busybox, magisk and the like, found on the phone's PATH by androidqf.

Reads:   androidqf root_binaries.json (androidqf modules/root_binaries.go, since 2022): a JSON
         list of the outputs of `which -a <name>` for su, busybox, supersu, Superuser.apk,
         KingoUser.apk, SuperSu.apk, magisk, magiskhide, magiskinit and magiskpolicy that
         printed something. `which -a` prints every match, so one item may hold several
         paths, one per line. An empty list (or null) means none was found.
Yields:  one record per path, without a timestamp: `file_path`, `binary_name`; observables
         file_path and file_name.
Seen:    Android 6-16 (androidqf 1.4-1.7).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from spyglass.acquisitions.base import ANDROIDQF, EvidenceFile
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.modules import Artifact
from spyglass.modules.android._json import json_list
from spyglass.records import Record, observables, text_field

ARTIFACT = Artifact(
    name="android_root_binaries",
    description="Root binaries found on the phone (androidqf root_binaries.json)",
    platform="android",
    extra={ANDROIDQF: ("root_binaries.json",)},
    os_versions="Android 6-16",
)


def parse(file: EvidenceFile) -> Iterator[Record]:
    found = json_list(file.read_bytes(MAX_PLIST_BYTES), file.source, "paths")
    if found is None:
        return
    seen: set[str] = set()
    for output in found:
        for line in (text_field(output) or "").splitlines():
            path = line.strip()[:4096]
            if not path or path in seen:
                continue
            seen.add(path)
            name = PurePosixPath(path).name
            yield Record(
                timestamp=None,
                timestamp_desc="",
                message=f"Root binary {name} found at {path}",
                fields={"file_path": path, "binary_name": name},
                observables=observables(("file_path", path), ("file_name", name)),
            )
