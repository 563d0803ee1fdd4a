from __future__ import annotations

import random

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import dumpsys_accessibility
from spyglass.records import Observable
from tests.builders.dumpsys_text import (
    ACCESSIBILITY_14,
    ACCESSIBILITY_OLD,
    dumpstate,
    dumpsys_txt,
    from_androidqf,
    from_bugreport,
    section,
)

GARBAGE = bytes(random.Random(7).randrange(256) for _ in range(4096))


def test_dumpsys_accessibility_normal_both_inputs(tmp_path):
    qf = from_androidqf(tmp_path, dumpsys_accessibility, dumpsys_txt(section("accessibility", ACCESSIBILITY_OLD)))
    br = from_bugreport(tmp_path, dumpsys_accessibility,
                        dumpstate(section("accessibility", ACCESSIBILITY_OLD, priority="CRITICAL")))
    assert [r.fields for r in qf] == [r.fields for r in br]
    assert [r.fields["component"] for r in qf] == [
        "com.android.settings/com.samsung.android.settings.development.gpuwatch.GPUWatchInterceptor",
        "com.samsung.accessibility/com.samsung.accessibility.universalswitch.UniversalSwitchService",
        "com.spy.helper/com.spy.helper.KeyService"]
    assert qf[2].fields == {"package_name": "com.spy.helper", "component": "com.spy.helper/com.spy.helper.KeyService",
                            "enabled": True, "installed": True, "binding": False, "crashed": False, "user": 0}
    assert qf[0].fields["enabled"] is False
    assert qf[2].observables == (Observable("app_id", "com.spy.helper"),)
    assert qf[2].timestamp is None


def test_dumpsys_accessibility_android14_wording(tmp_path):
    records = from_bugreport(tmp_path, dumpsys_accessibility, dumpstate(section("accessibility", ACCESSIBILITY_14)))
    assert [r.fields for r in records] == [
        {"package_name": "com.malware.accessibility", "component": "com.malware.accessibility/com.malware.service.MalwareService",
         "enabled": True, "installed": None, "binding": False, "crashed": False, "user": 0},
        {"package_name": "com.agilebits.onepassword",
         "component": "com.agilebits.onepassword/com.agilebits.onepassword.filling.accessibility.FillingAccessibilityService",
         "enabled": True, "installed": None, "binding": False, "crashed": True, "user": 0}]


def test_dumpsys_accessibility_empty_section(tmp_path):
    assert from_androidqf(tmp_path, dumpsys_accessibility, dumpsys_txt(section("accessibility", ""))) == []


def test_dumpsys_accessibility_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"dumpsys.txt: no 'DUMP OF SERVICE' section"):
        from_androidqf(tmp_path, dumpsys_accessibility, GARBAGE)
    body = GARBAGE.decode("latin-1").replace("\n", " ")
    assert from_bugreport(tmp_path, dumpsys_accessibility, dumpstate(section("accessibility", body))) == []
