"""File listing: the files androidqf saw on the phone, with their times, owners and hashes.

Reads:   androidqf files.json (androidqf modules/files.go, adb/files.go, adb/collector.go,
         android-collector cmd/find.go): a JSON list of {path, size, mode, user_id, user_name,
         group_id, group_name, changed_time, modified_time, access_time, error, context, md5,
         sha1, sha256, sha512}, times in Unix seconds. What is filled in depends on how androidqf
         listed the files: its collector fills everything (`mode` as Go prints it,
         "-rw-rw----", hashes when asked); `find -printf '%T@ %m %s %u %g %p'` gives the
         modification time, an octal mode, size and owner names; a plain `find` only the path,
         the other values zero or "". Older collectors wrote one JSON object per line instead
         of a list (MVT reads both); so does this module. The folders listed: /sdcard,
         /system, /vendor, /product, /apex, /data/local/tmp, /data/media/0, /tmp, ...
Yields:  one record per file, timestamped with its modification time when known (access and
         change times in fields): `file_path`, `size`, `mode`, `owner`, `group`, `modified`,
         `accessed`, `changed`, `sha256` (and sha1, md5) when present, `context` (SELinux
         label); observables file_path, file_name, and its hashes.
Seen:    Android 6-16 (androidqf 1.0-1.7).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import ANDROIDQF, EvidenceFile
from spyglass.acquisitions.devpath import path_name
from spyglass.limits import MAX_LISTING_BYTES
from spyglass.modules import Artifact
from spyglass.modules.android._json import json_items
from spyglass.records import Record, iso_utc, observables, text_field
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="android_files",
    description="Files listed on the phone (androidqf files.json)",
    platform="android",
    extra={ANDROIDQF: ("files.json",)},
    os_versions="Android 6-16",
)


def parse(file: EvidenceFile) -> Iterator[Record]:
    for entry in _entries(file):
        if isinstance(entry, dict):
            record = _record(entry)
            if record is not None:
                yield record


def _entries(file: EvidenceFile) -> Iterator[Any]:
    """The list's items one at a time, or the objects of a file with one JSON object per line,
    decoded from the file as it streams: a listing of a million files is neither one string nor
    one Python list in memory."""
    return json_items(file.text_pieces(MAX_LISTING_BYTES), file.source)


def _record(entry: dict[str, Any]) -> Record | None:
    path = text_field(entry.get("path"), 4096)
    if not path:
        return None
    times = {name: unix_time(_number(entry.get(key))) for name, key in
             (("modified", "modified_time"), ("accessed", "access_time"), ("changed", "changed_time"))}
    hashes = {kind: (text_field(entry.get(kind), 256) or "").lower() or None for kind in ("sha256", "sha1", "md5")}
    owner = text_field(entry.get("user_name"), 256) or _number(entry.get("user_id"))
    group = text_field(entry.get("group_name"), 256) or _number(entry.get("group_id"))
    mode = text_field(entry.get("mode"), 64)
    if not mode:
        owner = group = None   # a plain `find` listing: the zeros stand for "not known", not root
    fields = {
        "file_path": path,
        "size": _number(entry.get("size")),
        "mode": mode or None,
        "owner": owner,
        "group": group,
        "modified": iso_utc(times["modified"]),
        "accessed": iso_utc(times["accessed"]),
        "changed": iso_utc(times["changed"]),
        **hashes,
        "context": text_field(entry.get("context"), 1024) or None,
        "error": text_field(entry.get("error"), 1024) or None,
    }
    return Record(
        timestamp=times["modified"],
        timestamp_desc="file modified" if times["modified"] else "",
        message=f"File {path}",
        fields=fields,
        observables=observables(("file_path", path), ("file_name", path_name(path)),
                                *((kind, value) for kind, value in hashes.items())),
    )


def _number(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value != value or not -(1 << 63) <= value < 1 << 63:
        return None
    return int(value)
