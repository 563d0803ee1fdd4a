"""UUIDToBinaryLocations of a sysdiagnose: the executables and libraries tailspin saw running,
each by its Mach-O UUID and the path it was loaded from.

Reads:   in a sysdiagnose logs/tailspindb/UUIDToBinaryLocations, a plist (XML or binary) whose top
         dictionary maps a binary's UUID ("D17AFB64-8E39-3502-B41C-B18BF7C6A380") to its path
         (cheeky4n6monkey/iOS_sysdiagnose_forensic_scripts sysdiagnose-uuid2path.py, iOS 12, which
         prints "uuid, path" per key; EC-DIGIT-CSIRC/sysdiagnose parsers/uuid2path.py, which it
         calls uuid2path). EC-DIGIT reads it for iOS 12 to 14 only: later sysdiagnoses do not
         carry it. tailspin keeps the binaries whose code it sampled, so a path here was loaded
         by a process that ran; an app's path names its container ("/private/var/containers/
         Bundle/Application/<UUID>/<App>.app/<App>").
Yields:  one record per binary, without a timestamp (the map keeps none): file_path observable;
         for an executable (not a .dylib, not a framework's binary) also process and
         process_name, process_path, as the name iOS shows for a program is its file's name.
Seen:    iOS 12-14.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from spyglass.acquisitions.base import SYSDIAGNOSE, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.modules import Artifact
from spyglass.plists import load_plist
from spyglass.records import Record, observables

ARTIFACT = Artifact(
    name="uuid_paths",
    description="Binaries tailspin saw run, by UUID (logs/tailspindb/UUIDToBinaryLocations)",
    extra={SYSDIAGNOSE: ("logs/tailspindb/UUIDToBinaryLocations",)},
    os_versions="iOS 12-14",
)

MAX_PATH_CHARS = 4096
_UUID = re.compile(r"[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}")


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.read_bytes(MAX_PLIST_BYTES)
    if not data.strip():
        return
    locations = load_plist(data, file.source)
    if not isinstance(locations, dict):
        raise EvidenceError(f"{file.source}: expected a dictionary of UUID to path at the top")
    for number, (key, value) in enumerate(locations.items(), 1):
        if not isinstance(value, str) or not value.strip():
            yield _unreadable(key, value, number)
            continue
        yield _record(str(key)[:128], value.strip()[:MAX_PATH_CHARS], number)


def _record(key: str, path: str, number: int) -> Record:
    uuid = key.upper() if _UUID.fullmatch(key) else key
    name = PurePosixPath(path).name or None
    library = is_library(path)
    program, program_path = (None, None) if library else (name, path)
    seen = f"Library {path} (UUID {uuid}) was seen loaded" if library else \
        f"Program {path} (UUID {uuid}) was seen running"
    return Record(
        timestamp=None,
        timestamp_desc="binary seen by tailspin",
        message=f"{seen} by tailspin",
        fields={"record_type": "binary", "binary_uuid": uuid, "path": path, "file_name": name, "library": library,
                "process_name": program, "process_path": program_path, "entry": number},
        observables=observables(("process", program), ("file_path", path)),
    )


def _unreadable(key: object, value: object, number: int) -> Record:
    return Record(
        timestamp=None,
        timestamp_desc="binary seen by tailspin",
        message=f"Entry {number} of the UUID map has no path",
        fields={"record_type": "unreadable_entry", "binary_uuid": str(key)[:128], "value_type": type(value).__name__,
                "entry": number},
    )


def is_library(path: str) -> bool:
    """Whether `path` is a library rather than a program: a .dylib, or a framework's own binary,
    named after it (".../Foo.framework/Foo", ".../Foo.framework/Versions/A/Foo"); a program kept
    inside a framework (".../CoreAccessories.framework/Support/accessoryd") is a program."""
    parts = PurePosixPath(path).parts
    if not parts:
        return False
    name = parts[-1]
    if name.endswith(".dylib"):
        return True
    folders = parts[:-1]
    if folders and folders[-1] == f"{name}.framework":
        return True
    return len(folders) >= 3 and folders[-2] == "Versions" and folders[-3] == f"{name}.framework"
