from __future__ import annotations

from spyglass.heuristics import android_surveillance_permissions
from spyglass.records import Observable
from tests.builders.android_records import package, run

P = "android.permission."
ALL_FIVE = [P + "RECEIVE_SMS", P + "READ_CALL_LOG", P + "ACCESS_FINE_LOCATION", P + "CAMERA", P + "RECORD_AUDIO",
            P + "INTERNET"]


def test_android_surveillance_permissions_found():
    records = [package("com.example.spy", installer=None, permissions=ALL_FIVE),
               package("com.android.system.update", installer=None,
                       permissions=[P + "READ_SMS", P + "PROCESS_OUTGOING_CALLS", P + "ACCESS_COARSE_LOCATION",
                                    P + "CAMERA", P + "RECORD_AUDIO"])]
    found = run(android_surveillance_permissions, records)
    assert [(d.observable, d.severity) for d in found] == [
        (Observable("app_id", "com.example.spy"), "medium"),
        (Observable("app_id", "com.android.system.update"), "medium"),
    ]
    assert "text messages" in found[0].message and "microphone" in found[0].message


def test_android_surveillance_permissions_near_miss():
    # Google's and Samsung's own apps hold them all; WhatsApp lacks SMS and call log; a
    # permission only requested (not granted) does not count.
    records = [
        package("com.google.android.dialer", system=True, permissions=ALL_FIVE),
        package("com.samsung.android.messaging", system=True, permissions=ALL_FIVE),
        package("com.google.android.apps.messaging", permissions=ALL_FIVE),
        package("com.whatsapp", permissions=[P + "ACCESS_FINE_LOCATION", P + "CAMERA", P + "RECORD_AUDIO",
                                             P + "READ_CONTACTS"]),
        package("com.example.almost", installer=None, permissions=ALL_FIVE[1:]),
    ]
    assert run(android_surveillance_permissions, records) == []
