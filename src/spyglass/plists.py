"""Size-bounded plist loading and NSKeyedArchiver unarchiving, safe on hostile input."""

from __future__ import annotations

import plistlib
from typing import Any

from spyglass.bplist import MAX_INT_BYTES, plist_shape
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_ARCHIVE_DEPTH, MAX_ARCHIVE_NODES, MAX_PLIST_BYTES, MAX_PLIST_OBJECTS


def load_plist(data: bytes, source: str = "plist") -> Any:
    """Parse a binary or XML plist; any defect becomes an EvidenceError naming `source`.

    Bytes alone do not bound what plistlib builds: a binary plist's arrays may reference one
    object millions of times, and 60 MB of XML `<dict/>` is millions of objects. Both are
    counted first (see `_refuse_oversized`), so plistlib only builds what fits.
    """
    if len(data) > MAX_PLIST_BYTES:
        raise EvidenceError(f"{source}: plist of {len(data)} bytes is over the {MAX_PLIST_BYTES} byte bound")
    if not data.strip():
        raise EvidenceError(f"{source}: empty plist")
    _refuse_oversized(data, source)
    try:
        return plistlib.loads(data)
    except RecursionError as exc:
        raise EvidenceError(f"{source}: plist nested too deeply") from exc
    except Exception as exc:  # plistlib raises many types on corrupt data
        raise EvidenceError(f"{source}: not a valid plist ({type(exc).__name__}: {exc})") from exc


def _refuse_oversized(data: bytes, source: str) -> None:
    if data.startswith(b"bplist00"):
        shape = plist_shape(data, MAX_PLIST_OBJECTS)
        if shape is None:
            return
        objects, entries, widest = shape
        if objects > MAX_PLIST_OBJECTS:
            raise EvidenceError(f"{source}: binary plist of {objects} objects is over the "
                                f"{MAX_PLIST_OBJECTS} object bound")
        if entries > MAX_PLIST_OBJECTS:
            raise EvidenceError(f"{source}: binary plist containers hold over {MAX_PLIST_OBJECTS} values, "
                                f"over the {MAX_PLIST_OBJECTS} object bound")
        if widest > MAX_INT_BYTES:
            raise EvidenceError(f"{source}: binary plist integer of {widest} bytes is over the "
                                f"{MAX_INT_BYTES} byte bound")
        return
    # Every XML value is an element with a start tag (`<true/>`, `<string>`): counting `<` is a
    # single C pass and over-counts only by end tags, which the second count takes off.
    if data.count(b"<") > MAX_PLIST_OBJECTS:
        elements = data.count(b"<") - data.count(b"</")
        if elements > MAX_PLIST_OBJECTS:
            raise EvidenceError(f"{source}: XML plist of {elements} elements is over the "
                                f"{MAX_PLIST_OBJECTS} object bound")


def is_keyed_archive(value: Any) -> bool:
    return isinstance(value, dict) and value.get("$archiver") == "NSKeyedArchiver" and "$objects" in value


def unarchive(archive: Any, source: str = "archive") -> Any:
    """Resolve an NSKeyedArchiver plist into plain Python values.

    Dictionaries (NS.keys/NS.objects) become dicts, arrays and sets lists, NSDate a datetime
    stays a float of Apple time, other objects a dict of their resolved keys with `$class`
    named. Each object is resolved once: a UID referenced again gives the same Python value
    (archives share objects, and walking each path would cost 2**depth). Cycles (an object
    referenced while it is being resolved) and excessive depth are cut to None; more than
    MAX_ARCHIVE_NODES values (every value produced, shared ones each time) is an EvidenceError.
    """
    if not is_keyed_archive(archive):
        raise EvidenceError(f"{source}: not an NSKeyedArchiver plist")
    objects = archive["$objects"]
    if not isinstance(objects, list):
        raise EvidenceError(f"{source}: NSKeyedArchiver $objects is not an array")
    top = archive.get("$top", {})
    root = top.get("root", next(iter(top.values()), None)) if isinstance(top, dict) else None
    # Keyed by id(): plistlib shares one Python list or dict per binary reference, so plain
    # containers inside objects form a DAG too. They stay alive in `archive` meanwhile.
    done: dict[int, Any] = {}
    resolving: set[int] = set()
    budget = MAX_ARCHIVE_NODES

    def resolve(value: Any, depth: int) -> Any:
        nonlocal budget
        budget -= 1
        if budget < 0:
            raise EvidenceError(f"{source}: NSKeyedArchiver archive over the {MAX_ARCHIVE_NODES} value bound")
        if isinstance(value, plistlib.UID):
            if value.data >= len(objects) or depth > MAX_ARCHIVE_DEPTH:
                return None
            value, depth = objects[value.data], depth + 1
        elif depth > MAX_ARCHIVE_DEPTH and isinstance(value, list | dict):
            return None
        if isinstance(value, str):
            return None if value == "$null" else value
        if not isinstance(value, list | dict):
            return value
        key = id(value)
        if key in done:
            return done[key]
        if key in resolving:
            return None
        resolving.add(key)
        try:
            result = done[key] = build(value, depth)
        finally:
            resolving.discard(key)
        return result

    def build(value: list[Any] | dict[str, Any], depth: int) -> Any:
        if isinstance(value, list):
            return [resolve(item, depth + 1) for item in value]
        class_name = _class_name(value.get("$class"), objects)
        if "NS.keys" in value and "NS.objects" in value:
            keys = [resolve(k, depth + 1) for k in _items(value["NS.keys"])]
            vals = [resolve(v, depth + 1) for v in _items(value["NS.objects"])]
            return {_key_text(k): v for k, v in zip(keys, vals, strict=False)}
        if "NS.objects" in value:
            return [resolve(v, depth + 1) for v in _items(value["NS.objects"])]
        if "NS.string" in value:
            return resolve(value["NS.string"], depth + 1)
        if "NS.time" in value:
            return value["NS.time"]
        for data_key in ("NS.data", "NS.bytes"):
            if data_key in value:
                return value[data_key]
        if "NS.relative" in value:
            return resolve(value["NS.relative"], depth + 1)
        resolved = {k: resolve(v, depth + 1) for k, v in value.items() if k != "$class"}
        if class_name:
            resolved["$class"] = class_name
        return resolved

    return resolve(root, 0)


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _key_text(key: Any) -> str:
    # A key resolving to a container would be formatted whole by str(): a shared one, exponentially.
    return key if isinstance(key, str) else str(key) if isinstance(key, int | float | bytes | None) else (
        f"<{type(key).__name__}>")


def _class_name(uid: Any, objects: list[Any]) -> str | None:
    if isinstance(uid, plistlib.UID) and uid.data < len(objects):
        entry = objects[uid.data]
        if isinstance(entry, dict):
            name = entry.get("$classname")
            return name if isinstance(name, str) else None
    return None
