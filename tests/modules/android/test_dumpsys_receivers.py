from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError, NotPresent
from spyglass.modules.android import dumpsys_receivers
from spyglass.records import Observable
from tests.builders.dumpsys_text import (
    PACKAGE,
    dumpstate,
    dumpsys_txt,
    from_androidqf,
    from_bugreport,
    section,
)

SMS = "android.provider.Telephony.SMS_RECEIVED"


def test_dumpsys_receivers_normal_both_inputs(tmp_path):
    qf = from_androidqf(tmp_path, dumpsys_receivers, dumpsys_txt(section("package", PACKAGE)))
    br = from_bugreport(tmp_path, dumpsys_receivers, dumpstate(section("package", PACKAGE)))
    assert [r.fields for r in qf] == [r.fields for r in br]
    # MIME-type keys, the activity and service tables are not receivers of an action.
    assert [(r.fields["action"], r.fields["component"], r.fields["table"]) for r in qf] == [
        (SMS, "com.spy.helper/com.spy.helper.SmsReceiver", "Non-Data Actions"),
        (SMS, "com.google.android.apps.messaging/com.google.android.apps.messaging.shared.receiver.SmsReceiver",
         "Non-Data Actions"),
        ("android.intent.action.BOOT_COMPLETED", "com.spy.helper/com.spy.helper.SmsReceiver", "Non-Data Actions"),
        ("android.provider.Telephony.WAP_PUSH_RECEIVED",
         "com.google.android.apps.messaging/com.google.android.apps.messaging.shared.receiver.MmsWapPushReceiver",
         "MIME Typed Actions")]
    assert qf[0].fields["package_name"] == "com.spy.helper"
    assert qf[0].observables == (Observable("app_id", "com.spy.helper"),)


def test_dumpsys_receivers_android10_table_without_mime_part(tmp_path):
    body = ("Receiver Resolver Table:\n  Non-Data Actions:\n      android.intent.action.BOOT_COMPLETED:\n"
            "        2f1e0d9 com.example/.Boot\n\nRegistered ContentProviders:\n")
    records = from_bugreport(tmp_path, dumpsys_receivers, dumpstate(section("package", body)))
    assert [r.fields for r in records] == [{"package_name": "com.example", "component": "com.example/com.example.Boot",
                                            "action": "android.intent.action.BOOT_COMPLETED",
                                            "table": "Non-Data Actions"}]


def test_dumpsys_receivers_empty_section(tmp_path):
    assert from_androidqf(tmp_path, dumpsys_receivers, dumpsys_txt(section("package", ""))) == []


def test_dumpsys_receivers_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"no 'DUMP OF SERVICE' section"):
        from_androidqf(tmp_path, dumpsys_receivers, bytes(range(256)) * 16)
    with pytest.raises(NotPresent, match=r"no dumpsys section of package"):
        from_bugreport(tmp_path, dumpsys_receivers, dumpstate(section("adb", "x")))
