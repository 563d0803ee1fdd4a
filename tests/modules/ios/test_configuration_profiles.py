from __future__ import annotations

import plistlib
from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import configuration_profiles as module
from spyglass.records import Observable
from tests.builders.ios_artifacts_system import profile_stub_plist
from tests.conftest import run_module

DOMAIN = "SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles"
STUB = "Library/ConfigurationProfiles/profile-0a1b2c3d4e5f60718293a4b5c6d7e8f9.stub"


def test_configuration_profiles_normal(builder, backup_dir):
    builder.add_file(DOMAIN, STUB, profile_stub_plist())
    builder.add_file(DOMAIN, "Library/ConfigurationProfiles/CloudConfigurationDetails.plist",
                     plistlib.dumps({"AllowPairing": True}))
    (record,) = run_module(builder.build(backup_dir), module)

    assert record.timestamp == datetime(2022, 8, 15, 14, 20, tzinfo=UTC)
    assert record.fields["payload_identifier"] == "com.example.vpn.profile"
    assert record.fields["payload_uuid"] == "9A2F0A6B-1C2D-4E5F-8A9B-0C1D2E3F4A5B"
    assert record.fields["payload_display_name"] == "Example VPN"
    assert record.fields["payload_organization"] == "Example Corp"
    assert record.fields["payload_types"] == ["com.apple.vpn.managed"]
    assert record.fields["removal_disallowed"] is False
    assert record.fields["signed"] is False
    assert record.observables == (
        Observable("profile_id", "9A2F0A6B-1C2D-4E5F-8A9B-0C1D2E3F4A5B"),
        Observable("profile_id", "com.example.vpn.profile"),
        Observable("profile_id", "1B2C3D4E-5F60-4172-8394-A5B6C7D8E9F0"),
        Observable("profile_id", "com.example.vpn.profile.vpn"))
    assert record.message == "Configuration profile Example VPN from Example Corp (com.apple.vpn.managed)"


def test_configuration_profiles_mdm_and_notifications(builder, backup_dir):
    builder.ios_version = "16.6"
    content = [
        {"PayloadType": "com.apple.mdm", "PayloadUUID": "U-MDM", "PayloadIdentifier": "mdm",
         "ServerURL": "https://mdm.example.net/server", "CheckInURL": "https://mdm.example.net/checkin"},
        {"PayloadType": "com.apple.notificationsettings", "PayloadUUID": "U-N", "PayloadIdentifier": "n",
         "NotificationSettings": [{"BundleIdentifier": "com.apple.MobileSMS", "NotificationsEnabled": False}]},
    ]
    builder.add_file(DOMAIN, STUB, profile_stub_plist(identifier="x.y", uuid="U-1", display_name="Settings",
                                                      organization=None, content=content, install_date=None))
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.timestamp is None
    assert record.fields["payload_organization"] is None
    assert record.fields["payload_types"] == ["com.apple.mdm", "com.apple.notificationsettings"]
    assert record.fields["payloads"][0]["urls"] == ["https://mdm.example.net/checkin", "https://mdm.example.net/server"]
    assert Observable("url", "https://mdm.example.net/checkin") in record.observables


def test_configuration_profiles_empty(builder, backup_dir):
    builder.add_file(DOMAIN, STUB, plistlib.dumps({}, fmt=plistlib.FMT_BINARY))
    assert run_module(builder.build(backup_dir), module) == []


def test_configuration_profiles_corrupt(builder, backup_dir):
    builder.add_file(DOMAIN, STUB, b"bplist00\xff\xfe broken")
    with pytest.raises(EvidenceError, match=r"profile-0a1b2c3d4e5f60718293a4b5c6d7e8f9\.stub: not a valid plist"):
        run_module(builder.build(backup_dir), module)


def test_configuration_profiles_missing(builder, backup_dir):
    builder.add_file(DOMAIN, "Library/ConfigurationProfiles/MCProfileEvents.plist", plistlib.dumps({}))
    assert run_module(builder.build(backup_dir), module) == []
