"""Acquisitions for the worker's tests and benchmark, generated with the spyglass repository's
own builders (tests/builders), each with a planted trace and a feed naming it.

Kinds: an iOS backup as one .zip (plain or encrypted), an iOS filesystem dump as .tar (every artifact of the end-to-end backup), a sysdiagnose
.tar.gz (shutdown.log with a program delaying reboots from /private/var/db), an androidqf zip
(an app installed outside the store, named by the feed), an `adb bugreport` zip, and `adb
backup` files plain and password-encrypted (SMS backup with a planted link).
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:   # tests.builders lives in the repository, beside src/
    sys.path.insert(0, str(REPO))

from tests.builders.android import AndroidQFBuilder, BugreportBuilder, android_backup  # noqa: E402
from tests.builders.android_sms import SMS_MEMBER, message_backup  # noqa: E402
from tests.builders.androidqf_artifacts import androidqf_package  # noqa: E402
from tests.builders.archives import write_zip  # noqa: E402
from tests.builders.dumpsys_text import dumpstate, section  # noqa: E402
from tests.builders.full_backup import add_everything, e2e_feed, indicator_bundle  # noqa: E402
from tests.builders.ios_backup import BackupBuilder  # noqa: E402
from tests.builders.ios_backup_encrypted import build_encrypted  # noqa: E402
from tests.builders.ios_fs import from_backup  # noqa: E402
from tests.builders.shutdown_log import PEGASUS, Notice, Reboot, shutdown_log_text  # noqa: E402
from tests.builders.sysdiagnose import SysdiagnoseBuilder  # noqa: E402

PLANTED_APP = "com.example.spy"
PLANTED_SMS_DOMAIN = "sms-evil.example"
BACKUP_PASSWORD = "worker test \u2603"


def fs_dump(folder: Path, name: str = "iphone-dump", noise: int = 0) -> Path:
    """The end-to-end backup's artifacts as a dump; `noise` more files in a media folder make
    the check last longer (the file listing grows)."""
    folder.mkdir(parents=True, exist_ok=True)
    dump = from_backup(add_everything(BackupBuilder()))
    for number in range(noise):
        dump.add(f"/private/var/mobile/Media/DCIM/{100 + number // 1000}APPLE/IMG_{number:05d}.HEIC", b"x")
    return dump.build_tar(folder / f"{name}.tar", compression="")


def sysdiagnose(folder: Path, name: str = "sysdiagnose") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    reboots = [Reboot(notices=[Notice(3.1, [(412, PEGASUS)])], sigterm=1704412800)]
    builder = SysdiagnoseBuilder(name=f"sysdiagnose_2024.01.05_10-00-00-0800_iPhone-OS_iPhone_21F90_{name}")
    builder.add("system_logs.logarchive/Extra/shutdown.log", shutdown_log_text(reboots))
    return builder.build_tar(folder)


def androidqf(folder: Path, name: str = "androidqf") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    packages = [androidqf_package(PLANTED_APP, "null"), androidqf_package("com.example.notes", "com.android.vending")]
    builder = AndroidQFBuilder(name=name)
    builder.add("packages.json", json.dumps(packages, indent=4).encode())
    builder.add("settings_global.txt", b"adb_enabled=1\npackage_verifier_enable=0\n")
    return builder.build_zip(folder)


def bugreport(folder: Path, name: str = "bugreport") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    accessibility = "\n".join([
        "ACCESSIBILITY MANAGER (dumpsys accessibility)", "", "currentUserId=0", "User state[",
        "     attributes:{id=0, touchExplorationEnabled=false, installedServiceCount=1}",
        f"     Enabled services:{{{{{PLANTED_APP}/{PLANTED_APP}.SyncService}}}}",
        "     Binding services:{}", "     Crashed services:{}", "]"])
    builder = BugreportBuilder(name=f"bugreport-panther-UQ1A-{name}", dumpstate=dumpstate(section("accessibility", accessibility)))
    return builder.build_zip(folder)


def _sms_files() -> dict[str, bytes]:
    messages = [{"address": "+15550100", "body": f"Your parcel: https://{PLANTED_SMS_DOMAIN}/t/9", "date": "1717236000000",
                 "type": "1", "read": "1"}]
    return {SMS_MEMBER: message_backup(messages)}


def adb_backup(folder: Path, name: str = "backup", password: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ab"
    path.write_bytes(android_backup(_sms_files(), password=password, rounds=1000))
    return path


def feed_bundle() -> dict:
    """The end-to-end feed's indicators plus the app and SMS domain planted above."""
    planted = [(item["pattern"][1:].split(" = ")[0], item["pattern"].split(" = '")[1][:-2])
               for item in e2e_feed()["objects"] if item["type"] == "indicator"]
    return indicator_bundle([*planted, ("app:id", PLANTED_APP), ("domain-name:value", PLANTED_SMS_DOMAIN)])


