from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import dumpsys_adb
from tests.builders.dumpsys_text import (
    ADB_ABX,
    ADB_XML,
    KEY_A,
    KEY_B,
    dumpstate,
    dumpsys_txt,
    from_androidqf,
    from_bugreport,
    section,
)

# MD5 of the base64-decoded keys, as adb prints fingerprints.
FP_A = "9C:5F:F5:46:32:79:BD:F5:8A:5A:27:27:16:0A:E1:32"
FP_B = "A5:28:70:4F:CA:D2:80:21:95:D0:9C:74:87:F8:30:86"


def test_dumpsys_adb_normal_both_inputs(tmp_path):
    qf = from_androidqf(tmp_path, dumpsys_adb, dumpsys_txt(section("adb", ADB_XML)))
    br = from_bugreport(tmp_path, dumpsys_adb, dumpstate(section("adb", ADB_XML)))
    assert [r.fields for r in qf] == [r.fields for r in br]
    assert [r.fields for r in qf] == [
        {"key": KEY_A, "key_fingerprint": FP_A, "user": "analyst@laptop", "in_user_keys": True, "in_keystore": True,
         "last_connected": "2024-06-01T10:00:00Z", "connected_to_adb": True, "last_key_received": False},
        {"key": KEY_B, "key_fingerprint": FP_B, "user": "unknown@host", "in_user_keys": True, "in_keystore": False,
         "last_connected": None, "connected_to_adb": True, "last_key_received": False},
        {"key": None, "key_fingerprint": "F0:A1:3D:8C:B3:F4:7B:09:9F:EE:8B:D8:38:2E:BD:C6", "user": None,
         "in_user_keys": False, "in_keystore": False, "last_connected": None, "connected_to_adb": True,
         "last_key_received": True}]
    assert qf[0].timestamp == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert qf[0].timestamp_desc == "last connected"


def test_dumpsys_adb_binary_xml_keystore(tmp_path):
    records = from_bugreport(tmp_path, dumpsys_adb, dumpstate(section("adb", ADB_ABX)))
    assert [r.fields for r in records] == [
        {"key": KEY_B, "key_fingerprint": FP_B, "user": None, "in_user_keys": False, "in_keystore": True,
         "last_connected": None, "connected_to_adb": False, "last_key_received": False}]


def test_dumpsys_adb_empty_section(tmp_path):
    assert from_androidqf(tmp_path, dumpsys_adb, dumpsys_txt(section("adb", "Can't find service: adb"))) == []


def test_dumpsys_adb_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"no 'DUMP OF SERVICE' section"):
        from_androidqf(tmp_path, dumpsys_adb, b"\x00" * 5000)
    # A key cut short: kept, with no fingerprint (its base64 does not decode).
    body = "  debugging_manager={\n    user_keys=QAAAAPUBsVijHeceeK3bETuudn5\n"
    records = from_bugreport(tmp_path, dumpsys_adb, dumpstate(section("adb", body, ended=None)))
    assert [(r.fields["key"], r.fields["key_fingerprint"]) for r in records] == [("QAAAAPUBsVijHeceeK3bETuudn5", None)]
