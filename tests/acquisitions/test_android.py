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


# -- acquisition facts: time and time zone (androidqf acquisition.json and getprop.txt; a bug
# report's dumpstate header and getprop section) --

PARIS = GETPROP + b"[persist.sys.timezone]: [Europe/Paris]\n"


def _dumpstate(header: str = "2024-06-01 12:00:00", zone: str | None = "Europe/Paris") -> bytes:
    props = f"[persist.sys.timezone]: [{zone}]\n" if zone is not None else ""
    return (f"========================================================\n== dumpstate: {header}\n"
            "========================================================\n\nBuild: UQ1A.240205.004\n"
            f"------ SYSTEM PROPERTIES (getprop) ------\n[ro.build.version.release]: [14]\n{props}"
            "------ 0.030s was the duration of 'SYSTEM PROPERTIES' ------\n").encode()


def test_androidqf_facts(tmp_path: Path) -> None:
    acquisition = open_acquisition(AndroidQFBuilder().add("getprop.txt", PARIS).build_folder(tmp_path))
    assert acquisition.facts == {
        "acquired_at": "2024-06-01T10:00:00Z", "acquired_at_local": "2024-06-01 12:00:00",
        "acquired_at_source": "acquisition.json (started)", "acquired_at_note": None,
        "acquisition_completed": "2024-06-01T10:04:12Z", "timezone": "Europe/Paris",
        "timezone_source": "getprop.txt (persist.sys.timezone)"}
    assert acquisition.describe()["facts"] == acquisition.facts
    assert acquisition.whole_source("device") == "acquisition.json"
    assert acquisition.warnings == []
    assert set(acquisition.inputs) == {"acquisition.json", "getprop.txt"}


def test_androidqf_facts_go_times_and_no_zone(tmp_path: Path) -> None:
    # Go's time.Time: nanoseconds; an acquisition that never completed keeps Go's zero time.
    builder = AndroidQFBuilder()
    builder.files["acquisition.json"] = (b'{"uuid": "x", "started": "2023-01-09T18:31:05.123456789Z", '
                                         b'"completed": "0001-01-01T00:00:00Z"}')
    acquisition = open_acquisition(builder.build_folder(tmp_path))
    assert acquisition.facts == {
        "acquired_at": "2023-01-09T18:31:05.123456Z", "acquired_at_local": None,
        "acquired_at_source": "acquisition.json (started)", "acquired_at_note": None,
        "acquisition_completed": None, "timezone": None, "timezone_source": None}


@pytest.mark.parametrize(("content", "warning"), [
    (b"{not json", "acquisition.json: not JSON; the acquisition time in it was not read"),
    (b"[" * 100_000 + b"]" * 100_000, "acquisition.json: not JSON; the acquisition time in it was not read"),
    (b'["2024-06-01T10:00:00Z"]', "acquisition.json: not a JSON object; the acquisition time in it was not read"),
    (b'{"started": "yesterday"}', "acquisition.json started: 'yesterday' is not a time; ignored"),
    (b'{"started": "1970-01-01T00:00:00Z"}', "acquisition.json started: '1970-01-01T00:00:00Z' is implausible; ignored"),
    (b'{"started": 1717236000}', None),
])
def test_androidqf_facts_damaged_acquisition_json(tmp_path: Path, content: bytes, warning: str | None) -> None:
    builder = AndroidQFBuilder()
    builder.files["acquisition.json"] = content
    acquisition = open_acquisition(builder.build_folder(tmp_path))
    assert acquisition.facts["acquired_at"] is None
    assert acquisition.whole_source("device") is None
    assert acquisition.warnings == ([warning] if warning else [])


def test_bugreport_facts(tmp_path: Path) -> None:
    acquisition = open_acquisition(BugreportBuilder(dumpstate=_dumpstate()).build_zip(tmp_path))
    name = "bugreport-panther-UQ1A.240205.004-2024-06-01-10-00-00.txt"
    assert acquisition.facts == {
        "acquired_at": "2024-06-01T10:00:00Z", "acquired_at_local": "2024-06-01 12:00:00",
        "acquired_at_source": f"{name} (dumpstate header)", "acquired_at_note": None,
        "acquisition_completed": None, "timezone": "Europe/Paris", "timezone_source": f"{name} (persist.sys.timezone)"}
    assert acquisition.whole_source("device") == name
    assert acquisition.describe()["facts"]["timezone"] == "Europe/Paris"


def test_bugreport_facts_older_name_without_zone(tmp_path: Path) -> None:
    # An older report: dumpstate.txt named by main_entry.txt, no persist.sys.timezone (Android 8).
    builder = BugreportBuilder(name="dumpstate", dumpstate=_dumpstate("2019-03-02 23:30:00", zone=None))
    acquisition = open_acquisition(builder.build_zip(tmp_path))
    assert {k: acquisition.facts[k] for k in ("acquired_at", "acquired_at_local", "acquired_at_note", "timezone")} == {
        "acquired_at": None, "acquired_at_local": "2019-03-02 23:30:00",
        "acquired_at_note": "the phone's local time; its time zone is unknown", "timezone": None}
    assert acquisition.warnings == []


