"""Size-bounded plist loading and NSKeyedArchiver unarchiving, safe on hostile input."""

from __future__ import annotations

import plistlib
from typing import Any

from spyglass.errors import EvidenceError
from spyglass.limits import MAX_ARCHIVE_DEPTH, MAX_PLIST_BYTES


def load_plist(data: bytes, source: str = "plist") -> Any:
    """Parse a binary or XML plist; any defect becomes an EvidenceError naming `source`."""
    if len(data) > MAX_PLIST_BYTES:
        raise EvidenceError(f"{source}: plist of {len(data)} bytes is over the {MAX_PLIST_BYTES} byte bound")
    if not data.strip():
        raise EvidenceError(f"{source}: empty plist")
    try:
        return plistlib.loads(data)
    except RecursionError as exc:
        raise EvidenceError(f"{source}: plist nested too deeply") from exc
    except Exception as exc:  # plistlib raises many types on corrupt data
        raise EvidenceError(f"{source}: not a valid plist ({type(exc).__name__}: {exc})") from exc


def is_keyed_archive(value: Any) -> bool:
    return isinstance(value, dict) and value.get("$archiver") == "NSKeyedArchiver" and "$objects" in value


def unarchive(archive: Any, source: str = "archive") -> Any:
    """Resolve an NSKeyedArchiver plist into plain Python values.

    Dictionaries (NS.keys/NS.objects) become dicts, arrays and sets lists, NSDate a datetime
    stays a float of Apple time, other objects a dict of their resolved keys with `$class`
    named. Cycles and excessive depth are cut rather than followed.
    """
    if not is_keyed_archive(archive):
        raise EvidenceError(f"{source}: not an NSKeyedArchiver plist")
    objects = archive["$objects"]
    top = archive.get("$top", {})
    root = top.get("root", next(iter(top.values()), None)) if isinstance(top, dict) else None

    def resolve(value: Any, depth: int, trail: frozenset[int]) -> Any:
        if isinstance(value, plistlib.UID):
            index = value.data
            if index >= len(objects) or index in trail or depth > MAX_ARCHIVE_DEPTH:
                return None
            return resolve(objects[index], depth + 1, trail | {index})
        if isinstance(value, str) and value == "$null":
            return None
        if isinstance(value, list):
            return [resolve(item, depth + 1, trail) for item in value]
        if isinstance(value, dict):
            class_name = _class_name(value.get("$class"), objects)
            if "NS.keys" in value and "NS.objects" in value:
                keys = [resolve(k, depth + 1, trail) for k in value["NS.keys"]]
                vals = [resolve(v, depth + 1, trail) for v in value["NS.objects"]]
                return {str(k): v for k, v in zip(keys, vals, strict=False)}
            if "NS.objects" in value:
                return [resolve(v, depth + 1, trail) for v in value["NS.objects"]]
            if "NS.string" in value:
                return resolve(value["NS.string"], depth + 1, trail)
            if "NS.time" in value:
                return value["NS.time"]
            for data_key in ("NS.data", "NS.bytes"):
                if data_key in value:
                    return value[data_key]
            if "NS.relative" in value:
                return resolve(value["NS.relative"], depth + 1, trail)
            resolved = {k: resolve(v, depth + 1, trail) for k, v in value.items() if k != "$class"}
            if class_name:
                resolved["$class"] = class_name
            return resolved
        return value

    return resolve(root, 0, frozenset())


def _class_name(uid: Any, objects: list[Any]) -> str | None:
    if isinstance(uid, plistlib.UID) and uid.data < len(objects):
        entry = objects[uid.data]
        if isinstance(entry, dict):
            name = entry.get("$classname")
            return name if isinstance(name, str) else None
    return None
