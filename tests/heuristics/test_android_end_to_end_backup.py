"""A whole check of an `adb backup` file (.ab): what a backup can show of a stalkerware app.

A backup holds no package list, permissions, services or settings: only, for each app whose data
it carries, apps/<package>/_manifest (package, version, installer, signing certificates: AOSP
AppMetadataBackupWriter), the app's files (apps/<package>/f/, db/, sp/, ...), its APK when made
with -apk (apps/<package>/a/base.apk), and the telephony provider's SMS and MMS
(apps/com.android.providers.telephony/d_f/, TelephonyBackupAgent). The modules that read a
backup are android_packages (the manifests) and android_sms (the messages): the planted app is
found by its id and signing certificate, its panel's domain in an SMS, and the heuristic on the
installer; nothing else of it can be seen.
"""

from __future__ import annotations

from spyglass.check import check
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.records import Observable
from tests.builders.android import android_backup, backup_manifest, signing_certificate
from tests.builders.android_sms import SMS_MEMBER, TELEPHONY, message_backup
from tests.indicators.stix_bundles import related_bundle, write

PLANTED = "com.example.spy"
PLANTED_CERT = "e8d70497269d81e05b83c0f5c5c48456d72395f2e9ba0a71c773047a864b4dc4"   # of signing_certificate below
DECOYS = ("com.example.spyglass", "com.example.sp", "com.example.spy.helper", "org.example.spy")
PANEL = "spy-panel.example"

MESSAGES = [
    {"self_phone": "+14155550100", "address": "+14155550177",
     "body": f"Activation code 4471: https://{PANEL}/activate?device=7", "date": "1719828000000",
     "date_sent": "1719827995000", "status": "-1", "type": "1"},
    {"self_phone": "+14155550100", "address": "+14155550123", "body": "see you at spyglass.example.net tonight",
     "date": "1719828060000", "date_sent": "0", "status": "-1", "type": "2"},
]


def _backup(tmp_path):
    decoy_cert = signing_certificate("Example Apps", 9)
    files = {
        "apps/com.android.providers.telephony/_manifest": backup_manifest(
            "com.android.providers.telephony", version_code=34, sdk=34, certificates=(signing_certificate("Android", 3),)),
        SMS_MEMBER: message_backup(MESSAGES),
        f"{TELEPHONY}/000001_mms_backup": message_backup([]),
        f"apps/{PLANTED}/_manifest": backup_manifest(PLANTED, version_code=42, sdk=34,
                                                     certificates=(signing_certificate("Example Spy", 7),)),
        f"apps/{PLANTED}/sp/config.xml": b"<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map />\n",
        **{f"apps/{name}/_manifest": backup_manifest(name, version_code=7, sdk=34, installer="com.android.vending",
                                                     certificates=(decoy_cert,)) for name in DECOYS},
    }
    path = tmp_path / "backup.ab"
    path.write_bytes(android_backup(files))
    return path


def test_android_end_to_end_backup_stalkerware(tmp_path):
    feed = write(tmp_path / "feed.stix2", related_bundle(
        [f"[app:id = '{PLANTED}']", f"[x509-certificate:hashes.'SHA-256' = '{PLANTED_CERT}']",
         f"[domain-name:value = '{PANEL}']"], malware_name="ExampleSpy"))
    outcome = check(_backup(tmp_path), tmp_path / "case", [], IndicatorIndex(load_paths([feed])))

    assert outcome.case["modules"]["android_packages"]["status"] == "ok"
    assert outcome.case["modules"]["android_sms"]["status"] == "ok"
    matched = {(d.module, d.severity, d.observable) for d in outcome.detections if d.kind == "indicator"}
    assert matched == {
        ("android_packages", "critical", Observable("app_id", PLANTED)),
        ("android_packages", "critical", Observable("cert_sha256", PLANTED_CERT)),
        ("android_sms", "high", Observable("domain", PANEL)),
    }
    # Every module that reads a backup ran; nothing else can say more of the app.
    ran = {name for name, module in outcome.case["modules"].items() if module["status"] != "not_present"}
    assert ran == {"android_packages", "android_sms"}

    # A backup names no installer and no system flag: no heuristic can weigh its apps, so the
    # planted app is found by its indicators alone, and the phone's own apps are not flagged.
    assert [d for d in outcome.detections if d.kind == "suspicious"] == []
    assert not any(d.observable and d.observable.value in DECOYS for d in outcome.detections)
