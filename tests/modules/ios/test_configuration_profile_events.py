from __future__ import annotations

import plistlib
from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import configuration_profile_events as module
from spyglass.records import Observable
from tests.builders.ios_artifacts_system import profile_events_plist
from tests.conftest import run_module

DOMAIN = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"
PATH = "Library/ConfigurationProfiles/MCProfileEvents.plist"


def test_configuration_profile_events_normal(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, profile_events_plist())
    install, remove = run_module(builder.build(backup_dir), module)

    assert install.timestamp == datetime(2022, 8, 15, 14, 20, tzinfo=UTC)
    assert install.fields == {"profile_id": "com.example.vpn.profile", "operation": "install",
                              "process": "/usr/libexec/mdmd", "timestamp": "2022-08-15T14:20:00Z", "other": {}}
    assert install.timestamp_desc == "profile install"
    assert install.observables == (Observable("profile_id", "com.example.vpn.profile"),
                                   Observable("file_path", "/usr/libexec/mdmd"), Observable("process", "mdmd"))
    assert remove.fields["operation"] == "remove"
    assert remove.message == "Profile com.example.old.profile: remove by /Applications/Preferences.app/Preferences"


def test_configuration_profile_events_capitalised_keys(builder, backup_dir):
    builder.ios_version = "12.4"
    data = plistlib.dumps({"ProfileEvents": [
        {"com.example.p": {"Operation": "install", "Process": "profiled", "Timestamp": datetime(2019, 1, 2, 3, 4)}},
        "not a dictionary",
    ]}, fmt=plistlib.FMT_BINARY)
    builder.add_file(DOMAIN, PATH, data)
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["timestamp"] == "2019-01-02T03:04:00Z"
    assert record.observables == (Observable("profile_id", "com.example.p"), Observable("process", "profiled"))


def test_configuration_profile_events_empty(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, plistlib.dumps({"ProfileEvents": []}))
    assert run_module(builder.build(backup_dir), module) == []


def test_configuration_profile_events_corrupt(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, b"<?xml version='1.0'?><plist><dict><key>x</key>")
    with pytest.raises(EvidenceError, match=r"MCProfileEvents\.plist: not a valid plist"):
        run_module(builder.build(backup_dir), module)


def test_configuration_profile_events_missing(builder, backup_dir):
    assert run_module(builder.build(backup_dir), module) == []
