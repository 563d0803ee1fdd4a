"""A lean reader for the one binary plist shape read hundreds of thousands of times: MBFile.

Every Manifest.db row carries an NSKeyedArchiver MBFile. plistlib builds every object of
each archive; this reader follows offsets to the root object's dictionary only, which is
several times faster. Anything unexpected returns None and the caller falls back to
plistlib, so correctness never depends on this fast path.

`plist_shape` reads the trailer and offset table without building any object, so
`plists.load_plist` can refuse a hostile binary plist before plistlib builds it whole.
"""

from __future__ import annotations

import struct
from typing import Any

_TRAILER = struct.Struct(">6xBBQQQ")


_INT_CODES = {1: "B", 2: "H", 4: "L", 8: "Q"}
# The format's integers are 1 to 16 bytes (size codes 0-4); plistlib reads up to 2**15 bytes for
# codes 5-15, a number no JSON writer accepts and float() overflows on.
MAX_INT_BYTES = 16


class _Reader:
    def __init__(self, data: bytes) -> None:
        if len(data) < 40 or not data.startswith(b"bplist00"):
            raise ValueError("not a binary plist")
        self.data = data
        offset_size, self.ref_size, count, self.top, table = _TRAILER.unpack_from(data, len(data) - 32)
        code = _INT_CODES.get(offset_size)
        self.ref_code = _INT_CODES.get(self.ref_size)
        if code is None or self.ref_code is None or count > 65536 or table + count * offset_size > len(data):
            raise ValueError("bad trailer")
        # One struct call for the whole offset table: MBFile archives are read by the hundred thousand.
        self.offsets = struct.unpack_from(f">{count}{code}", data, table)

    def _length(self, at: int) -> tuple[int, int]:
        low = self.data[at] & 0x0F
        if low != 0x0F:
            return low, at + 1
        marker = self.data[at + 1]
        if marker >> 4 != 0x1:
            raise ValueError("bad length")
        size = 1 << (marker & 0x0F)
        return int.from_bytes(self.data[at + 2:at + 2 + size], "big"), at + 2 + size

    def refs(self, ref: int, kind: int) -> tuple[int, ...]:
        at = self.offsets[ref]
        if self.data[at] >> 4 != kind:
            raise ValueError("unexpected object kind")
        length, start = self._length(at)
        if length > 4096:
            raise ValueError("container too large")
        if kind == 0xD:
            length *= 2  # a dictionary lists its key references, then its value references
        return struct.unpack_from(f">{length}{self.ref_code}", self.data, start)

    def scalar(self, ref: int) -> Any:
        data = self.data
        at = self.offsets[ref]
        marker = data[at]
        kind, low = marker >> 4, marker & 0x0F
        if kind == 0x1:
            size = 1 << low
            if size > MAX_INT_BYTES:
                raise ValueError("integer too wide")
            return int.from_bytes(data[at + 1:at + 1 + size], "big", signed=size >= 8)
        if kind == 0x5 and low != 0x0F:
            return data[at + 1:at + 1 + low].decode("ascii")
        if kind == 0x8:
            return ("uid", int.from_bytes(data[at + 1:at + 2 + low], "big"))
        if kind in (0x4, 0x5, 0x6):
            length, start = self._length(at)
            if kind == 0x4:
                return data[start:start + length]
            if kind == 0x5:
                return data[start:start + length].decode("ascii")
            return data[start:start + 2 * length].decode("utf-16-be")
        if kind == 0x0:
            return {0x8: False, 0x9: True}.get(low)
        if kind == 0x2:
            return struct.unpack(">d" if low == 3 else ">f", data[at + 1:at + 1 + (1 << low)])[0]
        raise ValueError("container where a scalar was expected")

    def dict(self, ref: int) -> dict[str, int]:
        """Keys (strings) to value references."""
        refs = self.refs(ref, 0xD)
        half = len(refs) // 2
        data, offsets, scalar = self.data, self.offsets, self.scalar
        result = {}
        for key, value in zip(refs[:half], refs[half:], strict=True):
            # Keys are short ASCII strings (marker 0x5n): decoded here, without a call per key
            # (a dictionary per MBFile archive, hundreds of thousands of them). Others: scalar().
            at = offsets[key]
            marker = data[at]
            if 0x50 <= marker < 0x5F:
                result[data[at + 1:at + 1 + (marker & 0x0F)].decode("ascii")] = value
            else:
                result[scalar(key)] = value
        return result


