"""android_packages from dumpsys package: a bug report's dumpstate and androidqf's dumpsys.txt,
in the Android 9, 10 and 15 layouts (tests/builders/android.py names the sources)."""

from __future__ import annotations

import json

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.errors import EvidenceError, NotPresent
from spyglass.modules.android import android_packages
from spyglass.records import Observable
from spyglass.runner import locate, parse_file
from tests.builders.android import (
    AndroidQFBuilder,
    BugreportBuilder,
    DumpedPackageSpec,
    DumpedUserSpec,
    dumped_package,
    dumpsys_packages,
)
from tests.builders.androidqf_artifacts import PACKAGES, as_json
from tests.builders.dumpsys_text import dumpstate, dumpsys_txt, from_androidqf, from_bugreport, section

P = "android.permission."
SPY = DumpedPackageSpec(
    "com.example.spy", uid=10311, version_code=42, version_name="4.2", installer=None,
    first_install="2024-05-01 10:00:00", last_update="2024-05-20 18:30:00", signatures=("1a2b3c4d",),
    install=((P + "INTERNET", True), (P + "RECEIVE_BOOT_COMPLETED", True), (P + "BIND_ACCESSIBILITY", False)),
    requested=(P + "INTERNET", P + "READ_SMS", P + "CAMERA"),
    users=(DumpedUserSpec(runtime=((P + "READ_SMS", True), (P + "CAMERA", True), (P + "RECORD_AUDIO", False))),))
WHATSAPP = DumpedPackageSpec("com.whatsapp", uid=10271, install=((P + "INTERNET", True),))
SETTINGS = DumpedPackageSpec("com.android.settings", uid=1000, system=True, installer=None,
                             code_path="/system/priv-app/Settings", first_install="2008-12-31 16:00:00",
                             last_update="2008-12-31 16:00:00", install=())
SPECS = [SETTINGS, WHATSAPP, SPY]


def _bugreport(tmp_path, specs=SPECS, layout=9, **options):
    return from_bugreport(tmp_path, android_packages, dumpstate(section("package", dumpsys_packages(specs, layout)),
                                                                **options))


def test_packages_dumpsys_bugreport_android9(tmp_path):
    records = _bugreport(tmp_path)
    assert [r.fields["package_name"] for r in records] == ["com.android.settings", "com.whatsapp", "com.example.spy"]
    settings, whatsapp, spy = records
    assert spy.fields == {
        "package_name": "com.example.spy", "installer": None, "installer_initiating": None,
        "installer_originating": None, "package_source": None, "system": False, "third_party": True,
        "disabled": False, "uid": 10311,
        "permissions": [P + "INTERNET", P + "RECEIVE_BOOT_COMPLETED", P + "READ_SMS", P + "CAMERA"],
        # Android 9 prints requested permissions only when one package is dumped.
        "requested_permissions": [], "certificates": None, "signature_hashes": ["1a2b3c4d"],
        "apk_signing_version": 2, "apk_files": None, "code_path": "/data/app/com.example.spy-1",
        "version_code": 42, "version_name": "4.2", "target_sdk": 29,
        # Europe/Paris (the dumpstate's persist.sys.timezone) is UTC+2 in May.
        "first_install": "2024-05-01T08:00:00Z", "last_update": "2024-05-20T16:30:00Z",
        "first_install_local": "2024-05-01 10:00:00", "last_update_local": "2024-05-20 18:30:00",
        "hidden_launcher": None, "installed": True,
        "users": [{"user": 0, "installed": True, "hidden": False, "suspended": False, "enabled_state": 0}],
        "source": "dumpsys package"}
    assert spy.timestamp.isoformat() == "2024-05-01T08:00:00+00:00"
    assert spy.timestamp_desc == "package first installed"
    assert spy.message == "Package com.example.spy (third-party, no installer recorded)"
    assert spy.observables == (Observable("app_id", "com.example.spy"),
                               Observable("file_path", "/data/app/com.example.spy-1"))
    assert (whatsapp.fields["installer"], whatsapp.fields["system"], whatsapp.fields["permissions"]) == (
        "com.android.vending", False, [P + "INTERNET"])
    assert whatsapp.message == "Package com.whatsapp (third-party, installed by com.android.vending)"
    assert (settings.fields["system"], settings.fields["third_party"], settings.fields["uid"],
            settings.fields["first_install"]) == (True, False, 1000, "2008-12-31T15:00:00Z")


def test_packages_dumpsys_android10_requested_permissions(tmp_path):
    [record] = _bugreport(tmp_path, [SPY], layout=10)
    assert record.fields["requested_permissions"] == [P + "INTERNET", P + "READ_SMS", P + "CAMERA"]
    assert record.fields["permissions"] == [P + "INTERNET", P + "RECEIVE_BOOT_COMPLETED", P + "READ_SMS", P + "CAMERA"]


