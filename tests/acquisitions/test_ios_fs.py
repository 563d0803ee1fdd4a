"""iOS filesystem dumps: recognised in a folder, .tar.gz and .zip under any root prefix; files by
device path (containers by identifier), the file listing with times, -wal applied, the same
findings as the backup of the same phone, and the evidence unchanged by a check."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
from pathlib import Path

import pytest

from spyglass.acquisitions import IOS_FS, SYSDIAGNOSE, detect, open_acquisition
from spyglass.acquisitions.containers import TarContainer
from spyglass.acquisitions.devpath import DevicePattern
from spyglass.acquisitions.ios_fs import IOSFilesystem, root_prefix
from spyglass.check import check
from spyglass.indicators import IndicatorIndex, load_paths
from tests.builders.full_backup import PLANTED, add_everything
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_fs import FilesystemBuilder, from_backup, system_version
from tests.builders.sysdiagnose import SysdiagnoseBuilder
from tests.indicators.stix_bundles import related_bundle, write

SMS = "private/var/mobile/Library/SMS/sms.db"


def small_dump() -> FilesystemBuilder:
    dump = FilesystemBuilder()
    dump.add("System/Library/CoreServices/SystemVersion.plist", system_version("16.5", "20F66"))
    dump.add(SMS, b"SQLite format 3\x00" + bytes(84))
    chrome = dump.container("private/var/mobile/Containers/Data/Application", "com.google.chrome.ios")
    dump.add(f"{chrome}/Library/Application Support/Google/Chrome/Default/History", b"chrome")
    other = dump.container("private/var/mobile/Containers/Data/Application", "com.example.other")
    dump.add(f"{other}/Library/Application Support/Google/Chrome/Default/History", b"not chrome")
    dump.add("private/var/db/roleaccountd.plist", b"<plist/>")
    return dump


@pytest.mark.parametrize(("form", "prefix"), [
    ("folder", ""), ("folder", "filesystem1/"), ("folder", "iPhone-of-Amelie/root/"),
    ("tar.gz", ""), ("tar.gz", "root/"), ("tar", "filesystem1/"), ("zip", ""), ("zip", "dump/")])
def test_dump_detected_and_read(tmp_path: Path, form: str, prefix: str) -> None:
    dump = small_dump()
    if form == "folder":
        path = dump.build_folder(tmp_path / "dump", prefix)
    elif form == "zip":
        path = dump.build_zip(tmp_path / "dump.zip", prefix)
    else:
        path = dump.build_tar(tmp_path / f"dump.{form}", prefix, "gz" if form == "tar.gz" else "")
    assert detect(path) == ("ios-fs", path)
    acquisition = open_acquisition(path)
    assert isinstance(acquisition, IOSFilesystem)
    assert acquisition.prefix == prefix
    assert acquisition.device == {"os": "iOS", "os_version": "16.5", "build": "20F66"}
    [sms] = acquisition.files(DevicePattern("/" + SMS))
    assert (sms.source, sms.device_path, sms.size) == ("/" + SMS, "/" + SMS, 100)
    chrome = acquisition.files(DevicePattern(
        "/private/var/mobile/Containers/Data/Application/{com.google.chrome.ios}/Library/Application Support/"
        "Google/Chrome/*/History"))
    assert [file.read_bytes() for file in chrome] == [b"chrome"]
    any_app = acquisition.files(DevicePattern(
        "/private/var/mobile/Containers/Data/Application/*/Library/Application Support/Google/Chrome/*/History"))
    assert sorted(file.read_bytes() for file in any_app) == [b"chrome", b"not chrome"]
    acquisition.close()


def test_dump_listing_has_every_entry_with_times(tmp_path: Path) -> None:
    acquisition = open_acquisition(small_dump().build_folder(tmp_path / "dump"))
    entries = {entry.device_path: entry for entry in acquisition.listing()}
    entry = entries["/private/var/db/roleaccountd.plist"]
    assert (entry.kind, entry.size, entry.modified, entry.name) == ("file", 8, 1_625_133_600.0, "roleaccountd.plist")
    assert entries["/private/var/db"].kind == "directory"
    assert len(entries) == 31   # 7 files and the 24 folders that hold them


def test_dump_sqlite_wal_applied_in_memory(tmp_path: Path) -> None:
    import shutil
    import sqlite3

    live = tmp_path / "live.db"
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x TEXT)")
    writer.commit()
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer.execute("INSERT INTO t VALUES ('only in the wal')")
    writer.commit()
    dump = FilesystemBuilder().add("private/var/mobile/Library/x.db", live.read_bytes())
    dump.add("private/var/mobile/Library/x.db-wal", (tmp_path / "live.db-wal").read_bytes())
    writer.close()
    root = dump.build_folder(tmp_path / "dump")
    before = tree_state(root)
    acquisition = open_acquisition(root)
    [file] = acquisition.files(DevicePattern("/private/var/mobile/Library/x.db"))
    assert [tuple(row) for row in file.sqlite().rows("SELECT x FROM t")] == [("only in the wal",)]
    file.close()
    acquisition.close()
    assert tree_state(root) == before      # no -shm created, nothing changed
    shutil.rmtree(root)


def tree_state(root: Path) -> dict[str, tuple[str, int]]:
    state = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            state[str(path.relative_to(root))] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    return state


def test_root_prefix() -> None:
    assert root_prefix(iter(["a/b", "fs/private/var/mobile/x", "fs/x/private/var/y"])) == "fs/"
    assert root_prefix(iter(["private/var/x"])) == ""
    assert root_prefix(iter(["notprivate/var/x", "private/varx"])) is None


@pytest.mark.parametrize("form", ["folder", "tar.gz", "zip"])
def test_dump_of_the_full_backup_gives_the_backup_findings(tmp_path: Path, form: str) -> None:
    # The same phone as a backup and as a dump: every module that reads both finds the same.
    backup = BackupBuilder()
    add_everything(backup)
    dump = from_backup(backup)
    feed = write(tmp_path / "planted.stix2", related_bundle([
        f"[domain-name:value = '{PLANTED['domain']}']", f"[process:name = '{PLANTED['process']}']",
        f"[email-addr:value = '{PLANTED['email']}']", f"[file:name = '{PLANTED['file_name']}']"]))
    index = IndicatorIndex(load_paths([feed]))
    backup_case = check(backup.build(tmp_path / "backup" / backup.udid), tmp_path / "backup-case", [], index)
    if form == "folder":
        path = dump.build_folder(tmp_path / "dump", "filesystem1/")
    elif form == "zip":
        path = dump.build_zip(tmp_path / "dump.zip")
    else:
        path = dump.build_tar(tmp_path / "dump.tar.gz", "root/")
    before = tree_state(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    dump_case = check(path, tmp_path / "dump-case", [], index)
    after = tree_state(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    assert after == before

    def hits(case_dir: Path) -> set[tuple[str, str]]:
        rows = [json.loads(line) for line in (case_dir / "detections.jsonl").read_text().splitlines()]
        return {(row["module"], row["indicator"]["value"]) for row in rows if row["kind"] == "indicator"}

    both = {m for m, r in dump_case.case["modules"].items() if r["status"] == "ok"} - {"manifest"}
    assert hits(tmp_path / "dump-case") - {("manifest", PLANTED["file_name"])} == {
        hit for hit in hits(tmp_path / "backup-case") if hit[0] in both}
    assert ("manifest", PLANTED["file_name"]) in hits(tmp_path / "dump-case")
    assert dump_case.case["acquisition"]["kind"] == "ios-fs"
    assert backup_case.case["modules"]["sms"]["records"] == dump_case.case["modules"]["sms"]["records"]


def test_detect_reads_an_archive_once_and_again_when_it_changes(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Every kind probes the archive in turn (backup, sysdiagnose, androidqf, ...): its first
    members are read once for all of them, and read again when the file is replaced."""
    scans = []
    real = TarContainer._list

    def counted(self):
        scans.append(self.path.name)
        return real(self)

    monkeypatch.setattr(TarContainer, "_list", counted)
    path = FilesystemBuilder().add("/private/var/mobile/Library/SMS/sms.db", b"SQLite format 3\x00").build_tar(
        tmp_path / "dump.tar.gz")
    assert detect(path) == (IOS_FS, path)
    assert scans == ["dump.tar.gz"]
    assert detect(path) == (IOS_FS, path)
    assert scans == ["dump.tar.gz"]
    (tmp_path / "other").mkdir()
    SysdiagnoseBuilder().build_tar(tmp_path / "other").replace(path)
    assert detect(path) == (SYSDIAGNOSE, path)
    assert scans == ["dump.tar.gz", "dump.tar.gz"]


def test_opening_a_detected_archive_reads_each_header_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kind that opens the archive takes it over from the probes, with the headers they read."""
    dump = FilesystemBuilder()
    for number in range(30):
        dump.add(f"/private/var/mobile/Library/Logs/file-{number}.log", b"x")
    path = dump.build_tar(tmp_path / "dump.tar.gz")
    with tarfile.open(path) as archive:
        entries = len(archive.getmembers())
    parsed = []
    real = tarfile.TarFile.next

    def counted(self):
        found = real(self)
        parsed.append(found is not None)
        return found

    monkeypatch.setattr(tarfile.TarFile, "next", counted)
    acquisition = open_acquisition(path)
    assert acquisition.kind == IOS_FS
    # tarfile reads the first header when it opens the archive and hands it out once more: one
    # extra call. Each probe listing the archive again was twice the entries.
    assert parsed.count(True) == entries + 1
    acquisition.close()
