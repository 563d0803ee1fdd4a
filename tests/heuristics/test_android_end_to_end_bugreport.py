"""A whole check of an `adb bugreport` zip: a stalkerware app among look-alike decoys.

Formats: the dumpstate text as AOSP dumpstate.cpp writes it (tests/builders/dumpsys_text.py
`dumpstate`: header, "SYSTEM PROPERTIES (getprop)" section, then the dumpsys pass with each
service between dumpsys.cpp's header and footer lines). The services' own wording: the package
list as Android 15's Settings.dumpPackageLPr prints it (tests/builders/android.py), its
"Receiver Resolver Table" (IntentResolver.dump; MVT tests/artifacts/android_data/
dumpsys_packages.txt), accessibility as Android 14 prints it (MVT
dumpsys_accessibility_v14_or_later.txt), device_policy's "Enabled Device Admins" and
notification's "Notification listeners" blocks (DevicePolicyManagerService /
ManagedServices.dump, as in tests/builders/dumpsys_text.py).

A bug report holds no certificate digest of any app (dumpsys package prints 32-bit
Signature.hashCode values only): the feed's certificate indicator cannot match here and the
test says so.
"""

from __future__ import annotations

from spyglass.check import check
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.records import Observable
from tests.builders.android import BugreportBuilder, DumpedPackageSpec, DumpedUserSpec, dumpsys_packages
from tests.builders.dumpsys_text import SEPARATOR, section
from tests.indicators.stix_bundles import related_bundle, write

PLANTED = "com.example.spy"
PLANTED_CERT = "e8d70497269d81e05b83c0f5c5c48456d72395f2e9ba0a71c773047a864b4dc4"
DECOYS = ("com.example.spyglass", "com.example.sp", "com.example.spy.helper", "org.example.spy")
P = "android.permission."
SURVEILLANCE = ((P + "READ_SMS", True), (P + "READ_CALL_LOG", True), (P + "ACCESS_FINE_LOCATION", True),
                (P + "CAMERA", True), (P + "RECORD_AUDIO", True))


def _packages() -> str:
    planted = DumpedPackageSpec(PLANTED, uid=10311, installer=None, signatures=("1a2b3c4d",),
                                install=((P + "INTERNET", True), (P + "RECEIVE_BOOT_COMPLETED", True)),
                                users=(DumpedUserSpec(runtime=SURVEILLANCE),))
    # Look-alike names from Google Play, each with some (not all) of the powers.
    decoys = [DumpedPackageSpec(name, uid=10320 + number, users=(DumpedUserSpec(runtime=SURVEILLANCE[:2]),))
              for number, name in enumerate(DECOYS)]
    system = [DumpedPackageSpec("com.android.settings", uid=1000, system=True, installer=None,
                                code_path="/system/priv-app/Settings", install=()),
              DumpedPackageSpec("com.google.android.gms", uid=10150, system=True, installer=None,
                                code_path="/system/priv-app/PrebuiltGmsCore", users=(DumpedUserSpec(runtime=SURVEILLANCE),)),
              DumpedPackageSpec("com.google.android.apps.messaging", uid=10160, system=True,
                                code_path="/product/app/PrebuiltBugle")]
    text = dumpsys_packages([*system, planted, *decoys], layout=15)
    receivers = ("Receiver Resolver Table:\n  Non-Data Actions:\n      android.provider.Telephony.SMS_RECEIVED:\n"
                 f"        6d2b9b0 {PLANTED}/.SmsReceiver filter 3e2a1b2\n"
                 "        8f3c2d1 com.google.android.apps.messaging/.shared.receiver.SmsReceiver (2 filters)\n"
                 "      android.intent.action.BOOT_COMPLETED:\n"
                 "        1d2b9b0 com.example.spyglass/.BootReceiver filter 41a2b3c\n\n")
    table = text.index("Receiver Resolver Table:")     # the builder's own table, replaced by this one
    return text[:table] + receivers + text[text.index("Key Set Manager:"):]


ACCESSIBILITY = f"""\
ACCESSIBILITY MANAGER (dumpsys accessibility)

currentUserId=0
User state[
     attributes:{{id=0, touchExplorationEnabled=false, installedServiceCount=2}}
     Enabled services:{{{{{PLANTED}/{PLANTED}.SyncService}}}}
     Binding services:{{}}
     Crashed services:{{}}
]
"""

