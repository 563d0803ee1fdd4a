"""android_packages from an Android backup's apps/<package>/_manifest files (AOSP
AppMetadataBackupWriter; tests/builders/android.py backup_manifest)."""

from __future__ import annotations

import hashlib

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.errors import EvidenceError
from spyglass.modules.android import android_packages
from spyglass.records import Observable
from spyglass.runner import locate, parse_file
from spyglass.secrets import Secrets
from tests.builders.android import android_backup, backup_manifest, signing_certificate
from tests.builders.android_sms import SMS, SMS_MEMBER, message_backup

SPY_CERT = signing_certificate("Example Spy", 7)
SPY_SHA256 = "e8d70497269d81e05b83c0f5c5c48456d72395f2e9ba0a71c773047a864b4dc4"
APK = b"PK\x03\x04 an APK's bytes"


def _run(tmp_path, files, **options):
    path = tmp_path / "backup.ab"
    path.write_bytes(android_backup(files, **options))
    acquisition = open_acquisition(path)
    try:
        return [r for f in locate(android_packages.ARTIFACT, acquisition)
                for r in parse_file(android_packages.ARTIFACT, android_packages.parse, f)]
    finally:
        acquisition.close()


def test_packages_backup_manifests(tmp_path):
    files = {
        "apps/com.android.providers.telephony/_manifest": backup_manifest(
            "com.android.providers.telephony", version_code=34, sdk=34,
            certificates=(signing_certificate("Android", 3),)),
        SMS_MEMBER: message_backup(SMS),
        "apps/com.example.spy/_manifest": backup_manifest("com.example.spy", version_code=42, sdk=34, with_apk=True,
                                                         certificates=(SPY_CERT,)),
        "apps/com.example.spy/a/base.apk": APK,
        "apps/com.example.spy/f/config.json": b"{}",
    }
    telephony, spy = _run(tmp_path, files)
    assert spy.fields == {
        "package_name": "com.example.spy", "installer": None, "system": None, "third_party": None, "disabled": None,
        "uid": None, "permissions": None, "requested_permissions": None, "certificates": [SPY_SHA256],
        "apk_files": [{"path": "apps/com.example.spy/a/base.apk", "sha256": hashlib.sha256(APK).hexdigest(),
                       "md5": hashlib.md5(APK).hexdigest(), "sha1": hashlib.sha1(APK).hexdigest()}],
        "first_install": None, "last_update": None, "first_install_local": None, "last_update_local": None,
        "hidden_launcher": None, "version_code": 42, "backup_sdk": 34, "source": "backup manifest"}
    assert spy.observables == (
        Observable("app_id", "com.example.spy"), Observable("cert_sha256", SPY_SHA256),
        Observable("cert_sha1", hashlib.sha1(SPY_CERT).hexdigest()),
        Observable("cert_md5", hashlib.md5(SPY_CERT).hexdigest()),
        Observable("file_path", "apps/com.example.spy/a/base.apk"), Observable("sha256", hashlib.sha256(APK).hexdigest()),
        Observable("sha1", hashlib.sha1(APK).hexdigest()), Observable("md5", hashlib.md5(APK).hexdigest()))
    assert spy.message == "Package com.example.spy (in the backup, no installer recorded)"
    assert spy.timestamp is None
    assert telephony.fields["package_name"] == "com.android.providers.telephony"
    assert telephony.fields["apk_files"] == []


def test_packages_backup_installer_and_encrypted_compressed_forms(tmp_path):
    files = {"apps/com.whatsapp/_manifest": backup_manifest("com.whatsapp", version_code=241170, sdk=29,
                                                           installer="com.android.vending",
                                                           certificates=(signing_certificate("WhatsApp", 5),))}
    password = tmp_path / "password.txt"
    password.write_text("1234")
    for number, options in enumerate(({"compressed": False}, {"password": "1234"})):
        where = tmp_path / str(number)
        where.mkdir()
        path = where / "backup.ab"
        path.write_bytes(android_backup(files, **options))
        acquisition = open_acquisition(path, secrets=Secrets(password_file=password, environ={}, interactive=False))
        try:
            [record] = [r for f in locate(android_packages.ARTIFACT, acquisition)
                        for r in parse_file(android_packages.ARTIFACT, android_packages.parse, f)]
        finally:
            acquisition.close()
        assert (record.fields["installer"], record.fields["backup_sdk"], record.fields["version_code"]) == (
            "com.android.vending", 29, 241170)
        assert record.message == "Package com.whatsapp (in the backup, installed by com.android.vending)"


def test_packages_backup_empty(tmp_path):
    # A backup of the telephony provider's data only: no manifest, no package.
    assert _run(tmp_path, {SMS_MEMBER: message_backup(SMS)}) == []


def test_packages_backup_corrupt(tmp_path):
    with pytest.raises(EvidenceError, match=r"^apps/com\.example\.spy/_manifest: not a backup manifest"):
        _run(tmp_path, {"apps/com.example.spy/_manifest": b"2\ncom.example.spy\n\x00\xff"})
    (tmp_path / "b").mkdir()
    with pytest.raises(EvidenceError, match=r"^apps/com\.example\.spy/_manifest: the manifest names com\.other, "
                                            r"not the folder's package$"):
        _run(tmp_path / "b", {"apps/com.example.spy/_manifest": backup_manifest("com.other")})


def test_packages_backup_hostile_signatures(tmp_path):
    manifest = b"1\ncom.example.spy\nx\n34\nnot a package!\n1\n3\nzz-not-hex\n\n" + SPY_CERT.hex().encode() + b"\n"
    [record] = _run(tmp_path, {"apps/com.example.spy/_manifest": manifest})
    # The APK flag is set but no APK is in the backup; bad signature lines are skipped.
    assert (record.fields["certificates"], record.fields["apk_files"], record.fields["installer"],
            record.fields["version_code"]) == ([SPY_SHA256], [], None, None)
