"""Plist loading and NSKeyedArchiver unarchiving meet hostile shapes: shared references that
expand exponentially when walked per path, object counts that exhaust memory, oversized
integers. Non-exponential behaviour is proved by counting (memoised identity, budget errors),
never by timing; each test also runs under a time guard so a regression fails instead of hanging."""

from __future__ import annotations

import functools
import plistlib
import signal
import struct
from collections.abc import Callable
from datetime import datetime
from plistlib import UID
from typing import Any

import pytest

from spyglass.bplist import read_mbfile
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_ARCHIVE_NODES, MAX_PLIST_OBJECTS
from spyglass.plists import load_plist, unarchive
from tests.builders.plist_bombs import doubling_archive, keyed_archive

try:
    import pytest_timeout  # noqa: F401
except ImportError:
    pytest_timeout = None


def within(seconds: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Fail a test still running after `seconds`: pytest-timeout's marker when installed, else SIGALRM."""
    def wrap(test: Callable[..., Any]) -> Callable[..., Any]:
        if pytest_timeout is not None:
            return pytest.mark.timeout(seconds)(test)
        if not hasattr(signal, "SIGALRM"):
            return test

        @functools.wraps(test)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            def expire(signum: int, frame: Any) -> None:
                raise TimeoutError(f"{test.__name__} still running after {seconds} s")
            previous = signal.signal(signal.SIGALRM, expire)
            signal.alarm(seconds)
            try:
                return test(*args, **kwargs)
            finally:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, previous)
        return guarded
    return wrap


def binary_plist(objects: list[bytes], *, top: int = 0, ref_size: int = 1) -> bytes:
    """A binary plist from encoded objects, in order: offset table (4-byte offsets) and trailer."""
    body = b"bplist00"
    offsets = []
    for encoded in objects:
        offsets.append(len(body))
        body += encoded
    table = len(body)
    body += struct.pack(f">{len(offsets)}L", *offsets)
    return body + struct.pack(">6xBBQQQ", 4, ref_size, len(offsets), top, table)


def ascii_object(text: str) -> bytes:
    assert len(text) < 15
    return bytes([0x50 | len(text)]) + text.encode("ascii")


def mbfile_with_size(size_object: bytes) -> bytes:
    """A minimal MBFile archive whose root's only property is Size, encoded as given."""
    return binary_plist([
        b"\xd2\x01\x02\x03\x04",                       # 0: {"$objects": 3, "$top": 4}
        ascii_object("$objects"), ascii_object("$top"),
        b"\xa2\x05\x06",                               # 3: ["$null", 6]
        b"\xd1\x07\x08",                               # 4: {"root": UID(1)}
        ascii_object("$null"),
        b"\xd1\x09\x0a",                               # 6: {"Size": 10}
        ascii_object("root"), b"\x80\x01", ascii_object("Size"),
        size_object,
    ])


# -- NSKeyedArchiver ---------------------------------------------------------------------------
@within(20)
def test_unarchive_shared_references_resolved_once() -> None:
    # 2**30 paths through 33 objects: walked per path this never finishes.
    resolved = unarchive(doubling_archive(30), "MBFile")
    node, levels = resolved, 0
    while isinstance(node, list):
        assert len(node) == 2 and node[0] is node[1]
        node, levels = node[0], levels + 1
    assert (levels, node) == (30, "leaf")


@within(20)
def test_unarchive_over_the_value_budget_refused() -> None:
    objects = ["$null", {"$class": UID(3), "NS.objects": [UID(2)] * MAX_ARCHIVE_NODES}, "same",
               {"$classes": ["NSArray", "NSObject"], "$classname": "NSArray"}]
    with pytest.raises(EvidenceError) as caught:
        unarchive(keyed_archive(objects), "MBFile")
    assert str(caught.value) == f"MBFile: NSKeyedArchiver archive over the {MAX_ARCHIVE_NODES} value bound"


@within(20)
def test_unarchive_just_under_the_value_budget_read() -> None:
    # The root array and its items: MAX_ARCHIVE_NODES values in all.
    objects = ["$null", {"$class": UID(3), "NS.objects": [UID(2)] * (MAX_ARCHIVE_NODES - 1)}, "same",
               {"$classes": ["NSArray", "NSObject"], "$classname": "NSArray"}]
    assert unarchive(keyed_archive(objects)) == ["same"] * (MAX_ARCHIVE_NODES - 1)


@within(20)
def test_unarchive_cycles_cut() -> None:
    objects = ["$null", {"$class": UID(3), "NS.objects": [UID(2), UID(1)]},
               {"$class": UID(3), "NS.objects": [UID(1), "$null"]},
               {"$classes": ["NSArray", "NSObject"], "$classname": "NSArray"}]
    assert unarchive(keyed_archive(objects)) == [[None, None], None]


@within(20)
def test_unarchive_shared_plain_lists_inside_objects_resolved_once() -> None:
    # plistlib shares one Python list per binary reference: raw lists form a DAG too.
    shared: list[Any] = ["x"]
    for _ in range(40):
        shared = [shared, shared]
    objects = ["$null", {"$class": UID(2), "values": shared}, {"$classname": "Holder"}]
    resolved = unarchive(keyed_archive(objects))
    node = resolved["values"]
    for _ in range(40):
        assert node[0] is node[1]
        node = node[0]
    assert node == ["x"] and resolved["$class"] == "Holder"


