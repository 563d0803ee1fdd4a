"""What must hold for every kind of acquisition, whatever it holds: never a false all-clear, the
evidence unchanged by a check, nothing written outside the case folder."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from spyglass.cli import main
from tests.builders.android import AndroidQFBuilder, BugreportBuilder, android_backup
from tests.builders.android_intrusion import DAY
from tests.builders.archives import write_zip
from tests.builders.full_backup import add_everything
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_fs import from_backup
from tests.builders.sysdiagnose import SysdiagnoseBuilder

GARBAGE = bytes(range(256)) * 64


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", ["androidqf", "android-bugreport"])
def test_nothing_readable_is_no_all_clear(tmp_path: Path, kind: str) -> None:
    # Every file the modules read is garbage: the check says it could read nothing, exit 2,
    # never "no findings".
    if kind == "androidqf":
        path = AndroidQFBuilder(files={"acquisition.json": GARBAGE, "getprop.txt": GARBAGE,
                                       "packages.json": GARBAGE}).build_folder(tmp_path)
    else:
        path = BugreportBuilder(dumpstate=GARBAGE).build_zip(tmp_path)
    code, output = check(str(path), "-o", str(tmp_path / "case"))
    assert code == 2, output
    assert "could be read, so nothing was checked" in " ".join(output.split())
    assert "No known traces" not in output
    assert not (tmp_path / "case").exists()


def state(path: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry below `path` (or `path` itself) with its size, mtime and content hash."""
    entries = [path] if path.is_file() else sorted(path.rglob("*"))
    found = {}
    for entry in entries:
        info = entry.lstat()
        digest = hashlib.sha256(entry.read_bytes()).hexdigest() if entry.is_file() and not entry.is_symlink() else ""
        found[str(entry.relative_to(path.parent))] = (info.st_size, info.st_mtime_ns, digest)
    return found


def acquisitions(tmp_path: Path) -> dict[str, Path]:
    backup = BackupBuilder()
    add_everything(backup)
    dump = from_backup(backup)
    made = {
        "ios-backup": backup.build(tmp_path / "backup" / backup.udid),
        "ios-fs folder": dump.build_folder(tmp_path / "dump", "filesystem1/"),
        "ios-fs tar.gz": dump.build_tar(tmp_path / "dump.tar.gz"),
        "ios-fs zip": dump.build_zip(tmp_path / "dump.zip"),
        "sysdiagnose": SysdiagnoseBuilder().add("ps.txt", b"USER UID PID PPID STARTED TIME COMMAND\n")
                                           .build_tar(tmp_path),
        "androidqf": AndroidQFBuilder().add("backup.ab", android_backup({})).build_folder(tmp_path),
        "android-bugreport": BugreportBuilder().add("FS/data/tombstones/tombstone_00", b"*** ***\n").build_zip(tmp_path),
    }
    # The same backup as one zip, with the hostile member set (absolute, climbing, a link out) added.
    folder = made["ios-backup"]
    members = {f"{backup.udid}/{path.relative_to(folder).as_posix()}": path.read_bytes()
               for path in sorted(folder.rglob("*")) if path.is_file()}
    made["ios-backup zip"] = write_zip(tmp_path / "backup.zip", members, hostile=True)
    (tmp_path / "backup.ab").write_bytes(android_backup({
        "apps/com.android.providers.telephony/d_f/000000_sms_backup": __import__("zlib").compress(b"[]")}))
    made["android-backup"] = tmp_path / "backup.ab"
    logs = tmp_path / "intrusion-logs"
    logs.mkdir()
    (logs / "2026-06-08.txt").write_bytes(DAY)
    made["android-intrusion-logs"] = logs
    # And every named kind again, each of its modules' files holding hostile bytes.
    from tests.test_hostile import NAMED_KINDS, PAYLOADS, build_named

    for number, kind in enumerate(NAMED_KINDS):
        folder = tmp_path / f"hostile-{number}"
        folder.mkdir()
        made[f"hostile {kind}"] = build_named(kind, folder, PAYLOADS["bplist_shared_references"] + GARBAGE)
    return made


