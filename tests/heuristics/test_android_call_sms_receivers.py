from __future__ import annotations

from spyglass.heuristics import android_call_sms_receivers
from spyglass.records import Observable
from tests.builders.android_records import package, receiver, run

SMS = "android.provider.Telephony.SMS_RECEIVED"
OUTGOING = "android.intent.action.NEW_OUTGOING_CALL"
PHONE_STATE = "android.intent.action.PHONE_STATE"


def test_android_call_sms_receivers_found():
    records = [
        package("com.example.spy", installer=None),
        receiver("com.example.spy/.SmsReceiver", SMS),
        receiver("com.example.spy/.CallReceiver", OUTGOING),
        receiver("com.example.spy/.CallReceiver", PHONE_STATE),
        package("com.truecaller"),
        receiver("com.truecaller/com.truecaller.callerid.PhoneStateReceiver", PHONE_STATE),
        receiver("org.example.otp/.SmsListener", SMS),
    ]
    found = run(android_call_sms_receivers, records)
    assert [(d.observable, d.severity) for d in found] == [
        (Observable("app_id", "com.example.spy"), "medium"),
        (Observable("app_id", "com.truecaller"), "low"),
        (Observable("app_id", "org.example.otp"), "low"),
    ]
    assert found[0].record.fields["action"] == SMS
    assert "every text message that arrives and every phone call" in found[0].message


def test_android_call_sms_receivers_near_miss():
    # The phone's own messaging, dialer and Google services, and third-party apps receiving
    # other broadcasts.
    records = [
        package("com.google.android.apps.messaging", system=True),
        receiver("com.google.android.apps.messaging/.shared.receiver.SmsReceiver", SMS),
        package("com.samsung.android.messaging", system=True),
        receiver("com.samsung.android.messaging/com.android.mms.transaction.PrivilegedSmsReceiver", SMS),
        receiver("com.android.phone/.PhoneStateReceiver", PHONE_STATE),
        package("com.google.android.gms", system=True),
        receiver("com.google.android.gms/.auth.api.phone.receivers.SmsRetrieverReceiver", SMS),
        package("com.sec.android.app.launcher", system=True),
        receiver("com.sec.android.app.launcher/.CallStateReceiver", PHONE_STATE),
        package("com.spotify.music"),
        receiver("com.spotify.music/.BootReceiver", "android.intent.action.BOOT_COMPLETED"),
    ]
    assert run(android_call_sms_receivers, records) == []
