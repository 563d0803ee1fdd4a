"""The shared splitter (_dumpsys): one reader for androidqf's dumpsys.txt and dumpstate text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from spyglass.errors import EvidenceError, NotPresent
from spyglass.modules.android import _dumpsys, dumpsys_platform_compat
from spyglass.modules.android._dumpsys import component_text, duration, local_time, service_name
from tests.builders.dumpsys_text import (
    PLATFORM_COMPAT,
    dumpstate,
    dumpsys_txt,
    from_androidqf,
    from_bugreport,
    located,
    section,
)


class Lines:
    source = "dumpsys.txt"

    def __init__(self, data: bytes) -> None:
        self.data = data

    def lines(self):
        yield from self.data.decode("utf-8", "replace").splitlines()


def test_dumpsys_sections_header_priority_and_footer():
    assert service_name("DUMP OF SERVICE appops:") == "appops"
    assert service_name("DUMP OF SERVICE CRITICAL cpuinfo:") == "cpuinfo"
    assert service_name("DUMP OF SERVICE HIGH meminfo:") == "meminfo"
    assert service_name("DUMP OF SERVICE two words here:") is None
    data = dumpstate(section("adb", "x=1"), section("appops", "  Uid 0:", priority="HIGH"))
    found = list(_dumpsys.sections(Lines(data), ("appops",)))
    assert [(s.service, s.lines, s.ended_at, s.timezone, s.complete, s.truncated) for s in found] == [
        ("appops", ["  Uid 0:"], "2024-06-01 12:02:11", "Europe/Paris", True, False)]


def test_dumpsys_sections_truncated_file_still_read():
    data = dumpsys_txt(section("adb", "a"), section("appops", "line one\nline two", ended=None))
    cut = data[: data.index(b"line two") + 4]
    found = list(_dumpsys.sections(Lines(cut), ("appops",)))
    assert [(s.lines, s.complete, s.ended_at, s.timezone) for s in found] == [(["line one", "line"], False, None, None)]


def test_dumpsys_sections_bounded(monkeypatch):
    monkeypatch.setattr(_dumpsys, "MAX_SECTION_LINES", 2)
    found = list(_dumpsys.sections(Lines(dumpsys_txt(section("appops", "1\n2\n3\n4"))), ("appops",)))
    assert [(s.lines, s.truncated, s.complete) for s in found] == [(["1", "2"], True, True)]


def test_dumpsys_sections_not_dumpsys_output_is_an_error():
    with pytest.raises(EvidenceError, match=r"dumpsys.txt: no 'DUMP OF SERVICE' section: not dumpsys output"):
        list(_dumpsys.sections(Lines(b"\x00\xff random"), ("appops",)))


def test_dumpsys_sections_service_absent_is_not_present():
    with pytest.raises(NotPresent, match=r"no dumpsys section of appops"):
        list(_dumpsys.sections(Lines(dumpsys_txt(section("adb", "x"))), ("appops",)))


def test_dumpsys_sections_helpers():
    assert duration("-4h50m23s772ms") == timedelta(hours=4, minutes=50, seconds=23, milliseconds=772)
    assert duration("+1d2h3m") == timedelta(days=1, hours=2, minutes=3)
    assert duration("soon") is None
    assert local_time("2024-06-01 12:00:00", "%Y-%m-%d %H:%M:%S", "Europe/Paris") == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert local_time("2024-06-01 12:00:00", "%Y-%m-%d %H:%M:%S", None) is None
    assert local_time("2024-06-01 12:00:00", "%Y-%m-%d %H:%M:%S", "Not/AZone") is None
    assert component_text("com.a/.Svc") == "com.a/com.a.Svc"
    assert component_text("ComponentInfo{com.a/com.b.Svc}") == "com.a/com.b.Svc"


def test_dumpsys_sections_found_in_both_acquisitions(tmp_path):
    qf = from_androidqf(tmp_path, dumpsys_platform_compat, dumpsys_txt(section("platform_compat", PLATFORM_COMPAT)))
    br = from_bugreport(tmp_path, dumpsys_platform_compat, dumpstate(section("platform_compat", PLATFORM_COMPAT)))
    assert [r.fields for r in qf] == [r.fields for r in br]
    assert len(qf) == 3
    assert located(tmp_path / "qf", dumpsys_platform_compat) == ["dumpsys.txt"]
    assert located(tmp_path / "br", dumpsys_platform_compat) == [
        "bugreport-panther-UQ1A.240205.004-2024-06-01-10-00-00.txt"]
