from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import crash_reporter_prefs as module
from tests.builders.ios_artifacts_system import crash_reporter_plist
from tests.conftest import run_module

PATH = "Library/Preferences/com.apple.CrashReporter.plist"


def test_crash_reporter_prefs_normal(builder, backup_dir):
    builder.add_file("RootDomain", PATH, crash_reporter_plist())
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["keys"] == ["ExcResourceDiagInfo_cloudd", "ExcResourceDiagInfo_geod",
                                     "NANDTaskScheduler_Priority", "defTS"]
    assert record.fields["unexpected_keys"] == []
    assert record.fields["disabling_keys"] == []
    assert record.message == "Crash reporter preferences with 4 keys"
    assert record.source == ""       # filled in by the runner


def test_crash_reporter_prefs_disabling_keys(builder, backup_dir):
    builder.add_file("HomeDomain", PATH, crash_reporter_plist({
        "DisableCrashReporting": True, "AutoSubmit": False, "DialogType": "none", "EnableLogging": True,
        "defTS": 1}))
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["unexpected_keys"] == ["AutoSubmit", "DialogType", "DisableCrashReporting", "EnableLogging"]
    assert record.fields["disabling_keys"] == ["AutoSubmit", "DialogType", "DisableCrashReporting"]
    assert record.fields["unexpected_values"]["DialogType"] == "none"


def test_crash_reporter_prefs_empty(builder, backup_dir):
    builder.add_file("RootDomain", PATH, crash_reporter_plist({}))
    assert run_module(builder.build(backup_dir), module) == []


def test_crash_reporter_prefs_corrupt(builder, backup_dir):
    builder.add_file("RootDomain", PATH, b"\xde\xad\xbe\xef" * 8)
    with pytest.raises(EvidenceError, match=r"com\.apple\.CrashReporter\.plist: not a valid plist"):
        run_module(builder.build(backup_dir), module)


def test_crash_reporter_prefs_missing(builder, backup_dir):
    assert run_module(builder.build(backup_dir), module) == []
