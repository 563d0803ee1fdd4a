"""logs/tailspindb/UUIDToBinaryLocations of a sysdiagnose: binaries tailspin saw, by UUID."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from spyglass.check import check
from spyglass.errors import EvidenceError
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.modules.ios import uuid_paths
from spyglass.records import Observable
from tests.builders.sysdiagnose import SysdiagnoseBuilder
from tests.builders.sysdiagnose_artifacts import run_sysdiagnose
from tests.builders.sysdiagnose_more import ACCESSORYD_PATH, IMPLANT_PATH, uuid_to_binary_locations
from tests.indicators.stix_bundles import related_bundle, write

NAME = "logs/tailspindb/UUIDToBinaryLocations"
CYQP = "/private/var/containers/Bundle/Application/DDD157FD-8945-4E3E-86A5-80AD5393E958/cyqp.app/cyqp"


def test_uuid_paths_xml(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {NAME: uuid_to_binary_locations()}, uuid_paths)
    assert [r.fields["path"] for r in records] == [
        ACCESSORYD_PATH, CYQP, IMPLANT_PATH, "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation",
        "/usr/lib/system/libsystem_kernel.dylib"]
    accessoryd = records[0]
    assert accessoryd.timestamp is None
    assert accessoryd.timestamp_desc == "binary seen by tailspin"
    # A program kept inside a framework's folder is a program.
    assert accessoryd.fields == {"record_type": "binary", "binary_uuid": "BDBDD550-2B15-382C-BB61-1798AFD60460",
                                 "path": ACCESSORYD_PATH, "file_name": "accessoryd", "library": False,
                                 "process_name": "accessoryd", "process_path": ACCESSORYD_PATH, "entry": 1}
    assert accessoryd.observables == (Observable("process", "accessoryd"), Observable("file_path", ACCESSORYD_PATH))
    assert accessoryd.message == (f"Program {ACCESSORYD_PATH} (UUID BDBDD550-2B15-382C-BB61-1798AFD60460) "
                                  "was seen running by tailspin")
    # A lowercase UUID is written as the others are.
    assert records[2].fields["binary_uuid"] == "0A1B2C3D-4E5F-3061-8293-A4B5C6D7E8F9"
    assert records[2].observables == (Observable("process", "bh"), Observable("file_path", IMPLANT_PATH))
    for library in records[3:]:
        assert (library.fields["library"], library.fields["process_name"], library.fields["process_path"]) == (
            True, None, None)
        assert library.observables == (Observable("file_path", library.fields["path"]),)
    assert records[4].message == ("Library /usr/lib/system/libsystem_kernel.dylib (UUID "
                                  "D3BAC787-09EE-3319-BE24-4115817391E2) was seen loaded by tailspin")


def test_uuid_paths_binary_plist(tmp_path: Path) -> None:
    # EC-DIGIT describes the map as XML; a binary plist (the other form plists take) reads the same.
    records = run_sysdiagnose(tmp_path, {NAME: uuid_to_binary_locations(binary=True)}, uuid_paths)
    assert [r.fields["binary_uuid"] for r in records][:2] == ["BDBDD550-2B15-382C-BB61-1798AFD60460",
                                                              "D17AFB64-8E39-3502-B41C-B18BF7C6A380"]


@pytest.mark.parametrize(("path", "library"), [
    ("/System/Library/Frameworks/UIKit.framework/UIKit", True),
    ("/System/Library/Frameworks/Foo.framework/Versions/A/Foo", True),
    ("/usr/lib/libobjc.A.dylib", True),
    ("/System/Library/PrivateFrameworks/CoreAccessories.framework/Support/accessoryd", False),
    ("/Applications/MobileSafari.app/MobileSafari", False),
    ("/System/Library/Frameworks/Foo.framework/XPCServices/Bar.xpc/Bar", False),
    ("/", False),
])
def test_uuid_paths_library(path: str, library: bool) -> None:
    assert uuid_paths.is_library(path) is library


def test_uuid_paths_matches_a_path_indicator(tmp_path: Path) -> None:
    feed = write(tmp_path / "feed.stix2", related_bundle([f"[file:path = '{IMPLANT_PATH}']"]))
    archive = SysdiagnoseBuilder().add(NAME, uuid_to_binary_locations()).build_tar(tmp_path)
    outcome = check(archive, tmp_path / "case", [], IndicatorIndex(load_paths([feed])))
    hits = [(d.module, d.observable.type, d.observable.value) for d in outcome.detections if d.kind == "indicator"]
    assert hits == [("uuid_paths", "file_path", IMPLANT_PATH)]


def test_uuid_paths_unreadable_entry(tmp_path: Path) -> None:
    data = plistlib.dumps({"AAAA": ["not", "a", "path"], "BBBB": ""}, fmt=plistlib.FMT_XML)
    first, second = run_sysdiagnose(tmp_path, {NAME: data}, uuid_paths)
    assert first.fields == {"record_type": "unreadable_entry", "binary_uuid": "AAAA", "value_type": "list", "entry": 1}
    assert first.observables == ()
    assert second.message == "Entry 2 of the UUID map has no path"


def test_uuid_paths_empty(tmp_path: Path) -> None:
    assert run_sysdiagnose(tmp_path, {NAME: plistlib.dumps({})}, uuid_paths) == []
    (tmp_path / "zero").mkdir()
    assert run_sysdiagnose(tmp_path / "zero", {NAME: b""}, uuid_paths) == []


def test_uuid_paths_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"UUIDToBinaryLocations: not a valid plist"):
        run_sysdiagnose(tmp_path, {NAME: b"<?xml version='1.0'?><plist><dict><key>x"}, uuid_paths)


def test_uuid_paths_not_a_dictionary(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"UUIDToBinaryLocations: expected a dictionary of UUID to path"):
        run_sysdiagnose(tmp_path, {NAME: plistlib.dumps(["a", "b"])}, uuid_paths)