def test_packages_dumpsys_android15_layout(tmp_path):
    """appId=, installer lines always printed ("null" when none), first install per user, a
    package disabled by the user (enabled=3) and a work profile's runtime grants."""
    spy = DumpedPackageSpec(
        "com.example.spy", uid=10311, installer="com.google.android.packageinstaller",
        initiating="com.android.chrome", last_update="2024-05-20 18:30:00",
        install=((P + "INTERNET", True),),
        users=(DumpedUserSpec(enabled=3, first_install="2024-05-02 09:15:00",
                              runtime=((P + "ACCESS_FINE_LOCATION", True),)),
               DumpedUserSpec(user=10, installed=False, first_install="2024-05-03 09:15:00",
                              runtime=((P + "RECORD_AUDIO", True),))))
    settings = DumpedPackageSpec("com.android.settings", uid=1000, system=True, installer=None,
                                 code_path="/system/priv-app/Settings", install=())
    records = _bugreport(tmp_path, [settings, spy], layout=15, timezone="America/New_York")
    settings_record, record = records
    assert {key: record.fields[key] for key in (
        "installer", "installer_initiating", "installer_originating", "package_source", "uid", "disabled",
        "permissions", "first_install", "first_install_local", "last_update", "installed", "users", "code_path",
        "target_sdk")} == {
        "installer": "com.google.android.packageinstaller", "installer_initiating": "com.android.chrome",
        "installer_originating": None, "package_source": 0, "uid": 10311, "disabled": True,
        "permissions": [P + "INTERNET", P + "ACCESS_FINE_LOCATION", P + "RECORD_AUDIO"],
        # America/New_York is UTC-4 in May; the first user's first install is the package's.
        "first_install": "2024-05-02T13:15:00Z", "first_install_local": "2024-05-02 09:15:00",
        "last_update": "2024-05-20T22:30:00Z", "installed": True,
        "users": [{"user": 0, "installed": True, "hidden": False, "suspended": False, "enabled_state": 3},
                  {"user": 10, "installed": False, "hidden": False, "suspended": False, "enabled_state": 0}],
        "code_path": "/data/app/~~Q2hx1w==/com.example.spy-nM0bXQ==", "target_sdk": 34}
    assert record.message == ("Package com.example.spy (third-party, installed by "
                              "com.google.android.packageinstaller, disabled)")
    assert (settings_record.fields["installer"], settings_record.fields["system"]) == (None, True)


def test_packages_dumpsys_hidden_system_packages_not_listed_twice(tmp_path):
    updated = DumpedPackageSpec("com.android.chrome", uid=10110, system=True)
    factory = DumpedPackageSpec("com.android.chrome", uid=10110, system=True, version_code=1, installer=None)
    text = dumpsys_packages([updated], 9, hidden=[factory, DumpedPackageSpec("com.android.only.hidden")])
    records = from_bugreport(tmp_path, android_packages, dumpstate(section("package", text)))
    assert [(r.fields["package_name"], r.fields["installer"]) for r in records] == [
        ("com.android.chrome", "com.android.vending")]


def test_packages_dumpsys_without_zone_keeps_local_text(tmp_path):
    [record] = _bugreport(tmp_path, [SPY], timezone=None)
    assert (record.fields["first_install"], record.fields["last_update"], record.timestamp) == (None, None, None)
    assert (record.fields["first_install_local"], record.fields["last_update_local"]) == (
        "2024-05-01 10:00:00", "2024-05-20 18:30:00")
    assert record.timestamp_desc == ""


def test_packages_dumpsys_acquisition_timezone_fact_wins(tmp_path):
    path = BugreportBuilder(dumpstate=dumpstate(section("package", dumpsys_packages([SPY])))).build_zip(tmp_path)
    acquisition = open_acquisition(path)
    acquisition.facts["timezone"] = "Asia/Tokyo"
    try:
        [record] = [r for f in locate(android_packages.ARTIFACT, acquisition)
                    for r in parse_file(android_packages.ARTIFACT, android_packages.parse, f)]
    finally:
        acquisition.close()
    assert record.fields["first_install"] == "2024-05-01T01:00:00Z"     # UTC+9, not Paris's UTC+2


def test_packages_androidqf_dumpsys_txt_without_packages_json(tmp_path):
    records = from_androidqf(tmp_path, android_packages, dumpsys_txt(section("package", dumpsys_packages(SPECS))))
    assert [r.fields["package_name"] for r in records] == ["com.android.settings", "com.whatsapp", "com.example.spy"]
    # androidqf's dumpsys.txt names no zone: local times only.
    assert (records[2].fields["first_install"], records[2].fields["first_install_local"]) == (
        None, "2024-05-01 10:00:00")


