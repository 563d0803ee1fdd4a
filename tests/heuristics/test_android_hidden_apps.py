from __future__ import annotations

from spyglass.heuristics import android_hidden_apps
from spyglass.records import Observable
from tests.builders.android_records import package, run


def test_android_hidden_apps_found():
    records = [package("com.example.spy", installer=None, hidden_launcher=True),
               package("com.example.theme", hidden_launcher=True)]
    found = run(android_hidden_apps, records)
    assert [(d.observable, d.severity) for d in found] == [
        (Observable("app_id", "com.example.spy"), "medium"),
        (Observable("app_id", "com.example.theme"), "low"),
    ]
    assert "from outside an app store" in found[0].message
    assert "from Google Play" in found[1].message


def test_android_hidden_apps_near_miss():
    # System packages and Google's and Samsung's store apps without icons, apps with an icon,
    # and apps whose icon is unknown (androidqf's packages.json does not say).
    records = [package("com.android.providers.telephony", installer=None, system=True, hidden_launcher=True),
               package("com.google.android.gms", system=True, hidden_launcher=True),
               package("com.google.android.tts", hidden_launcher=True),
               package("com.samsung.android.goodlock.plugin", installer="com.sec.android.app.samsungapps",
                       hidden_launcher=True),
               package("com.whatsapp", hidden_launcher=False),
               package("com.example.unknown", installer=None, hidden_launcher=None)]
    assert run(android_hidden_apps, records) == []
