from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import dumpsys_notification_listeners
from spyglass.records import Observable
from tests.builders.dumpsys_text import (
    NOTIFICATION,
    NOTIFICATION_10,
    dumpstate,
    dumpsys_txt,
    from_androidqf,
    from_bugreport,
    section,
)

WEAR = "com.google.android.apps.wearables.maestro.companion"


def test_dumpsys_notification_listeners_normal_both_inputs(tmp_path):
    qf = from_androidqf(tmp_path, dumpsys_notification_listeners, dumpsys_txt(section("notification", NOTIFICATION)))
    br = from_bugreport(tmp_path, dumpsys_notification_listeners, dumpstate(section("notification", NOTIFICATION)))
    assert [r.fields for r in qf] == [r.fields for r in br]
    # The assistant (another caption of the same dump code) is left out.
    assert [r.fields for r in qf] == [
        {"package_name": "com.spy.helper", "component": "com.spy.helper/com.spy.helper.NotifyReader",
         "enabled": True, "live": True, "user": 0, "system": False},
        {"package_name": WEAR, "component": f"{WEAR}/{WEAR}.notifications.NotificationListener",
         "enabled": True, "live": False, "user": 0, "system": False}]
    assert qf[0].observables == (Observable("app_id", "com.spy.helper"),)


def test_dumpsys_notification_listeners_android10_wording(tmp_path):
    records = from_bugreport(tmp_path, dumpsys_notification_listeners, dumpstate(section("notification", NOTIFICATION_10)))
    assert [r.fields for r in records] == [
        {"package_name": "com.android.systemui",
         "component": "com.android.systemui/com.android.systemui.statusbar.NotificationListener",
         "enabled": True, "live": True, "user": -1, "system": True}]


def test_dumpsys_notification_listeners_empty_section(tmp_path):
    body = "Current Notification Manager state:\n  Notification listeners:\n    Live notification listeners (0):\n"
    assert from_androidqf(tmp_path, dumpsys_notification_listeners, dumpsys_txt(section("notification", body))) == []


def test_dumpsys_notification_listeners_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"no 'DUMP OF SERVICE' section"):
        from_androidqf(tmp_path, dumpsys_notification_listeners, b"\xff\xfe\x00garbage\x00" * 300)
    body = "    Live notification listeners (1):\n      ComponentInfo{\x00\x00 (user zz): \xff\n"
    assert from_bugreport(tmp_path, dumpsys_notification_listeners, dumpstate(section("notification", body))) == []