@within(20)
def test_unarchive_normal_archive_unchanged() -> None:
    objects = [
        "$null",
        {"$class": UID(9), "Name": UID(2), "When": UID(3), "Blob": UID(4), "Props": UID(5), "Gone": UID(0),
         "Count": 7, "Link": UID(11)},
        "example",
        {"$class": UID(10), "NS.time": 650000000.0},
        {"$class": UID(10), "NS.data": b"\x00\x01"},
        {"$class": UID(10), "NS.keys": [UID(6), UID(7)], "NS.objects": [UID(8), UID(2)]},
        "k1", "k2",
        {"$class": UID(10), "NS.objects": [UID(2), 3]},
        {"$classes": ["Thing", "NSObject"], "$classname": "Thing"},
        {"$classes": ["NSObject"], "$classname": "NSObject"},
        {"$class": UID(10), "NS.relative": UID(12)},
        {"$class": UID(10), "NS.string": "file:///x"},
    ]
    assert unarchive(keyed_archive(objects)) == {
        "Name": "example", "When": 650000000.0, "Blob": b"\x00\x01",
        "Props": {"k1": ["example", 3], "k2": "example"}, "Gone": None, "Count": 7, "Link": "file:///x",
        "$class": "Thing",
    }


def test_unarchive_refuses_what_is_not_an_archive() -> None:
    with pytest.raises(EvidenceError) as caught:
        unarchive({"$objects": []}, "blob")
    assert str(caught.value) == "blob: not an NSKeyedArchiver plist"


# -- load_plist: object counts -------------------------------------------------------------
@within(20)
def test_load_plist_refuses_binary_object_count_over_bound() -> None:
    # Every offset points at the same integer: valid for plistlib, cheap to write, and the trailer
    # claims MAX_PLIST_OBJECTS + 1 objects.
    count = MAX_PLIST_OBJECTS + 1
    body = b"bplist00\x10\x07"
    blob = body + bytes([8]) * count + struct.pack(">6xBBQQQ", 1, 4, count, 0, len(body))
    assert plistlib.loads(blob) == 7
    with pytest.raises(EvidenceError) as caught:
        load_plist(blob, "Info.plist")
    assert str(caught.value) == (f"Info.plist: binary plist of {count} objects is over the "
                                 f"{MAX_PLIST_OBJECTS} object bound")


@within(20)
def test_load_plist_refuses_shared_references_over_bound() -> None:
    # Two objects, but one array of MAX_PLIST_OBJECTS + 1 references to the same integer: plistlib
    # would build a list (and a tuple of references) of that length.
    count = MAX_PLIST_OBJECTS + 1
    blob = binary_plist([b"\xaf\x13" + count.to_bytes(8, "big") + b"\x01" * count, b"\x10\x07"])
    with pytest.raises(EvidenceError) as caught:
        load_plist(blob, "idstatuscache.plist")
    assert str(caught.value) == (f"idstatuscache.plist: binary plist containers hold over "
                                 f"{MAX_PLIST_OBJECTS} values, over the {MAX_PLIST_OBJECTS} object bound")


@within(20)
def test_load_plist_refuses_xml_elements_over_bound() -> None:
    count = MAX_PLIST_OBJECTS + 1
    blob = b'<?xml version="1.0"?><plist version="1.0"><array>' + b"<true/>" * count + b"</array></plist>"
    with pytest.raises(EvidenceError) as caught:
        load_plist(blob, "Info.plist")
    # The count includes the <?xml, <plist and <array> start tags.
    assert str(caught.value) == f"Info.plist: XML plist of {count + 3} elements is over the {MAX_PLIST_OBJECTS} object bound"


@within(20)
def test_load_plist_refuses_oversized_integer() -> None:
    # plistlib reads 2**15 bytes for an integer of size code 15: a number no JSON writer accepts.
    blob = binary_plist([b"\x1f" + b"\x7f" * 32768])
    with pytest.raises(EvidenceError) as caught:
        load_plist(blob, "clients.plist")
    assert str(caught.value) == "clients.plist: binary plist integer of 32768 bytes is over the 16 byte bound"


@within(20)
def test_load_plist_normal_plists_unchanged() -> None:
    value = {"a": [1, 2.5, True, "x"], "b": {"c": b"\x00\xff", "d": datetime(2021, 7, 1, 10, 0)},
             "big": 2**64 - 1, "neg": -5}
    assert load_plist(plistlib.dumps(value, fmt=plistlib.FMT_BINARY)) == value
    assert load_plist(plistlib.dumps(value, fmt=plistlib.FMT_XML)) == value
    shared = ["s"]
    assert load_plist(plistlib.dumps({"x": [shared, shared]}, fmt=plistlib.FMT_BINARY)) == {"x": [["s"], ["s"]]}


def test_load_plist_at_the_object_bound_read() -> None:
    count = MAX_PLIST_OBJECTS
    body = b"bplist00\x10\x07"
    blob = body + bytes([8]) * count + struct.pack(">6xBBQQQ", 1, 4, count, 0, len(body))
    assert load_plist(blob) == 7


# -- the lean MBFile reader -----------------------------------------------------------------
def test_read_mbfile_reads_a_hand_built_archive() -> None:
    assert read_mbfile(mbfile_with_size(b"\x13" + (123456789).to_bytes(8, "big"))) == {"Size": 123456789}
    assert read_mbfile(mbfile_with_size(b"\x14" + (2**64).to_bytes(16, "big"))) == {"Size": 2**64}


def test_read_mbfile_refuses_oversized_integer() -> None:
    # Size code 5 (32 bytes) and 15 (32768 bytes) are beyond the format's 16-byte integers.
    assert read_mbfile(mbfile_with_size(b"\x15" + b"\x01" * 32)) is None
    assert read_mbfile(mbfile_with_size(b"\x1f" + b"\x01" * 32768)) is None