def write_feed(path: Path) -> Path:
    path.write_text(json.dumps(feed_bundle()), encoding="utf-8")
    return path


def ios_backup_zip(folder: Path, name: str = "iphone-backup", password: str | None = None) -> Path:
    """The end-to-end backup (encrypted with `password` when given) as one .zip, its files under
    the UDID folder as Finder leaves them."""
    folder.mkdir(parents=True, exist_ok=True)
    builder = add_everything(BackupBuilder())
    root = folder / f"{name}-folder" / builder.udid
    if password is None:
        builder.build(root)
    else:
        build_encrypted(builder, root, password)
    files = {f"{builder.udid}/{path.relative_to(root).as_posix()}": path.read_bytes()
             for path in sorted(root.rglob("*")) if path.is_file()}
    return write_zip(folder / f"{name}.zip", files)


def six(folder: Path) -> list[Path]:
    """One acquisition of each kind, the .ab twice (plain and encrypted)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [fs_dump(folder), sysdiagnose(folder), androidqf(folder), bugreport(folder), adb_backup(folder),
            adb_backup(folder, "encrypted", BACKUP_PASSWORD)]


def as_openrelik_input(path: Path, storage: Path) -> dict:
    """The input file dict OpenRelik hands a worker: the file stored under its uuid, the name
    it was uploaded with as display_name."""
    storage.mkdir(parents=True, exist_ok=True)
    file_uuid = uuid.uuid4().hex
    extension = "".join(path.suffixes[-1:])
    stored = storage / f"{file_uuid}{extension}"
    shutil.copyfile(path, stored)
    return {"id": None, "uuid": file_uuid, "display_name": path.name, "extension": extension.lstrip("."),
            "data_type": "openrelik:file:upload", "path": str(stored)}


def comparable_case(case: dict) -> dict:
    """case.json without what differs between two checks of the same input: the times, the
    paths of the acquisition and the feeds, and every duration (modules, heuristics, key
    derivation)."""
    case = json.loads(json.dumps(case))
    for key in ("started_at", "finished_at", "rechecked_at"):
        case.pop(key, None)
    case["acquisition"].pop("path", None)
    case["acquisition"]["notes"] = [re.sub(r"\d+(\.\d+)? s\b", "N s", str(note))
                                    for note in case["acquisition"].get("notes") or []]
    for feed in case.get("feeds", []):
        feed.pop("path", None)
    return _without_durations(case)


def _without_durations(value):
    if isinstance(value, dict):
        return {key: _without_durations(item) for key, item in value.items() if key != "seconds"}
    if isinstance(value, list):
        return [_without_durations(item) for item in value]
    return value


def local_feeds(feed: Path) -> tuple[list, list[str]]:
    """The feeds a worker uses by default plus `feed`, with the warnings `spyglass check` gives."""
    from spyglass.feeds import feed_warnings
    from spyglass.indicators import load_paths
    from spyglass.indicators.store import resolve_feeds

    feeds = resolve_feeds(None) + load_paths([feed])
    return feeds, feed_warnings(feeds)
