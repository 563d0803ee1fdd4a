"""android_acquisition: the acquisition's time and the phone's time zone as one record (androidqf
acquisition.json + getprop.txt; a bug report's dumpstate header + getprop section)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.errors import NotPresent
from spyglass.modules import Module
from spyglass.modules.android import android_acquisition
from spyglass.records import Record
from spyglass.runner import ModuleResult, run_module
from tests.builders.android import GETPROP, AndroidQFBuilder, BugreportBuilder

PARIS = GETPROP + b"[persist.sys.timezone]: [Europe/Paris]\n"
DUMPSTATE = (b"========================================================\n== dumpstate: 2024-06-01 12:00:00\n"
             b"========================================================\n\n"
             b"------ SYSTEM PROPERTIES (getprop) ------\n[persist.sys.timezone]: [America/New_York]\n"
             b"------ 0.030s was the duration of 'SYSTEM PROPERTIES' ------\n")
REPORT = "bugreport-panther-UQ1A.240205.004-2024-06-01-10-00-00.txt"


def _run(path: Path) -> tuple[list[Record], ModuleResult]:
    acquisition = open_acquisition(path)
    result = ModuleResult(android_acquisition.ARTIFACT.name, "")
    try:
        module = Module(android_acquisition.ARTIFACT, android_acquisition.parse, android_acquisition)
        return list(run_module(module, acquisition, result)), result
    finally:
        acquisition.close()


def test_android_acquisition_androidqf(tmp_path):
    [record], result = _run(AndroidQFBuilder().add("getprop.txt", PARIS).build_folder(tmp_path))
    assert (result.status, result.files) == ("ok", ["acquisition.json"])
    assert record.timestamp == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert record.timestamp_desc == "acquisition made"
    assert record.message == "Acquisition: androidqf ran at 2024-06-01T10:00:00Z; the phone's time zone is Europe/Paris"
    assert record.fields == {
        "acquired_at": "2024-06-01T10:00:00Z", "acquired_at_local": "2024-06-01 12:00:00",
        "acquired_at_source": "acquisition.json (started)", "acquired_at_note": None,
        "acquisition_completed": "2024-06-01T10:04:12Z", "timezone": "Europe/Paris",
        "timezone_source": "getprop.txt (persist.sys.timezone)", "kind": "androidqf"}
    assert (record.module, record.source) == ("android_acquisition", "acquisition.json")


def test_android_acquisition_bugreport(tmp_path):
    [record], result = _run(BugreportBuilder(dumpstate=DUMPSTATE).build_zip(tmp_path))
    assert result.files == [REPORT]
    # 12:00 in New York (UTC-4 in June).
    assert record.timestamp == datetime(2024, 6, 1, 16, tzinfo=UTC)
    assert (record.fields["acquired_at_local"], record.fields["timezone"], record.fields["kind"]) == (
        "2024-06-01 12:00:00", "America/New_York", "android-bugreport")


def test_android_acquisition_older_bugreport_local_only(tmp_path):
    # Android 8: no persist.sys.timezone printed; the local time is kept and said to be local.
    [record], _ = _run(BugreportBuilder(name="dumpstate").build_zip(tmp_path))
    assert record.timestamp is None and record.timestamp_desc == ""
    assert record.message == ("Acquisition: bug report made at 2024-06-01 10:00:00, the phone's local time "
                              "(its time zone is unknown)")
    assert record.fields["acquired_at_note"] == "the phone's local time; its time zone is unknown"


def test_android_acquisition_empty(tmp_path):
    builder = AndroidQFBuilder()
    del builder.files["acquisition.json"]
    records, result = _run(builder.build_folder(tmp_path))
    assert (records, result.status) == ([], "not present")


def test_android_acquisition_corrupt(tmp_path):
    builder = AndroidQFBuilder()
    builder.files["acquisition.json"] = b"\x00\xff{"
    acquisition = open_acquisition(builder.build_folder(tmp_path))
    assert acquisition.warnings == ["acquisition.json: not JSON; the acquisition time in it was not read"]
    with pytest.raises(NotPresent, match=r"^the acquisition names neither its time nor the phone's time zone$"):
        list(android_acquisition.parse(acquisition))
