"""Android protections switched off in the settings: Play Protect, checks of apps installed over
USB, USB debugging, installs from unknown sources.

Reads the `android_settings` records (`cmd settings list global|secure|system`, as androidqf
saves them in settings_*.txt). Keys and their meaning: Android's Settings.Global and
Settings.Secure reference (developer.android.com) and MVT's ANDROID_DANGEROUS_SETTINGS
(mvt src/mvt/android/artifacts/settings.py). Stalkerware vendors' install guides ask whoever
installs it to switch these off first. The key is read in whichever namespace it appears,
because Android moved several between secure and global over the years.
  - package_verifier_enable=0 (Play Protect does not scan apps): medium;
  - verifier_verify_adb_installs=0 (apps installed over USB are not checked; on by default,
    turned off in the developer options): medium;
  - install_non_market_apps=1 (Android 7 and earlier: any app may be installed from outside
    the store): low;
MVT also reports crash and error reports not shared (samsung_errorlog_agree=0,
send_action_app_error=0) and Play Protect's optional uploads off (package_verifier_user_consent,
upload_apk_enable): owners decline these at set-up, so on their own they say nothing of spyware
and are not reported. USB debugging (adb_enabled=1) is not reported: androidqf and adb bugreport need it on to make the
acquisition, so the settings always show it on and say nothing of before; flagged on every
phone, it would turn every clean verdict into "signs worth a look".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Record

# key -> (the risky value, severity, the message)
RISKY = {
    "package_verifier_enable": ("0", "medium",
        "Google Play Protect is switched off, so apps on this phone are not checked for harmful "
        "behaviour. Stalkerware installers switch it off first. Turn it back on in the Play Store "
        "settings (Play Protect) and check the apps on the phone."),
    "verifier_verify_adb_installs": ("0", "medium",
        "Checking of apps installed from a computer over USB is switched off (developer options). "
        "It is on unless someone turns it off, which is done to install an app unnoticed."),
    "install_non_market_apps": ("1", "low",
        "The phone allows apps from unknown sources (outside the app store) to be installed. Turn "
        "this off unless you need it, and check the apps that were installed this way."),
}

HEURISTIC = Heuristic(
    name="android_security_settings",
    description="Android protections switched off (Play Protect, USB checks, unknown sources)",
    modules=frozenset({"android_settings"}),
    keep=lambda record: record.fields.get("key") in RISKY,
)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("android_settings", ()):
        fields = record.fields
        rule = RISKY.get(_android.text(fields.get("key")))
        if rule is None:
            continue
        value, severity, message = rule
        if _android.text(fields.get("value")).strip() == value:
            yield suspicious(HEURISTIC, record, message, severity=severity)
