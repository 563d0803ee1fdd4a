from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.errors import EvidenceError
from spyglass.heuristics import unexpected_executables as heuristic
from spyglass.modules import Module
from spyglass.modules.ios import unexpected_executables
from spyglass.records import Observable, Record
from spyglass.runner import ModuleResult, locate, parse_file, run_module
from tests.builders.ios_executables import (
    CPU_TYPE_ARM,
    MH_DYLIB,
    MH_MAGIC,
    build,
    fat_macho,
    java_class,
    launch_job,
    macho,
    normal_phone,
)
from tests.builders.ios_fs import FilesystemBuilder

STAGING = "/private/var/db/com.apple.xpc.roleaccountd.staging"


def run(path: Path) -> list[Record]:
    acquisition = open_acquisition(path)
    try:
        module = unexpected_executables
        return [r for target in locate(module.ARTIFACT, acquisition)
                for r in parse_file(module.ARTIFACT, module.parse, target)]
    finally:
        acquisition.close()


def found(records: list[Record]) -> list[tuple[str, str]]:
    return [(r.fields["file_path"], r.fields["reason"]) for r in records if r.fields["record_type"] == "file"]


def summary(records: list[Record]) -> dict:
    assert records[-1].fields["record_type"] == "summary"
    return records[-1].fields


def test_unexpected_executables_normal_phone_quiet(tmp_path):
    records = run(build(normal_phone(), tmp_path / "dump"))
    assert found(records) == []
    fields = summary(records)
    # Watched: the caches, logs, preferences and databases of /private/var (not iCloud Drive, SMS
    # attachments, the unified-log stores, the system volume or the app bundles).
    assert fields["files_looked_at"] == 7
    assert fields["candidates"] == 5       # fsCachedData, the .cache, three plists
    assert fields["files_read"] == 5
    assert fields["unreadable"] == fields["unread_over_count"] == fields["unread_too_large"] == 0
    assert fields["mode_bits_used"] is True
    assert records[-1].message == "Looked at 7 files in folders where iOS keeps no programs; read 5"
    assert list(heuristic.check({"unexpected_executables": records})) == []


def test_unexpected_executables_planted_programs(tmp_path):
    dump = normal_phone()
    implant = macho()
    dump.add(f"{STAGING}/bh", implant)                                           # Pegasus
    dump.add("private/var/tmp/UserEventAgent", macho())                          # Predator
    dump.add("private/var/tmp/hooker", fat_macho(2))
    dump.add("private/var/tmp/upgrade.dylib", macho(MH_DYLIB))                   # Coruna
    dump.add("private/var/mobile/Library/Caches/.com.apple.mobileassetd.cache", macho(magic=MH_MAGIC, cpu=CPU_TYPE_ARM))
    dump.add("private/var/root/run.sh", b"#!/bin/sh\nexec /private/var/tmp/hooker\n")
    dump.add("private/var/root/Library/Caches/marked", b"not a program")
    dump.add("private/var/tmp/Tool.class", java_class())                          # CAFEBABE, but Java
    root = build(dump, tmp_path / "dump", {"private/var/root/run.sh": 0o755,
                                           "private/var/root/Library/Caches/marked": 0o700})
    records = run(root)
    assert found(records) == [
        ("/private/var/root/Library/Caches/marked", "executable-mode"),
        ("/private/var/root/run.sh", "script"),
        (f"{STAGING}/bh", "mach-o"),
        ("/private/var/tmp/UserEventAgent", "mach-o"),
        ("/private/var/tmp/hooker", "mach-o"),
        ("/private/var/tmp/upgrade.dylib", "mach-o"),
        ("/private/var/mobile/Library/Caches/.com.apple.mobileassetd.cache", "mach-o"),
    ]
    by_path = {r.fields["file_path"]: r for r in records if r.fields["record_type"] == "file"}
    pegasus = by_path[f"{STAGING}/bh"]
    assert pegasus.fields["detail"] == "Mach-O 64-bit executable for arm64, little-endian"
    assert pegasus.fields["sha256"] == hashlib.sha256(implant).hexdigest()
    assert pegasus.fields["size"] == len(implant)
    assert pegasus.fields["mode"] == "0o644"
    assert pegasus.fields["modified"] == "2021-07-01T10:00:00Z"
    assert pegasus.message == f"{STAGING}/bh: Mach-O 64-bit executable for arm64, little-endian"
    assert pegasus.observables == (Observable("file_path", f"{STAGING}/bh"), Observable("file_name", "bh"),
                                   Observable("sha256", hashlib.sha256(implant).hexdigest()),
                                   Observable("process", "bh"))
    assert by_path["/private/var/tmp/hooker"].fields["detail"] == "Mach-O universal (fat) binary of 2 architectures"
    assert by_path["/private/var/tmp/upgrade.dylib"].fields["detail"] == \
        "Mach-O 64-bit dynamic library for arm64, little-endian"
    assert by_path["/private/var/mobile/Library/Caches/.com.apple.mobileassetd.cache"].fields["detail"] == \
        "Mach-O 32-bit executable for arm, little-endian"
    assert by_path["/private/var/root/run.sh"].fields["interpreter"] == "/bin/sh"
    assert by_path["/private/var/root/Library/Caches/marked"].fields["mode"] == "0o700"

    detections = list(heuristic.check({"unexpected_executables": records}))
    assert [(d.severity, d.observable.value) for d in detections] == [
        ("medium", "/private/var/root/Library/Caches/marked")] + [("high", path) for path, _ in found(records)[1:]]
    assert detections[2].message == (
        f"A program file sits at {STAGING}/bh (Mach-O 64-bit executable for arm64, little-endian), a folder "
        "where iOS keeps no programs. Spyware puts its programs in such folders (Pegasus in /private/var/db/, "
        "Predator in /private/var/tmp/). Have the phone examined by an expert.")


