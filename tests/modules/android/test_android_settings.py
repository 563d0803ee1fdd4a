from __future__ import annotations

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import android_settings
from tests.builders.android import AndroidQFBuilder
from tests.builders.androidqf_artifacts import SETTINGS_GLOBAL, SETTINGS_SECURE, run, sources


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_settings_normal(tmp_path, form):
    builder = AndroidQFBuilder().add("settings_global.txt", SETTINGS_GLOBAL).add("settings_secure.txt", SETTINGS_SECURE)
    records = run(android_settings, builder, tmp_path, form=form)
    assert [(r.fields["namespace"], r.fields["key"], r.fields["value"]) for r in records] == [
        ("global", "adb_enabled", "1"),
        ("global", "package_verifier_user_consent", "-1"),
        ("global", "verifier_verify_adb_installs", "0"),
        ("global", "device_name", "Pixel 7"),
        ("global", "wifi_country_code", "null"),
        ("secure", "install_non_market_apps", "1"),
        ("secure", "enabled_accessibility_services", "com.evil/.Svc:com.ok/.Reader"),
    ]
    assert records[2].message == "Setting global/verifier_verify_adb_installs = 0"


def test_settings_system_namespace_and_files_found(tmp_path):
    builder = AndroidQFBuilder().add("settings_system.txt", b"screen_brightness=102\n")
    assert sources(android_settings, builder, tmp_path / "a") == ["settings_system.txt"]
    [record] = run(android_settings, builder, tmp_path / "b")
    assert record.fields == {"namespace": "system", "key": "screen_brightness", "value": "102"}


def test_settings_empty(tmp_path):
    assert run(android_settings, AndroidQFBuilder().add("settings_global.txt", b"\n"), tmp_path) == []


def test_settings_corrupt(tmp_path):
    builder = AndroidQFBuilder().add("settings_secure.txt", b"cmd: Failure calling service settings\n")
    with pytest.raises(EvidenceError, match=r"^settings_secure\.txt: not `settings list` output \(no key=value line\)$"):
        run(android_settings, builder, tmp_path)
