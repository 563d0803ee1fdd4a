"""Records keep only bounded values: records.bounded_fields, applied by the runner to every
record, cuts depth, values (counted per path, so shared references cannot multiply), text and
odd types, and says so in `_truncated`. Modules that copy plist values keep bounded scalars."""

from __future__ import annotations

import plistlib
import types
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from spyglass import records
from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.case import dumps
from spyglass.limits import MAX_FIELD_CHARS, MAX_RECORD_CHARS, MAX_RECORD_DEPTH, MAX_RECORD_NODES
from spyglass.modules import Module
from spyglass.modules.ios import idstatuscache, locationd_clients
from spyglass.records import Record
from spyglass.runner import ModuleResult, run_module
from tests.builders.ios_artifacts_core import IDSTATUS_DOMAIN, IDSTATUS_PATH_IOS15
from tests.builders.ios_backup import BackupBuilder
from tests.builders.plist_bombs import doubling
from tests.test_plists import within


def count_values(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + count_values(item) for item in value.values())
    if isinstance(value, list):
        return sum(1 + count_values(item) for item in value)
    return 0


def run_on_backup(tmp_path: Path, python_module: types.ModuleType, domain: str, path: str,
                  blob: bytes) -> tuple[ModuleResult, list[Record]]:
    builder = BackupBuilder()
    builder.add_file(domain, path, blob)
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    try:
        module = Module(python_module.ARTIFACT, python_module.parse, python_module)
        result = ModuleResult(module.name, module.artifact.description)
        return result, list(run_module(module, backup, result))
    finally:
        backup.close()


# -- the sanitiser ---------------------------------------------------------------------------
def test_bounded_fields_flat_scalars_returned_unchanged() -> None:
    fields = {"a": 1, "b": "text", "c": None, "d": True, "e": 2.5, "f": b"\x00\x01", "g": -(2**100)}
    assert records.bounded_fields(fields) is fields


def test_bounded_fields_small_nested_values_kept() -> None:
    fields = {"times": {"LocationTimeStopped": "2023-06-01T07:45:00Z"}, "ids": ["a", "b"], "n": 3}
    assert records.bounded_fields(fields) == fields


def test_bounded_fields_nested_too_deep_cut() -> None:
    nested: Any = "deep"
    for _ in range(MAX_RECORD_DEPTH + 2):
        nested = [nested]
    # The fields dictionary is level 1: lists at levels 2 to MAX_RECORD_DEPTH are kept.
    kept: Any = None
    for _ in range(MAX_RECORD_DEPTH - 1):
        kept = [kept]
    assert records.bounded_fields({"n": nested, "ok": 1}) == {"n": kept, "ok": 1, "_truncated": True}
    assert MAX_RECORD_DEPTH == 8 and kept == [[[[[[[None]]]]]]]


def test_bounded_fields_shared_references_counted_per_path() -> None:
    width = 99
    row = [1] * width
    block = [row] * width                       # 1 + width * (1 + width) values per path
    block_cost = 1 + width * (1 + width)
    assert 1 + block_cost + 2 < MAX_RECORD_NODES
    bounded = records.bounded_fields({"a": [block, block]})
    left = MAX_RECORD_NODES - 1 - block_cost - 2  # "a", the first block; the second block and its first row
    assert bounded == {"a": [[[1] * width] * width, [[1] * left]], "_truncated": True}
    assert count_values({"a": bounded["a"]}) == MAX_RECORD_NODES
    assert bounded["a"][0][0] is not bounded["a"][0][1]   # a tree now: what is written is what is counted


def test_bounded_fields_exponential_dag_small() -> None:
    bounded = records.bounded_fields({"status": doubling(60)})
    assert bounded["_truncated"] is True
    assert count_values(bounded) <= MAX_RECORD_NODES + 1
    assert len(dumps(bounded)) < 4096


def test_bounded_fields_long_text_cut() -> None:
    assert records.bounded_fields({"a": "x" * (MAX_FIELD_CHARS + 5)}) == {"a": "x" * MAX_FIELD_CHARS, "_truncated": True}
    assert records.bounded_fields({"b": b"\x00" * (MAX_FIELD_CHARS + 1)}) == {"b": b"\x00" * MAX_FIELD_CHARS,
                                                                      "_truncated": True}
    assert records.bounded_fields({"k" * (MAX_FIELD_CHARS + 1): 1}) == {"k" * MAX_FIELD_CHARS: 1, "_truncated": True}


def test_bounded_fields_total_text_cut() -> None:
    piece = "y" * MAX_FIELD_CHARS
    bounded = records.bounded_fields({"t": [piece] * 20})
    left = MAX_RECORD_CHARS - 1                    # the key "t" counts
    whole, rest = divmod(left, MAX_FIELD_CHARS)
    assert bounded["t"] == [piece] * whole + ["y" * rest] + [""] * (20 - whole - 1)
    assert bounded["_truncated"] is True
    assert sum(len(text) for text in bounded["t"]) + 1 == MAX_RECORD_CHARS