def test_packages_androidqf_packages_json_wins_and_is_completed(tmp_path):
    spy_json = {"name": "com.spy.agent", "files": None, "installer": "null", "uid": 10290, "disabled": False,
                "system": False, "third_party": True}
    spy_dumped = DumpedPackageSpec("com.spy.agent", uid=10290, installer=None, install=((P + "INTERNET", True),),
                                   users=(DumpedUserSpec(runtime=((P + "CAMERA", True), (P + "READ_SMS", False))),))
    extra = DumpedPackageSpec("com.only.in.dumpsys")
    builder = (AndroidQFBuilder().add("packages.json", as_json([*PACKAGES[:1], spy_json]))
               .add("dumpsys.txt", dumpsys_txt(section("package", dumpsys_packages([spy_dumped, extra])))))
    path = builder.build_folder(tmp_path)
    acquisition = open_acquisition(path)
    acquisition.facts["timezone"] = "UTC"
    try:
        per_file = {f.source: [r for r in parse_file(android_packages.ARTIFACT, android_packages.parse, f)]
                    for f in locate(android_packages.ARTIFACT, acquisition)}
    finally:
        acquisition.close()
    assert list(per_file) == ["packages.json", "dumpsys.txt"]
    assert per_file["dumpsys.txt"] == []
    whatsapp, spy = per_file["packages.json"]
    assert (whatsapp.fields["permissions"], whatsapp.fields["first_install"]) == ([], None)
    assert {key: spy.fields[key] for key in ("installer", "uid", "permissions", "requested_permissions",
                                             "first_install", "last_update", "first_install_local",
                                             "certificates", "apk_files")} == {
        "installer": None, "uid": 10290, "permissions": [P + "INTERNET", P + "CAMERA"], "requested_permissions": [],
        "first_install": "2024-05-01T10:00:00Z", "last_update": "2024-05-20T18:30:00Z",
        "first_install_local": "2024-05-01 10:00:00", "certificates": [], "apk_files": []}
    assert spy.timestamp.isoformat() == "2024-05-01T10:00:00+00:00"


def test_packages_androidqf_packages_json_with_dumpsys_lacking_package_service(tmp_path):
    builder = (AndroidQFBuilder().add("packages.json", as_json(PACKAGES))
               .add("dumpsys.txt", dumpsys_txt(section("adb", "ADB MANAGER STATE (dumpsys adb):\n"))))
    path = builder.build_folder(tmp_path)
    acquisition = open_acquisition(path)
    try:
        records = [r for f in locate(android_packages.ARTIFACT, acquisition)
                   for r in parse_file(android_packages.ARTIFACT, android_packages.parse, f)]
    finally:
        acquisition.close()
    assert [r.fields["package_name"] for r in records] == ["com.whatsapp", "com.spy.agent", "com.android.vending"]


def test_packages_dumpsys_empty(tmp_path):
    # A package section without a package list, and one whose list is empty.
    assert from_bugreport(tmp_path, android_packages, dumpstate(section("package", "Verifiers:\n  Required: x\n"))) == []
    (tmp_path / "b").mkdir()
    assert from_bugreport(tmp_path / "b", android_packages,
                          dumpstate(section("package", "Packages:\n\nQueries:\n"))) == []


def test_packages_dumpsys_not_present_and_corrupt(tmp_path):
    with pytest.raises(NotPresent, match=r"no dumpsys section of package$"):
        from_bugreport(tmp_path, android_packages, dumpstate(section("adb", "ADB MANAGER STATE\n")))
    (tmp_path / "b").mkdir()
    with pytest.raises(EvidenceError, match=r"^bugreport-.*\.txt: no 'DUMP OF SERVICE' section: not dumpsys output$"):
        from_bugreport(tmp_path / "b", android_packages, b"\x00\xff garbage\n" * 10)


def test_packages_dumpsys_truncated_and_hostile(tmp_path):
    whole = dumped_package(SPY)
    cut = whole[: whole.index("    User 0:")]           # cut short in the middle of a block, no footer
    hostile = ("Packages:\n"
               "  Package [bad name] (1):\n    userId=1\n"                     # not a package name: skipped
               "  Package [com.a] (zz):\n"                                      # not a hash: its lines go nowhere
               "  Package [com.b] (1a):\n    userId=99999999999999999999999\n    flags=[ SYSTEM\n"
               "    signatures=PackageSignatures{1 [zz]}\n    firstInstallTime=2024-13-45 99:99:99\n"
               "    User x: installed=true\n    User 0: installed=maybe enabled=-7 =\n"
               "      runtime permissions:\n        : granted=true\n        a b: granted=true\n"
               "        ok.perm: granted=true\n"
               "  Package [com.c] (2b):\n" + cut[cut.index("    userId"):])
    records = from_bugreport(tmp_path, android_packages, dumpstate(section("package", hostile, ended=None)))
    assert [r.fields["package_name"] for r in records] == ["com.b", "com.c"]
    b, c = records
    assert (b.fields["uid"], b.fields["system"], b.fields["signature_hashes"], b.fields["first_install_local"],
            b.fields["installed"], b.fields["disabled"], b.fields["permissions"]) == (
        None, False, [], None, None, False, ["ok.perm"])
    assert (c.fields["uid"], c.fields["version_code"], c.fields["users"]) == (10311, 42, [])
    assert json.dumps(b.fields)       # plain values only
