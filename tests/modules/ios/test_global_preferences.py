from __future__ import annotations

import plistlib

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import global_preferences as module
from tests.builders.ios_artifacts_system import global_preferences_plist
from tests.conftest import run_module

DOMAIN, PATH = "HomeDomain", "Library/Preferences/.GlobalPreferences.plist"


def test_global_preferences_lockdown_on(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, global_preferences_plist(lockdown=True))
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.timestamp is None
    assert record.fields["lockdown_mode"] is True
    assert record.fields["locale"] == "en_US"
    assert record.fields["languages"] == ["en-US", "fr-FR"]
    assert record.fields["settings"]["AppleICUForce24HourTime"] is True
    assert "AppleLanguages" not in record.fields["settings"]
    assert record.message == "Lockdown Mode is on; locale en_US"
    assert record.observables == ()


def test_global_preferences_before_lockdown_mode(builder, backup_dir):
    builder.ios_version = "15.7"
    builder.add_file(DOMAIN, PATH, global_preferences_plist(lockdown=None))
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["lockdown_mode"] is None
    assert record.message == "Lockdown Mode is not recorded; locale en_US"


def test_global_preferences_lockdown_off(builder, backup_dir):
    # An XML plist holding only the Lockdown Mode key.
    builder.add_file(DOMAIN, PATH, plistlib.dumps({"LDMGlobalEnabled": False}))
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["lockdown_mode"] is False
    assert record.fields["locale"] is None


def test_global_preferences_empty(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, plistlib.dumps({}, fmt=plistlib.FMT_BINARY))
    assert run_module(builder.build(backup_dir), module) == []


def test_global_preferences_corrupt(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, b"bplist00" + b"\x00" * 40)
    with pytest.raises(EvidenceError, match=r"\.GlobalPreferences\.plist: not a valid plist"):
        run_module(builder.build(backup_dir), module)


def test_global_preferences_missing(builder, backup_dir):
    assert run_module(builder.build(backup_dir), module) == []