def test_bounded_fields_odd_types_named() -> None:
    moment = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
    fields = {"uid": plistlib.UID(3), "set": {3, 1}, "tuple": (1, "a"), "frozen": frozenset({2}),
              "keys": {1: "a", b"k": 2, None: 3, (1, 2): 4, False: 5}, "when": moment, "big": 1 << 200,
              "raw": bytearray(b"ab"), "object": object()}
    assert records.bounded_fields(fields) == {
        "uid": "<UID>", "set": [1, 3], "tuple": [1, "a"], "frozen": [2],
        "keys": {"1": "a", "k": 2, "None": 3, "<tuple>": 4, "False": 5}, "when": moment,
        "big": "<int of 201 bits>", "raw": b"ab", "object": "<object>", "_truncated": True,
    }


def test_bounded_fields_conversions_without_loss_not_marked() -> None:
    assert records.bounded_fields({"t": (1, 2), "d": {"k": [1]}}) == {"t": [1, 2], "d": {"k": [1]}}


def test_bounded_fields_not_a_dictionary() -> None:
    assert records.bounded_fields([1, 2]) == {"_value": [1, 2], "_truncated": True}  # type: ignore[arg-type]


def test_bounded_text_and_scalar_field() -> None:
    assert records.bounded_text("m" * (MAX_FIELD_CHARS + 1)) == "m" * MAX_FIELD_CHARS
    assert records.bounded_text(doubling(60)) == "<list>"
    assert [records.scalar_field(v) for v in (None, True, 3, 2.5, "s", b"b\xff", 1 << 200, [1], {"a": 1})] == [
        None, True, 3, 2.5, "s", "b\ufffd", None, None, None]
    assert records.scalar_field("x" * 10, limit=4) == "xxxx"


def test_observables_keep_bounded_text_only() -> None:
    assert records.observables(("url", doubling(20)), ("phone", 41791234567), ("domain", "d" * (MAX_FIELD_CHARS + 3))) == (
        records.Observable("phone", "41791234567"), records.Observable("domain", "d" * MAX_FIELD_CHARS))


# -- the runner applies it -------------------------------------------------------------------
@within(30)
def test_runner_bounds_every_record(tmp_path: Path) -> None:
    normal = {"a": 1, "b": "two"}

    def parse(file: Any) -> Any:
        yield Record(None, "", "normal", normal)
        yield Record(None, "", "m" * (MAX_FIELD_CHARS + 10), {"status": doubling(40)})

    builder = BackupBuilder()
    builder.add_plist(IDSTATUS_DOMAIN, IDSTATUS_PATH_IOS15, {})
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    try:
        module = Module(idstatuscache.ARTIFACT, parse, idstatuscache)
        result = ModuleResult(module.name, module.artifact.description)
        first, second = run_module(module, backup, result)
    finally:
        backup.close()
    assert first.fields is normal and first.module == "idstatuscache"
    assert second.message == "m" * MAX_FIELD_CHARS
    assert second.fields["_truncated"] is True
    assert len(dumps(second.to_dict())) < MAX_FIELD_CHARS + 4096
    assert (result.status, result.records) == ("ok", 2)


# -- the modules keep bounded scalars --------------------------------------------------------
@within(30)
def test_idstatuscache_shared_reference_bomb_gives_a_small_record(tmp_path: Path) -> None:
    # ~200 bytes on disk; 2**20 leaves per path when serialised or formatted.
    bomb = doubling(20)
    blob = plistlib.dumps({"com.apple.madrid": {"mailto:a@b.c": {"IDStatus": bomb, "LookupDate": bomb}}},
                          fmt=plistlib.FMT_BINARY)
    assert len(blob) < 256
    result, [record] = run_on_backup(tmp_path, idstatuscache, IDSTATUS_DOMAIN, IDSTATUS_PATH_IOS15, blob)
    assert result.status == "ok" and result.errors == []
    assert len(dumps(record.to_dict())) < 2048
    assert record.message == "com.apple.madrid looked up mailto:a@b.c (None)"
    assert (record.fields["id_status"], record.fields["raw_lookup_date"]) == (None, None)
    assert record.fields["address"] == "a@b.c"


@within(30)
def test_idstatuscache_scalar_values_kept(tmp_path: Path) -> None:
    blob = plistlib.dumps({"com.apple.madrid": {"tel:+1555": {"IDStatus": "odd", "LookupDate": "x"}}},
                          fmt=plistlib.FMT_BINARY)
    _, [record] = run_on_backup(tmp_path, idstatuscache, IDSTATUS_DOMAIN, IDSTATUS_PATH_IOS15, blob)
    assert record.message == "com.apple.madrid looked up tel:+1555 (odd)"
    assert (record.fields["id_status"], record.fields["raw_lookup_date"]) == ("odd", "x")


@within(30)
def test_locationd_clients_shared_reference_bomb_gives_a_small_record(tmp_path: Path) -> None:
    bomb = doubling(20)
    blob = plistlib.dumps({"com.example.app": {"LocationTimeStopped": bomb, "Authorization": bomb,
                                               "Authorized": bomb, "BundleId": "com.example.app"}},
                          fmt=plistlib.FMT_BINARY)
    result, [record] = run_on_backup(tmp_path, locationd_clients, "RootDomain",
                                     "Library/Caches/locationd/clients.plist", blob)
    assert result.status == "ok" and result.errors == []
    assert len(dumps(record.to_dict())) < 2048
    assert record.fields["raw_times"] == {"LocationTimeStopped": None}
    assert (record.fields["authorization"], record.fields["authorized"]) == (None, None)
