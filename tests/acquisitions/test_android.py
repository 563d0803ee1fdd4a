"""Android kinds: androidqf (folder, zip, age-encrypted zip), bug reports, and .ab backups
(plain, deflated, encrypted), detected, opened and read by name."""

from __future__ import annotations

import random
from pathlib import Path

import pyrage
import pytest

from spyglass.acquisitions import detect, open_acquisition
from spyglass.acquisitions.android import AndroidBugreport, AndroidQF
from spyglass.acquisitions.android_backup import AndroidBackup
from spyglass.acquisitions.devpath import DevicePattern
from spyglass.errors import EvidenceError, SpyglassError
from spyglass.secrets import Secrets
from tests.builders.android import GETPROP, AndroidQFBuilder, BugreportBuilder, android_backup

SMS_BACKUP = "apps/com.android.providers.telephony/d_f/000000_sms_backup"


def secrets(tmp_path: Path, password: str = "", identity: Path | None = None) -> Secrets:
    file = None
    if password:
        file = tmp_path / "password.txt"
        file.write_text(password)
    return Secrets(password_file=file, environ={}, interactive=False, age_identity=identity)


@pytest.mark.parametrize("form", ["folder", "zip", "zip in a folder"])
def test_androidqf_detected_and_read(tmp_path: Path, form: str) -> None:
    builder = AndroidQFBuilder().add("dumpsys.txt", b"DUMP OF SERVICE package:\n")
    path = (builder.build_folder(tmp_path) if form == "folder"
            else builder.build_zip(tmp_path, inner_folder=form == "zip in a folder"))
    assert detect(path) == ("androidqf", path)
    acquisition = open_acquisition(path)
    assert isinstance(acquisition, AndroidQF)
    [getprop] = acquisition.named("getprop.txt")
    assert (getprop.source, getprop.read_bytes()) == ("getprop.txt", GETPROP)
    assert [f.source for f in acquisition.named("*.txt")] == ["dumpsys.txt", "getprop.txt"]
    acquisition.close()


def test_androidqf_age_identity(tmp_path: Path) -> None:
    identity = pyrage.x25519.Identity.generate()
    path = AndroidQFBuilder().build_age(tmp_path, recipient=identity.to_public())
    (tmp_path / "key.txt").write_text(f"# created: now\n{identity}\n")
    assert detect(path) == ("androidqf", path)
    acquisition = open_acquisition(path, secrets=secrets(tmp_path, identity=tmp_path / "key.txt"))
    assert acquisition.named("getprop.txt")[0].read_bytes() == GETPROP
    assert acquisition.describe()["encrypted"] is True
    other = pyrage.x25519.Identity.generate()
    (tmp_path / "other.txt").write_text(f"{other}\n")
    with pytest.raises(SpyglassError, match=r"cannot decrypt with the identity or passphrase given"):
        open_acquisition(path, secrets=secrets(tmp_path, identity=tmp_path / "other.txt"))
    with pytest.raises(SpyglassError, match=r"give --age-identity FILE"):
        open_acquisition(path, secrets=secrets(tmp_path))


def test_androidqf_age_passphrase(tmp_path: Path) -> None:
    path = AndroidQFBuilder().build_age(tmp_path, passphrase="correct horse")
    acquisition = open_acquisition(path, secrets=secrets(tmp_path, "correct horse"))
    assert acquisition.named("getprop.txt")[0].read_bytes() == GETPROP
    with pytest.raises(SpyglassError, match=r"cannot decrypt"):
        open_acquisition(path, secrets=secrets(tmp_path, "wrong"))


def test_bugreport_detected_dumpstate_and_fs(tmp_path: Path) -> None:
    builder = BugreportBuilder().add("FS/data/system/packages.xml", b"<packages/>")
    path = builder.build_zip(tmp_path)
    assert detect(path) == ("android-bugreport", path)
    acquisition = open_acquisition(path)
    assert isinstance(acquisition, AndroidBugreport)
    [main] = acquisition.named("main_entry.txt")
    [dumpstate] = acquisition.named(main.read_bytes().decode())
    assert dumpstate.read_bytes().startswith(b"=====")
    [packages] = acquisition.files(DevicePattern("/data/system/packages.xml"))
    assert (packages.source, packages.device_path) == ("FS/data/system/packages.xml", "/data/system/packages.xml")


@pytest.mark.parametrize(("compressed", "password", "version"), [
    (False, None, 5), (True, None, 5), (True, "secret", 5), (True, "secret", 1), (False, "pässwörd", 3)])
def test_android_backup_read(tmp_path: Path, compressed: bool, password: str | None, version: int) -> None:
    path = tmp_path / "backup.ab"
    path.write_bytes(android_backup({SMS_BACKUP: b'[{"address":"+41790000000"}]', "apps/x/_manifest": b"m"},
                                    compressed=compressed, password=password, version=version, rounds=1000))
    assert detect(path) == ("android-backup", path)
    acquisition = open_acquisition(path, secrets=secrets(tmp_path, password or ""))
    assert isinstance(acquisition, AndroidBackup)
    [sms] = acquisition.named("apps/com.android.providers.telephony/d_f/*_sms_backup")
    assert sms.read_bytes() == b'[{"address":"+41790000000"}]'
    assert acquisition.describe()["encryption"] == ("AES-256" if password else "none")


def test_android_backup_wrong_password(tmp_path: Path) -> None:
    path = tmp_path / "backup.ab"
    path.write_bytes(android_backup({SMS_BACKUP: b"[]"}, password="secret", rounds=1000))
    with pytest.raises(SpyglassError, match=r"^wrong password for this Android backup$"):
        open_acquisition(path, secrets=secrets(tmp_path, "not it"))


def test_android_backup_damaged(tmp_path: Path) -> None:
    path = tmp_path / "backup.ab"
    whole = android_backup({"apps/a/_manifest": b"m", SMS_BACKUP: random.Random(1).randbytes(100_000)}, compressed=True)
    path.write_bytes(whole[:len(whole) // 2])
    truncated = open_acquisition(path)
    assert list(truncated.members) == ["apps/a/_manifest"]
    assert truncated.warnings == ["backup.ab: damaged after 1 members (Android backup data ends before its end "
                                  "(truncated)); the rest not read"]
    path.write_bytes(b"ANDROID BACKUP\n5\n1\nAES-256\nzz\n")
    with pytest.raises(EvidenceError, match=r"header: user salt is not hexadecimal"):
        open_acquisition(path)
    path.write_bytes(b"ANDROID BACKUP\n5\n1\nROT13\n")
    with pytest.raises(EvidenceError, match=r"encrypted with 'ROT13', which no Android writes"):
        open_acquisition(path)