def test_unexpected_executables_launch_items(tmp_path):
    dump = normal_phone()
    dump.add("Library/LaunchDaemons/com.apple.roleaccountd.plist",
             launch_job("com.apple.roleaccountd", arguments=[f"{STAGING}/roleaccountd", "-d"], binary=True))
    dump.add("private/var/root/Library/Preferences/com.apple.updaterd.plist",
             launch_job("com.apple.updaterd", program="/private/var/tmp/updaterd"))
    dump.add("Library/LaunchDaemons/readme.txt", b"not a job")
    records = run(build(dump, tmp_path / "dump"))
    assert found(records) == [
        ("/Library/LaunchDaemons/com.apple.roleaccountd.plist", "launch-item"),
        ("/private/var/root/Library/Preferences/com.apple.updaterd.plist", "launch-item"),
    ]
    job = records[0]
    assert job.fields["label"] == "com.apple.roleaccountd"
    assert job.fields["program"] == f"{STAGING}/roleaccountd"
    assert job.fields["program_arguments"] == [f"{STAGING}/roleaccountd", "-d"]
    assert job.fields["process_name"] == "roleaccountd"
    assert job.fields["process_path"] == f"{STAGING}/roleaccountd"
    assert job.fields["detail"] == f"launchd job com.apple.roleaccountd runs {STAGING}/roleaccountd"
    assert Observable("process", "roleaccountd") in job.observables
    assert Observable("file_path", f"{STAGING}/roleaccountd") in job.observables
    assert records[1].fields["program"] == "/private/var/tmp/updaterd"
    assert [d.severity for d in heuristic.check({"unexpected_executables": records})] == ["high", "high"]


def test_unexpected_executables_variant_tar_under_prefix(tmp_path):
    # A dump packed as .tar.gz below a root folder, as agent-based extractions write it (iOS 14).
    dump = normal_phone()
    dump.add(f"{STAGING}/com.apple.WebKit.Networking", fat_macho(1))
    records = run(dump.build_tar(tmp_path / "dump.tar.gz", prefix="filesystem1/"))
    assert found(records) == [(f"{STAGING}/com.apple.WebKit.Networking", "mach-o")]
    assert records[0].fields["detail"] == "Mach-O universal (fat) binary of 1 architecture"
    assert records[0].fields["mode"] == "0o644"
    assert summary(records)["files_read"] == 6


def test_unexpected_executables_mode_bits_ignored_when_meaningless(tmp_path):
    # Copied through a filesystem without Unix modes: every file is marked executable.
    dump = normal_phone()
    for number in range(60):
        dump.add(f"private/var/mobile/Library/Caches/Thumbs/{number}.jpg", b"\xff\xd8\xff")
    dump.add("private/var/tmp/marked", b"data")
    dump.add("private/var/tmp/implant", macho())
    root = build(dump, tmp_path / "dump")
    for path in root.rglob("*"):
        if path.is_file():
            path.chmod(0o777)
    records = run(root)
    assert found(records) == [("/private/var/tmp/implant", "mach-o")]
    fields = summary(records)
    assert fields["mode_bits_used"] is False
    # The 60 pictures, DataUsage.sqlite and the .ips log (plists are read as possible jobs, not counted).
    assert fields["data_files"] == fields["data_files_marked_executable"] == 62
    assert fields["files_looked_at"] == 69


