from __future__ import annotations

import plistlib

from spyglass.acquisitions.ios_backup import parse_mbfile
from spyglass.bplist import read_mbfile
from spyglass.plists import unarchive
from tests.builders.ios_backup import mbfile_blob


def test_fast_mbfile_equals_plistlib() -> None:
    blob = mbfile_blob("Library/SMS/sms.db", 123456789, mode=0o100600, modified=1625133600, birth=1600000000,
                       encryption_key=b"\x03\x00\x00\x00" + b"k" * 40, target="/x/y")
    fast = read_mbfile(blob)
    slow = unarchive(plistlib.loads(blob))
    slow.pop("$class")
    assert fast == slow
    assert fast["Size"] == 123456789 and fast["RelativePath"] == "Library/SMS/sms.db"
    assert fast["EncryptionKey"] == b"\x03\x00\x00\x00" + b"k" * 40


def test_fast_mbfile_refuses_odd_input_and_falls_back() -> None:
    blob = mbfile_blob("a", 1)
    for broken in (b"", b"bplist00", blob[:-5], blob[:20] + b"\xff" * 20 + blob[40:], b"x" * 100):
        assert read_mbfile(broken) is None
    # Not an archive at all (an XML plist of the properties): the slow path still reads it.
    xml = plistlib.dumps({"Size": 7, "Mode": 0o100644}, fmt=plistlib.FMT_XML)
    assert read_mbfile(xml) is None
    assert parse_mbfile(xml)["size"] == 7


def test_fast_mbfile_reads_only_the_properties_wanted() -> None:
    blob = mbfile_blob("Library/SMS/sms.db", 42, mode=0o100600, modified=1625133600, birth=1600000000,
                       encryption_key=b"\x03\x00\x00\x00" + b"k" * 40)
    wanted = read_mbfile(blob, frozenset({"Size", "EncryptionKey", "Absent"}))
    assert wanted == {"Size": 42, "EncryptionKey": b"\x03\x00\x00\x00" + b"k" * 40}
    assert parse_mbfile(blob) == {"size": 42, "mode": 0o100600, "uid": 501, "gid": 501, "inode": 1000,
                                  "protection_class": 3, "flags": 0, "modified": 1625133600,
                                  "status_changed": 1625133600, "birth": 1600000000,
                                  "encryption_key": b"\x03\x00\x00\x00" + b"k" * 40}
