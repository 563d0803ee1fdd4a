"""Mounted filesystems: how /system, /vendor and the rest were mounted when androidqf ran.

Reads:   androidqf mounts.json (androidqf modules/mounts.go, since 2025): a JSON list of lines,
         those of `mount` (toybox: `DEVICE on MOUNT_POINT type FS_TYPE (OPTIONS)`) then those of
         /proc/mounts not already listed (`DEVICE MOUNT_POINT FS_TYPE OPTIONS 0 0`, octal
         escapes such as \\040 for a space); the first versions kept only lines naming /system.
         The same mount usually appears in both forms, so it is yielded once. mounts.txt, the
         same lines as plain text, is read too.
Yields:  one record per mount, without a timestamp: `mount_point`, `device`, `fs_type`,
         `options` (list), `read_write` (bool: "rw" among the options).
Seen:    Android 8-16 (androidqf 1.7).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spyglass.acquisitions.base import ANDROIDQF, EvidenceFile
from spyglass.limits import MAX_PLIST_BYTES
from spyglass.modules import Artifact
from spyglass.modules.android._json import json_list
from spyglass.records import Record, text_field

ARTIFACT = Artifact(
    name="android_mounts",
    description="Mounted filesystems (androidqf mounts.json)",
    platform="android",
    extra={ANDROIDQF: ("mounts.json", "mounts.txt")},
    os_versions="Android 8-16",
)

_MOUNT_COMMAND = re.compile(r"^(\S+) on (/\S*) type (\S+)(?: \(([^)]*)\))?$")
_PROC_MOUNTS = re.compile(r"^(\S+) (/\S*) (\S+) (\S+) \d+ \d+$")
_OCTAL = re.compile(r"\\([0-7]{3})")
_MAX_OPTIONS = 256


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.read_bytes(MAX_PLIST_BYTES)
    if file.source.endswith(".json"):
        lines = json_list(data, file.source, "mount lines")
        if lines is None:
            return
    else:
        lines = data.decode("utf-8", errors="replace").splitlines()
    seen: set[tuple[str, ...]] = set()
    for line in lines:
        mount = _mount((text_field(line, 65536) or "").strip())
        if mount is None:
            continue
        device, mount_point, fs_type, options = mount
        key = (device, mount_point, fs_type, ",".join(options))
        if key in seen:
            continue
        seen.add(key)
        read_write = "rw" in options
        yield Record(
            timestamp=None,
            timestamp_desc="",
            message=f"{mount_point} mounted from {device} ({fs_type}, {'read-write' if read_write else 'read-only'})",
            fields={"mount_point": mount_point, "device": device, "fs_type": fs_type, "options": options,
                    "read_write": read_write},
        )


def _mount(line: str) -> tuple[str, str, str, list[str]] | None:
    match = _MOUNT_COMMAND.match(line) or _PROC_MOUNTS.match(line)
    if match is None:
        return None
    device, mount_point, fs_type, options = match.groups()
    return (_unescape(device), _unescape(mount_point), fs_type,
            [option for option in (options or "").split(",") if option][:_MAX_OPTIONS])


def _unescape(text: str) -> str:
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), text)