DEVICE_POLICY = f"""\
Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
  Enabled Device Admins (User 0, provisioningState: 0):
    {PLANTED}/{PLANTED}.AdminReceiver:
      uid=10311
      testOnlyAdmin=false
      policies:
        force-lock
        wipe-data
    com.google.android.gms/com.google.android.gms.mdm.receivers.MdmDeviceAdminReceiver:
      uid=10150
      testOnlyAdmin=false
  mPasswordOwner=-1
"""

NOTIFICATION = f"""\
Current Notification Manager state:

  Notification listeners:
    Allowed notification listeners:
      {PLANTED}/{PLANTED}.NotifyReader (user: 0 isPrimary: true)
    All notification listeners (2) enabled for current profiles:
      ComponentInfo{{{PLANTED}/{PLANTED}.NotifyReader}}
      ComponentInfo{{com.google.android.apps.wearables.maestro.companion/com.google.android.apps.wearables.maestro.companion.notifications.NotificationListener}}
    Live notification listeners (1):
      ComponentInfo{{{PLANTED}/{PLANTED}.NotifyReader}} (user 0): android.service.notification.INotificationListener$Stub$Proxy@7e3b2a1
    Snoozed notification listeners (0):
"""


def _dumpstate() -> bytes:
    props = ("[persist.sys.timezone]: [Europe/Paris]\n[ro.boot.selinux]: [enforcing]\n"
             "[ro.build.version.release]: [15]\n[ro.build.version.security_patch]: [2023-10-05]\n"
             "[ro.product.model]: [Pixel 7]\n")
    dumpsys = "".join(section(name, body) for name, body in (
        ("accessibility", ACCESSIBILITY), ("device_policy", DEVICE_POLICY), ("notification", NOTIFICATION),
        ("package", _packages())))
    text = ("========================================================\n"
            "== dumpstate: 2024-06-01 12:00:00\n"
            "========================================================\n\n"
            "Build: AP4A.250105.002\n"
            "------ SYSTEM PROPERTIES (getprop) ------\n" + props +
            "------ 0.030s was the duration of 'SYSTEM PROPERTIES' ------\n"
            "------ DUMPSYS (/system/bin/dumpsys) ------\n" + dumpsys + SEPARATOR + "\n"
            "------ 9.120s was the duration of 'DUMPSYS' ------\n")
    return text.encode()


def test_android_end_to_end_bugreport_stalkerware(tmp_path):
    feed = write(tmp_path / "feed.stix2", related_bundle(
        [f"[app:id = '{PLANTED}']", f"[x509-certificate:hashes.'SHA-256' = '{PLANTED_CERT}']"],
        malware_name="ExampleSpy"))
    acquisition = BugreportBuilder(dumpstate=_dumpstate()).build_zip(tmp_path)
    outcome = check(acquisition, tmp_path / "case", [], IndicatorIndex(load_paths([feed])))

    for module in ("android_packages", "android_getprop", "dumpsys_accessibility", "dumpsys_device_admin",
                   "dumpsys_notification_listeners", "dumpsys_receivers"):
        assert outcome.case["modules"][module]["status"] == "ok", module
    matched = [d for d in outcome.detections if d.kind == "indicator"]
    # The app id matches wherever the app is named; the certificate cannot: no digest in a bug report.
    assert {d.observable for d in matched} == {Observable("app_id", PLANTED)}
    assert {d.module for d in matched} == {"android_packages", "dumpsys_accessibility", "dumpsys_device_admin",
                                           "dumpsys_notification_listeners", "dumpsys_receivers"}

    found = {(d.heuristic, d.severity, d.observable.value if d.observable else None)
             for d in outcome.detections if d.kind == "suspicious"}
    assert found == {
        ("android_apps_outside_store", "medium", PLANTED),
        ("android_spy_services", "high", PLANTED),
        ("android_surveillance_permissions", "medium", PLANTED),
        ("android_call_sms_receivers", "low", PLANTED),
        ("android_patch_level", "low", "ro.build.version.security_patch"),
    }
    spy_services = next(d for d in outcome.detections if d.heuristic == "android_spy_services")
    assert "accessibility service" in spy_services.message and "device administrator" in spy_services.message
    assert "notifications" in spy_services.message
    assert not any(d.observable and d.observable.value in DECOYS for d in outcome.detections)
