from __future__ import annotations

from spyglass.heuristics import profile_notifications
from spyglass.records import Observable, Record

SOURCE = ("SysSharedContainerDomain-systemgroup.com.apple.configurationprofiles/"
          "Library/ConfigurationProfiles/profile-abc.stub")


def _profile(types, organization="Example Corp", name="Example", uuid="U-1"):
    return Record(timestamp=None, timestamp_desc="profile installed", message="", module="configuration_profiles",
                  source=SOURCE, fields={"payload_identifier": "com.example.p", "payload_uuid": uuid,
                                         "payload_display_name": name, "payload_organization": organization,
                                         "payload_types": types})


def test_profile_notifications_notification_payload():
    (found,) = profile_notifications.check(
        {"configuration_profiles": [_profile(["com.apple.notificationsettings"], organization=None, name="Update")]})
    assert found.severity == "medium"
    assert found.observable == Observable("profile_id", "U-1")
    assert found.message == ('Configuration profile "Update" from no named organization changes which apps may '
                             "show notifications, which can hide alerts from you")


def test_profile_notifications_unknown_organization_low():
    (found,) = profile_notifications.check(
        {"configuration_profiles": [_profile(["com.apple.wifi.managed"], organization="  ")]})
    assert found.severity == "low"
    assert found.message == ('Configuration profile "Example" does not say which organization installed it; '
                             "check that you recognise it")


def test_profile_notifications_near_misses():
    records = [
        _profile(["com.apple.vpn.managed"]),                          # named organization, harmless payload
        _profile(["com.apple.notificationsettings.extra"]),           # not the notification payload type
        _profile([]),
    ]
    assert list(profile_notifications.check({"configuration_profiles": records})) == []