@pytest.mark.parametrize("header", ["garbage", "1970-01-01 00:00:00"])
def test_bugreport_facts_bad_header(tmp_path: Path, header: str) -> None:
    acquisition = open_acquisition(BugreportBuilder(dumpstate=_dumpstate(header)).build_zip(tmp_path))
    assert acquisition.facts["acquired_at"] is None and acquisition.facts["acquired_at_local"] is None
    assert acquisition.facts["timezone"] == "Europe/Paris"
    [warning] = acquisition.warnings
    assert "the dumpstate header's time" in warning and warning.endswith("; ignored")


@pytest.mark.parametrize("zone", ["localtime", "../../../../etc/passwd", "/etc/localtime", "Mars/Olympus_Mons",
                                  "America", "zone.tab", "x" * 10_000, "Europe/Paris\x00", "Ëurope/Paris", "posixrules"])
def test_absurd_timezone_is_a_warning(tmp_path: Path, zone: str) -> None:
    (tmp_path / "br").mkdir()
    acquisition = open_acquisition(BugreportBuilder(dumpstate=_dumpstate(zone=zone)).build_zip(tmp_path / "br"))
    assert acquisition.facts["timezone"] is None
    assert acquisition.facts["acquired_at"] is None
    assert acquisition.facts["acquired_at_local"] == "2024-06-01 12:00:00"
    [warning] = acquisition.warnings
    assert warning.endswith("is not a known time zone; ignored")
    assert "site-packages" not in warning and "zoneinfo/" not in warning and len(warning) < 300
    qf = open_acquisition(AndroidQFBuilder().add("getprop.txt", f"[persist.sys.timezone]: [{zone}]\n".encode())
                          .build_folder(tmp_path / "qf"))
    assert qf.facts["timezone"] is None and qf.facts["acquired_at"] == "2024-06-01T10:00:00Z"
    assert len(qf.warnings) == 1


# -- the bug report androidqf collected (bugreport.zip), opened one level deep --

NESTED_NAME = "bugreport-panther-UQ1A.240205.004-2024-06-01-10-00-00.txt"


def _nested(tmp_path: Path, *files: tuple[str, bytes], dumpstate: bytes | None = None) -> bytes:
    builder = BugreportBuilder(dumpstate=dumpstate or _dumpstate())
    for name, data in files:
        builder.add(name, data)
    folder = tmp_path / "nested"
    folder.mkdir(parents=True, exist_ok=True)
    return builder.build_zip(folder).read_bytes()


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_androidqf_nested_bugreport(tmp_path: Path, form: str) -> None:
    report = _nested(tmp_path, ("FS/data/tombstones/tombstone_00", b"pid: 1"), ("FS/data/anr/anr_1", b"anr"),
                     ("FS/data/anr/traces.txt", b"same"))
    builder = (AndroidQFBuilder().add("bugreport.zip", report).add("logs/data/anr/traces.txt", b"same")
               .add("tombstones/tombstone_00", b"pid: 2, longer"))
    path = builder.build_folder(tmp_path) if form == "folder" else builder.build_zip(tmp_path)
    acquisition = open_acquisition(path)
    assert acquisition.warnings == []
    [dumpstate] = acquisition.named("bugreport.zip/bugreport-*.txt")
    assert (dumpstate.source, dumpstate.read_bytes()) == (f"bugreport.zip/{NESTED_NAME}", _dumpstate())
    assert [f.source for f in acquisition.named("bugreport.zip/*.txt")] == [
        f"bugreport.zip/{NESTED_NAME}", "bugreport.zip/main_entry.txt", "bugreport.zip/version.txt"]
    # androidqf's own bugreport-*.txt names nothing nested: the nested report lies one folder down.
    assert acquisition.named("bugreport-*.txt") == []
    # FS/ answers device paths; traces.txt androidqf pulled itself (same name and size) is read
    # from androidqf's copy; the tombstone androidqf holds is another one (another size).
    found = acquisition.files(DevicePattern("/data/**"))
    assert [(f.source, f.device_path) for f in found] == [
        ("bugreport.zip/FS/data/anr/anr_1", "/data/anr/anr_1"),
        ("bugreport.zip/FS/data/tombstones/tombstone_00", "/data/tombstones/tombstone_00")]
    assert found[1].read_bytes() == b"pid: 1"
    listed = {entry.source: entry.device_path for entry in acquisition.listing()}
    assert listed["bugreport.zip/FS/data/anr/traces.txt"] == "/data/anr/traces.txt"
    assert listed["bugreport.zip/main_entry.txt"] is None
    assert acquisition.describe()["nested_bugreport_members"] == len(
        [s for s in listed if s.startswith("bugreport.zip/")])
    acquisition.close()