def read_mbfile(blob: bytes, wanted: frozenset[str] | None = None) -> dict[str, Any] | None:
    """The MBFile's own properties (UIDs resolved to strings or NS.data bytes), or None; only
    those named in `wanted` when given (a listing reads 300k of them and needs neither the
    archive's class nor the RelativePath the Manifest row already has)."""
    try:
        reader = _Reader(blob)
        top = reader.dict(reader.top)
        objects = reader.refs(top["$objects"], 0xA)
        root_uid = reader.scalar(reader.dict(top["$top"])["root"])
        if not isinstance(root_uid, tuple) or root_uid[1] >= len(objects):
            return None
        properties: dict[str, Any] = {}
        data, offsets = reader.data, reader.offsets
        for key, value_ref in reader.dict(objects[root_uid[1]]).items():
            if wanted is not None and key not in wanted:
                continue
            at = offsets[value_ref]
            marker = data[at]
            if 0x10 <= marker <= 0x12:
                # Most MBFile values are integers of 1-4 bytes (sizes, modes, times): read here.
                properties[key] = int.from_bytes(data[at + 1:at + 1 + (1 << (marker & 0x0F))], "big")
                continue
            value = reader.scalar(value_ref)
            if isinstance(value, tuple):
                if key == "$class" or value[1] >= len(objects):
                    continue
                target = objects[value[1]]
                if reader.data[reader.offsets[target]] >> 4 == 0xD:
                    holder = reader.dict(target)
                    data_ref = holder.get("NS.data", holder.get("NS.bytes"))
                    value = reader.scalar(data_ref) if data_ref is not None else None
                else:
                    value = reader.scalar(target)
                if value == "$null":
                    value = None
            properties[key] = value
        return properties
    except (ValueError, KeyError, IndexError, TypeError, struct.error, UnicodeDecodeError):
        return None


def plist_shape(data: bytes, max_objects: int) -> tuple[int, int, int] | None:
    """(objects, container entries, bytes of the widest integer over MAX_INT_BYTES or 0) of a
    binary plist, or None when its trailer or offset table cannot be read (plistlib then
    reports the defect).

    plistlib builds each object once per reference index, so the entries summed over every
    index of the offset table bound what it builds, shared references included. The scan stops
    at the trailer when the object count alone is over `max_objects`.
    """
    size = len(data)
    if size < 40:
        return None
    offset_size, ref_size, count, _, table = _TRAILER.unpack_from(data, size - 32)
    if not offset_size or not ref_size or table + count * offset_size > size:
        return None
    if count > max_objects:
        return count, 0, 0
    code = _INT_CODES.get(offset_size)
    if code is not None:
        offsets: Any = struct.unpack_from(f">{count}{code}", data, table)
    else:
        offsets = (int.from_bytes(data[at:at + offset_size], "big")
                   for at in range(table, table + count * offset_size, offset_size))
    entries = widest = 0
    for at in offsets:
        if at >= size:
            continue
        marker = data[at]
        if marker >= 0xA0:
            kind = marker & 0xF0
            if kind != 0xA0 and kind != 0xD0:
                continue
            length, start = marker & 0x0F, at + 1
            if length == 0x0F and at + 1 < size:
                # plistlib reads the length's size code from the low two bits, as here.
                width = 1 << (data[at + 1] & 0x3)
                length, start = int.from_bytes(data[at + 2:at + 2 + width], "big"), at + 2 + width
            # A length past the end of the file makes plistlib fail: nothing is built for it.
            if start + length * ref_size * (2 if kind == 0xD0 else 1) <= size:
                entries += length
        elif 0x14 < marker <= 0x1F and 1 << (marker & 0x0F) > widest:
            widest = 1 << (marker & 0x0F)
    return count, entries, widest
