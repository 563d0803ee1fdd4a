from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import dumpsys_device_admin
from spyglass.records import Observable
from tests.builders.dumpsys_text import (
    DEVICE_POLICY,
    DEVICE_POLICY_14,
    dumpstate,
    dumpsys_txt,
    from_androidqf,
    from_bugreport,
    section,
)


def test_dumpsys_device_admin_normal_both_inputs(tmp_path):
    qf = from_androidqf(tmp_path, dumpsys_device_admin, dumpsys_txt(section("device_policy", DEVICE_POLICY)))
    br = from_bugreport(tmp_path, dumpsys_device_admin, dumpstate(section("device_policy", DEVICE_POLICY)))
    assert [r.fields for r in qf] == [r.fields for r in br]
    assert [r.fields for r in qf] == [
        {"package_name": "com.corp.mdm", "component": "com.corp.mdm/com.corp.mdm.AdminReceiver", "user": 0,
         "uid": 10245, "device_owner": True, "profile_owner": False},
        {"package_name": "com.stalker.app", "component": "com.stalker.app/com.stalker.app.Admin", "user": 0,
         "uid": 10301, "device_owner": False, "profile_owner": False}]
    assert qf[0].message == "Device owner com.corp.mdm/com.corp.mdm.AdminReceiver"
    assert qf[1].observables == (Observable("app_id", "com.stalker.app"),)


def test_dumpsys_device_admin_android14_wording_and_profile_owner(tmp_path):
    records = from_bugreport(tmp_path, dumpsys_device_admin, dumpstate(section("device_policy", DEVICE_POLICY_14)))
    assert [(r.fields["component"], r.fields["user"], r.fields["uid"], r.fields["profile_owner"]) for r in records] == [
        ("com.google.android.gms/com.google.android.gms.mdm.receivers.MdmDeviceAdminReceiver", 0, 10150, False),
        ("com.work.dpc/com.work.dpc.Receiver", 10, 1010160, True)]


def test_dumpsys_device_admin_empty_section(tmp_path):
    body = "Current Device Policy Manager state:\n  Enabled Device Admins (User 0, provisioningState: 0):\n"
    assert from_androidqf(tmp_path, dumpsys_device_admin, dumpsys_txt(section("device_policy", body))) == []


def test_dumpsys_device_admin_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"no 'DUMP OF SERVICE' section: not dumpsys output"):
        from_bugreport(tmp_path, dumpsys_device_admin, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    assert from_androidqf(tmp_path, dumpsys_device_admin,
                          dumpsys_txt(section("device_policy", "\x00\x01Enabled Device Admins (User x\n  ///:\n"))) == []
