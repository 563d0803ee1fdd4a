from __future__ import annotations

from spyglass.heuristics import android_security_settings
from tests.builders.android_records import run, setting


def test_android_security_settings_found():
    records = [setting("global", "package_verifier_enable", "0"),
               setting("global", "verifier_verify_adb_installs", "0"),
               setting("secure", "install_non_market_apps", "1"),
               setting("global", "adb_enabled", "1")]
    found = run(android_security_settings, records)
    assert [(d.record.fields["key"], d.severity) for d in found] == [
        ("package_verifier_enable", "medium"), ("verifier_verify_adb_installs", "medium"),
        ("install_non_market_apps", "low")]   # adb_enabled=1: the acquisition itself needs it
    assert "Play Protect is switched off" in found[0].message


def test_android_security_settings_near_miss():
    # A Samsung phone's defaults (MVT tests/artifacts/androidqf/settings_random.txt has the same
    # package_verifier lines), USB debugging off, and other keys with the same values.
    records = [setting("global", "package_verifier_enable", "1"),
               setting("global", "package_verifier_user_consent", "1"),
               setting("global", "verifier_verify_adb_installs", "1"),
               setting("secure", "install_non_market_apps", "0"),
               setting("global", "adb_enabled", "0"),
               setting("global", "samsung_errorlog_agree", "0"),
               setting("system", "navigationbar_hide_bar", "1"),
               setting("global", "package_verifier_enable", "null")]
    assert run(android_security_settings, records) == []