def test_unexpected_executables_empty(tmp_path):
    dump = FilesystemBuilder().add("private/var/mobile/.keep", b"")
    records = run(build(dump, tmp_path / "dump"))
    assert found(records) == []
    assert summary(records)["files_looked_at"] == 1
    assert summary(records)["files_read"] == 1


def test_unexpected_executables_corrupt_files(tmp_path):
    dump = normal_phone()
    dump.add("private/var/tmp/short", b"\xcf\xfa\xed\xfe\x0c\x00")                  # magic, then nothing
    dump.add("private/var/tmp/cut", b"\xcf\xfa\xed\xfe\x0c\x00\x00\x01\x00\x00")   # header cut short
    dump.add("private/var/tmp/fat0", b"\xca\xfe\xba\xbe\x00\x00\x00\x00")          # no architectures
    dump.add("private/var/root/Library/Preferences/broken.plist", b"<plist><dict><key>ProgramArguments</key>")
    dump.add("private/var/root/Library/Preferences/list.plist", launch_job("x", program="/x")[:40])
    dump.add("private/var/tmp/gone", b"deleted after the listing")
    root = build(dump, tmp_path / "dump")
    acquisition = open_acquisition(root)
    try:
        (root / "private/var/tmp/gone").unlink()
        result = ModuleResult("unexpected_executables", unexpected_executables.ARTIFACT.description)
        module = Module(unexpected_executables.ARTIFACT, unexpected_executables.parse, unexpected_executables)
        records = list(run_module(module, acquisition, result))
    finally:
        acquisition.close()
    assert result.status == "ok" and result.errors == []
    assert found(records) == [("/private/var/tmp/cut", "mach-o")]
    assert records[0].fields["detail"] == "Mach-O 64-bit, little-endian, header cut short"
    fields = summary(records)
    assert fields["unreadable"] == 1
    assert fields["errors"] == ["private/var/tmp/gone: cannot read (No such file or directory)"]
    assert records[-1].message.endswith("; read 10, 1 left unread")


def test_unexpected_executables_lookup_of_unlisted_file_raises(tmp_path):
    acquisition = open_acquisition(build(normal_phone(), tmp_path / "dump"))
    try:
        entry = next(iter(acquisition.listing()))
        candidate = unexpected_executables.Candidate(1, "/private/var/tmp/[absent]", 1, False, False, entry)
        with pytest.raises(EvidenceError, match=r"/private/var/tmp/\[absent\]: listed but not found"):
            unexpected_executables._read(unexpected_executables._Folders(acquisition), candidate, 1024)
    finally:
        acquisition.close()


def test_unexpected_executables_bounds(tmp_path, monkeypatch):
    dump = normal_phone()
    for number in range(5):
        dump.add(f"private/var/tmp/file{number}", macho())
    dump.add("private/var/tmp/big", macho(pad=70_000))
    dump.add("private/var/tmp/bigmarked", b"x" * 70_000)
    root = build(dump, tmp_path / "dump", {"private/var/tmp/bigmarked": 0o755})
    monkeypatch.setattr(unexpected_executables, "MAX_FILE_BYTES", 65_536)
    monkeypatch.setattr(unexpected_executables, "MAX_FILES_READ", 3)
    records = run(root)
    # The marked file first (too large: reported unread), then the others by path, three read.
    assert found(records) == [("/private/var/tmp/bigmarked", "executable-mode"),
                              ("/private/var/tmp/file0", "mach-o"), ("/private/var/tmp/file1", "mach-o")]
    assert records[0].fields["sha256"] is None
    assert records[0].fields["detail"] == "marked executable (mode 0o755), 70000 bytes: too large to read"
    fields = summary(records)
    assert fields["files_read"] == 3
    assert fields["unread_too_large"] == 2
    assert fields["unread_over_count"] == 7
    assert not any(r.fields["record_type"] == "file" and r.fields["file_name"] == "big" for r in records)


def test_unexpected_executables_only_filesystem_dumps():
    assert unexpected_executables.ARTIFACT.kinds == frozenset({"ios-fs"})
    assert unexpected_executables.ARTIFACT.whole == "listing"
