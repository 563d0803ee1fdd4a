"""A whole check of an androidqf acquisition: a stalkerware app among look-alike decoys.

Formats: packages.json as androidqf's adb/packages.go writes it (Package / PackageFile structs;
`installer` is the text after `installer=` in `pm list packages -i`, "null" for none; MVT's
tests/artifacts/androidqf/packages.json); settings_<namespace>.txt as `cmd settings list`
prints them (androidqf modules/settings.go); getprop.txt as `getprop` prints it; dumpsys.txt with
the accessibility section as AOSP prints it on Android 14 (MVT
tests/artifacts/android_data/dumpsys_accessibility_v14_or_later.txt) between dumpsys's header
and footer lines.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from spyglass.check import check
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.records import Observable
from tests.builders.android import AndroidQFBuilder
from tests.builders.androidqf_artifacts import androidqf_package
from tests.indicators.stix_bundles import related_bundle, write

PLANTED = "com.example.spy"
DECOYS = ("com.example.spyglass", "com.example.sp", "com.example.spy.helper", "org.example.spy")
BOOT = int(datetime(2024, 6, 1, 8, tzinfo=UTC).timestamp() * 1000)


def _acquisition(tmp_path):
    packages = [androidqf_package(PLANTED, "null"),
                *(androidqf_package(name, "com.android.vending") for name in DECOYS),
                androidqf_package("com.google.android.gms", "com.android.vending", system=True),
                androidqf_package("com.android.settings", "null", system=True)]
    getprop = (b"[ro.boot.selinux]: [enforcing]\n[ro.build.version.release]: [14]\n"
               b"[ro.build.version.security_patch]: [2023-10-05]\n[ro.product.model]: [Pixel 7]\n"
               b"[ro.runtime.firstboot]: [" + str(BOOT).encode() + b"]\n")
    dumpsys = "\n".join([
        "-" * 79, "DUMP OF SERVICE accessibility:", "ACCESSIBILITY MANAGER (dumpsys accessibility)", "",
        "currentUserId=0", "User state[",
        "     attributes:{id=0, touchExplorationEnabled=false, installedServiceCount=2}",
        f"     Enabled services:{{{{{PLANTED}/{PLANTED}.SyncService}}}}",
        "     Binding services:{}", "     Crashed services:{}", "]",
        "--------- 0.012s was the duration of dumpsys accessibility, ending at: 2024-06-01 10:01:07", ""])
    builder = (AndroidQFBuilder()
               .add("packages.json", json.dumps(packages, indent=4).encode())
               .add("getprop.txt", getprop)
               .add("settings_global.txt", b"adb_enabled=1\nairplane_mode_on=0\npackage_verifier_enable=0\n"
                                           b"verifier_verify_adb_installs=1\n")
               .add("settings_secure.txt", b"android_id=3f2a9c1b7e5d4a60\ninstall_non_market_apps=0\n")
               .add("settings_system.txt", b"screen_brightness=102\n")
               .add("dumpsys.txt", dumpsys.encode()))
    return builder.build_folder(tmp_path)


def test_android_end_to_end_stalkerware(tmp_path):
    feed = write(tmp_path / "feed.stix2", related_bundle([f"[app:id = '{PLANTED}']"], malware_name="ExampleSpy"))
    outcome = check(_acquisition(tmp_path), tmp_path / "case", [], IndicatorIndex(load_paths([feed])))

    assert outcome.case["modules"]["android_packages"]["status"] == "ok"
    assert outcome.case["modules"]["android_settings"]["status"] == "ok"
    matched = [d for d in outcome.detections if d.kind == "indicator"]
    assert {d.observable for d in matched} == {Observable("app_id", PLANTED)}
    assert {d.module for d in matched} >= {"android_packages"}

    found = {(d.heuristic, d.severity, d.observable.value if d.observable else d.record.fields.get("key"))
             for d in outcome.detections if d.kind == "suspicious"}
    assert found == {
        ("android_apps_outside_store", "medium", PLANTED),
        ("android_spy_services", "medium", PLANTED),
        ("android_security_settings", "medium", "package_verifier_enable"),
        ("android_patch_level", "low", "ro.build.version.security_patch"),
    }
    for name in ("android_apps_outside_store", "android_spy_services", "android_security_settings",
                 "android_patch_level", "android_rooted"):
        assert outcome.case["heuristics"][name]["status"] == "ok"
    assert not any(d.observable and d.observable.value in DECOYS for d in outcome.detections)
