"""A large listing run in a second process writes the same case folder as a serial check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import spyglass.check
from spyglass.acquisitions import open_acquisition
from spyglass.check import check
from spyglass.indicators import IndicatorIndex
from spyglass.indicators.loader import load_paths
from spyglass.parallel import AheadRun, worth_running_ahead
from tests.builders.full_backup import add_everything, e2e_feed
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_backup_encrypted import build_encrypted
from tests.builders.ios_fs import FilesystemBuilder

FILES = ("detections.jsonl", "timeline.csv", "timeline_detected.csv", "incidents.json")


class Spy(AheadRun):
    taken: list[bool] = []

    def result(self):  # type: ignore[override]
        outcome = super().result()
        Spy.taken.append(outcome is not None)
        return outcome


def case_contents(case: Path) -> dict[str, object]:
    found: dict[str, object] = {name: (case / name).read_bytes() for name in FILES}
    for path in sorted((case / "records").glob("*.jsonl")):
        found[f"records/{path.name}"] = path.read_bytes()
    document = json.loads((case / "case.json").read_text())
    for key in ("started_at", "finished_at"):
        document.pop(key)
    for module in document["modules"].values():
        module.pop("seconds")
    found["case.json"] = document
    return found


@pytest.fixture
def feed_index(tmp_path: Path) -> IndicatorIndex:
    feed = tmp_path / "e2e.stix2"
    feed.write_text(json.dumps(e2e_feed()))
    return IndicatorIndex(load_paths([feed]))


def both_ways(evidence: Path, tmp_path: Path, index: IndicatorIndex, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(spyglass.check, "AheadRun", Spy)
    Spy.taken = []
    monkeypatch.setenv("SPYGLASS_PARALLEL_MIN_ENTRIES", "0")
    monkeypatch.setenv("SPYGLASS_JOBS", "1")
    check(evidence, tmp_path / "serial", [], index)
    assert Spy.taken == []
    monkeypatch.setenv("SPYGLASS_JOBS", "2")
    check(evidence, tmp_path / "parallel", [], index)
    return case_contents(tmp_path / "serial"), case_contents(tmp_path / "parallel")


def test_parallel_backup_same_case_as_serial(tmp_path, feed_index, monkeypatch):
    backup = add_everything(BackupBuilder()).build(tmp_path / "backup")
    serial, parallel = both_ways(backup, tmp_path, feed_index, monkeypatch)
    assert Spy.taken == [True]                      # the listing did run in the worker
    assert parallel == serial
    manifest = serial["case.json"]["modules"]["manifest"]
    assert manifest["status"] == "ok" and manifest["records"] > 20
    assert serial["records/manifest.jsonl"].count(b"\n") == manifest["records"]


def test_parallel_dump_same_case_as_serial(tmp_path, feed_index, monkeypatch):
    dump = FilesystemBuilder()
    for number in range(50):
        dump.add(f"/private/var/mobile/Library/Logs/file-{number}.log", b"x" * number)
    dump.add("/private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd.plist", b"<plist/>")
    folder = dump.build_folder(tmp_path / "dump")
    serial, parallel = both_ways(folder, tmp_path, feed_index, monkeypatch)
    assert Spy.taken == [True]
    assert parallel == serial


def test_parallel_worker_that_fails_leaves_the_module_to_this_process(tmp_path, feed_index, monkeypatch):
    class Failing(AheadRun):
        def result(self):  # type: ignore[override]
            self.stop()
            self.records_path.unlink(missing_ok=True)
            return None

    backup = add_everything(BackupBuilder()).build(tmp_path / "backup")
    monkeypatch.setenv("SPYGLASS_PARALLEL_MIN_ENTRIES", "0")
    monkeypatch.setenv("SPYGLASS_JOBS", "1")
    check(backup, tmp_path / "serial", [], feed_index)
    monkeypatch.setenv("SPYGLASS_JOBS", "2")
    monkeypatch.setattr(spyglass.check, "AheadRun", Failing)
    check(backup, tmp_path / "fallback", [], feed_index)
    assert case_contents(tmp_path / "fallback") == case_contents(tmp_path / "serial")


def test_parallel_worker_on_evidence_it_cannot_open_reports_failure(tmp_path):
    records = tmp_path / "manifest.jsonl"
    run = AheadRun(tmp_path / "no-such-backup", "ios-backup", records)
    assert run.result() is None
    assert not records.exists()


def test_parallel_not_for_encrypted_small_or_single_core(tmp_path, monkeypatch):
    builder = BackupBuilder()
    builder.add_file("HomeDomain", "Library/Logs/a.txt", b"a")
    plain = open_acquisition(builder.build(tmp_path / "plain"))
    names = ["backup_info", "manifest"]
    monkeypatch.delenv("SPYGLASS_PARALLEL_MIN_ENTRIES", raising=False)
    monkeypatch.setenv("SPYGLASS_JOBS", "2")
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert worth_running_ahead(plain, names) is False                 # 1 entry, under the threshold
    monkeypatch.setenv("SPYGLASS_PARALLEL_MIN_ENTRIES", "0")
    assert worth_running_ahead(plain, names) is True
    assert worth_running_ahead(plain, ["backup_info"]) is False       # no listing module
    monkeypatch.setenv("SPYGLASS_JOBS", "1")
    assert worth_running_ahead(plain, names) is False
    monkeypatch.setenv("SPYGLASS_JOBS", "2")
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert worth_running_ahead(plain, names) is False
    plain.close()
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    password = tmp_path / "pw.txt"
    password.write_text("pw\n")
    from spyglass.secrets import Secrets
    encrypted = build_encrypted(builder, tmp_path / "enc", "pw")
    acquisition = open_acquisition(encrypted.root, secrets=Secrets(password_file=password, environ={},
                                                                   interactive=False))
    assert worth_running_ahead(acquisition, names) is False            # the key stays in this process
    acquisition.close()
