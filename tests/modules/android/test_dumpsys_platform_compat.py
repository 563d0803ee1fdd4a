from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import dumpsys_platform_compat
from spyglass.records import Observable
from tests.builders.dumpsys_text import (
    PLATFORM_COMPAT,
    PLATFORM_COMPAT_11,
    dumpstate,
    dumpsys_txt,
    from_androidqf,
    from_bugreport,
    section,
)


def test_dumpsys_platform_compat_normal_both_inputs(tmp_path):
    qf = from_androidqf(tmp_path, dumpsys_platform_compat, dumpsys_txt(section("platform_compat", PLATFORM_COMPAT)))
    br = from_bugreport(tmp_path, dumpsys_platform_compat, dumpstate(section("platform_compat", PLATFORM_COMPAT)))
    assert [r.fields for r in qf] == [r.fields for r in br]
    assert [r.fields for r in qf] == [
        {"change_id": 168419799, "change_name": "DOWNSCALED", "package_name": "com.google.android.apps.tachyon",
         "override": "package", "value": "false"},
        {"change_id": 168419799, "change_name": "DOWNSCALED", "package_name": "org.torproject.torbrowser",
         "override": "raw", "value": "false"},
        {"change_id": 168419799, "change_name": "DOWNSCALED", "package_name": "com.removed.spy",
         "override": "raw", "value": "false"}]
    assert qf[2].observables == (Observable("app_id", "com.removed.spy"),)


def test_dumpsys_platform_compat_android11_unnamed_change(tmp_path):
    records = from_bugreport(tmp_path, dumpsys_platform_compat, dumpstate(section("platform_compat", PLATFORM_COMPAT_11)))
    assert [r.fields for r in records] == [{"change_id": 149924527, "change_name": None,
                                            "package_name": "com.example.game", "override": "package", "value": "true"}]


def test_dumpsys_platform_compat_empty_section(tmp_path):
    assert from_androidqf(tmp_path, dumpsys_platform_compat, dumpsys_txt(section("platform_compat", ""))) == []


def test_dumpsys_platform_compat_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"no 'DUMP OF SERVICE' section"):
        from_bugreport(tmp_path, dumpsys_platform_compat, b"\xff" * 4096)
    body = "ChangeId(\x00; name=\xff; rawOverrides={=, ,})\nChangeId(12; rawOverrides={\n"
    assert from_androidqf(tmp_path, dumpsys_platform_compat, dumpsys_txt(section("platform_compat", body))) == []