def test_androidqf_nested_bugreport_gives_missing_zone(tmp_path: Path) -> None:
    acquisition = open_acquisition(AndroidQFBuilder().add("bugreport.zip", _nested(tmp_path)).build_folder(tmp_path))
    assert acquisition.facts["timezone"] == "Europe/Paris"
    assert acquisition.facts["timezone_source"] == f"bugreport.zip/{NESTED_NAME} (persist.sys.timezone)"
    # The time stays androidqf's own (acquisition.json), now also as the phone's local time.
    assert (acquisition.facts["acquired_at"], acquisition.facts["acquired_at_local"]) == (
        "2024-06-01T10:00:00Z", "2024-06-01 12:00:00")


@pytest.mark.parametrize(("content", "warning"), [
    (b"PK\x03\x04 damaged beyond reading", "bugreport.zip: not a readable zip archive"),
    (b"", "bugreport.zip: not a readable zip archive"),
])
def test_androidqf_nested_bugreport_damaged(tmp_path: Path, content: bytes, warning: str) -> None:
    acquisition = open_acquisition(AndroidQFBuilder().add("bugreport.zip", content).build_folder(tmp_path))
    [said] = acquisition.warnings
    assert said.startswith(warning) and said.endswith("; the bug report androidqf collected was not read")
    assert [f.source for f in acquisition.named("*")] == ["acquisition.json", "bugreport.zip", "getprop.txt"]
    assert acquisition.files(DevicePattern("/**")) == []


def test_androidqf_nested_zip_not_a_bugreport(tmp_path: Path) -> None:
    import zipfile

    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("photo.jpg", b"\xff\xd8")
    acquisition = open_acquisition(AndroidQFBuilder().add("bugreport.zip", other.read_bytes()).build_folder(tmp_path))
    assert acquisition.warnings == ["bugreport.zip: holds none of main_entry.txt, version.txt: not a bug report; not read"]
    assert acquisition.named("bugreport.zip/*") == []


def test_androidqf_zip_in_zip_in_zip_opened_one_level(tmp_path: Path) -> None:
    innermost = _nested(tmp_path / "c", ("FS/data/secret", b"deep"))
    inner = _nested(tmp_path / "b", ("bugreport.zip", innermost), ("FS/data/local/tmp/x.zip", innermost))
    builder = AndroidQFBuilder().add("bugreport.zip", inner)
    acquisition = open_acquisition(builder.build_zip(tmp_path))
    assert acquisition.warnings == []
    [nested_zip] = acquisition.named("bugreport.zip/bugreport.zip")
    assert nested_zip.read_bytes() == innermost     # a file like any other: never opened
    assert not [e.source for e in acquisition.listing() if e.source.startswith("bugreport.zip/bugreport.zip/")]
    assert [f.device_path for f in acquisition.files(DevicePattern("/data/**"))] == ["/data/local/tmp/x.zip"]


@pytest.mark.parametrize("entry", [b"/etc/passwd", b"a//b", b"**", b"missing.txt", b"\x00\xff", b"x" * 10_000])
def test_bugreport_facts_hostile_main_entry(tmp_path: Path, entry: bytes) -> None:
    # main_entry.txt naming nothing usable: the dumpstate is found by its usual name.
    acquisition = open_acquisition(BugreportBuilder(dumpstate=_dumpstate()).add("main_entry.txt", entry).build_zip(tmp_path))
    assert acquisition.facts["acquired_at"] == "2024-06-01T10:00:00Z"


def test_androidqf_nested_bugreport_damaged_member(tmp_path: Path) -> None:
    # A member of the nested zip whose bytes no longer match its CRC: that file is an error named
    # by its path, the rest of the acquisition is read.
    import io
    import zipfile

    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("main_entry.txt", "dumpstate.txt")
        archive.writestr("dumpstate.txt", _dumpstate())
        archive.writestr("FS/data/tombstones/tombstone_00", b"pid: 1234, tid: 1234, name: evil")
    damaged = stored.getvalue().replace(b"name: evil", b"name: good", 1)
    acquisition = open_acquisition(AndroidQFBuilder().add("bugreport.zip", damaged).build_folder(tmp_path))
    assert acquisition.warnings == []
    [tombstone] = acquisition.files(DevicePattern("/data/tombstones/*"))
    with pytest.raises(EvidenceError, match=r"^bugreport\.zip/FS/data/tombstones/tombstone_00: cannot read from "
                                            r"bugreport\.zip \(Bad CRC-32"):
        tombstone.read_bytes()
    assert acquisition.named("getprop.txt")[0].read_bytes() == GETPROP