def test_every_kind_leaves_the_evidence_unchanged_and_writes_only_the_case(tmp_path: Path) -> None:
    # Each kind checked in a fresh process whose temp folders (SQLite's and Python's) are watched:
    # the evidence keeps its bytes, file list and times; nothing is left in the temp folders; the
    # only new folder is the case.
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    made = acquisitions(evidence)
    temp = tmp_path / "temp"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp), SQLITE_TMPDIR=str(temp),
               PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    env.pop("SPYGLASS_BACKUP_PASSWORD", None)
    for name, path in made.items():
        before = state(evidence)
        case = tmp_path / "cases" / name.replace(" ", "-")
        done = subprocess.run([sys.executable, "-m", "spyglass.cli", "check", str(path), "-o", str(case), "--no-html"],
                              env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
        hostile = name.startswith("hostile")
        # Hostile bytes may leave nothing readable (exit 2, no case): never a traceback.
        assert done.returncode in ((0, 1, 2) if hostile else (0, 1)), (name, done.stdout[-1500:], done.stderr[-1500:])
        assert "Traceback" not in done.stdout + done.stderr, name
        assert state(evidence) == before, name
        assert list(temp.iterdir()) == [], name
        assert (case / "case.json").exists() or (hostile and done.returncode == 2 and not case.exists()), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases", "evidence", "temp"]
    zipped = json.loads((tmp_path / "cases" / "ios-backup-zip" / "case.json").read_text())
    assert zipped["acquisition"]["kind"] == "ios-backup"
    assert any("../../escape.txt" in warning for warning in zipped["warnings"])


MEMORY_CEILING = 1536 * 1024 * 1024    # address space a check of hostile evidence may use


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the ceiling is set with setrlimit (POSIX)")
def test_hostile_backup_checked_under_a_memory_ceiling(tmp_path: Path) -> None:
    # Bombs at every module's path, at once: a WAL claiming 2 GB, 200 MB generated values,
    # shared-reference plists; the check finishes within the ceiling (it took 3.9 GB before).
    import resource

    from tests.builders.plist_bombs import shared_reference_bplist
    from tests.test_hostile import _generated_bomb, backup_places, hostile_database, ios_backup_modules
    from tests.test_sqlite import forged_wal

    builder = BackupBuilder()
    seen: set[tuple[str, str]] = set()
    for module in ios_backup_modules():
        for domain, relative in backup_places(module):
            if (domain, relative) in seen:
                continue
            seen.add((domain, relative))
            if module.artifact.tables:
                data = _generated_bomb(module.artifact.tables) if len(relative) % 2 else hostile_database(
                    module.artifact.tables)
                builder.add_file(domain, relative, data)
                builder.add_file(domain, relative + "-wal", forged_wal(data, commit_size=500_000))
            else:
                builder.add_file(domain, relative, shared_reference_bplist())
    backup = builder.build(tmp_path / "backup")

    def ceiling() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    done = subprocess.run([sys.executable, "-m", "spyglass.cli", "check", str(backup), "-o", str(tmp_path / "case"),
                           "--no-html"], env=env, capture_output=True, text=True, timeout=600, preexec_fn=ceiling,
                          check=False)
    assert done.returncode in (0, 1), (done.stdout[-2000:], done.stderr[-2000:])
    # No module ran out of memory either (before, 52 module errors said MemoryError here).
    assert "MemoryError" not in (tmp_path / "case" / "case.json").read_text()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the ceiling is set with setrlimit (POSIX)")
@pytest.mark.parametrize("kind", ["sysdiagnose", "androidqf", "android-bugreport", "android-backup",
                                  "android-intrusion-logs"])
def test_hostile_named_kind_checked_under_a_memory_ceiling(tmp_path: Path, kind: str) -> None:
    import resource

    from tests.test_hostile import PAYLOADS, build_named

    bombs = PAYLOADS["bplist_shared_references"] + PAYLOADS["xml_many_elements"]
    path = build_named(kind, tmp_path, bombs)

    def ceiling() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    done = subprocess.run([sys.executable, "-m", "spyglass.cli", "check", str(path), "--kind", kind, "-o",
                           str(tmp_path / "case"), "--no-html"], env=env, capture_output=True, text=True,
                          timeout=600, preexec_fn=ceiling, check=False)
    assert done.returncode in (0, 1, 2), (done.stdout[-2000:], done.stderr[-2000:])
    assert "MemoryError" not in done.stdout + done.stderr and "Traceback" not in done.stderr
    case = tmp_path / "case" / "case.json"
    assert not case.exists() or "MemoryError" not in case.read_text()
