"""Modules run in worker processes write the same case folder as a serial check."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

import spyglass.parallel as parallel
from spyglass.acquisitions import open_acquisition
from spyglass.analysis import MAX_SHORT_LINKS, Analyser
from spyglass.check import check
from spyglass.indicators import IndicatorIndex
from spyglass.indicators.loader import load_paths
from spyglass.modules import modules_for
from spyglass.parallel import Unit, Workers, plan
from spyglass.records import Observable, Record
from tests.builders.android import AndroidQFBuilder
from tests.builders.full_backup import add_everything, e2e_feed
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_backup_encrypted import build_encrypted
from tests.builders.ios_fs import FilesystemBuilder

FILES = ("detections.jsonl", "timeline.csv", "timeline_detected.csv", "incidents.json")


class Spy(Workers):
    taken: list[dict[str, int]] = []

    def results(self):  # type: ignore[override]
        taken = super().results()
        Spy.taken.append({module: len(slices) for module, slices in taken.items()})
        return taken


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


def leftovers(case: Path) -> list[str]:
    return sorted(path.name for path in [*case.iterdir(), *(case / "records").iterdir()]
                  if path.name.startswith("."))


@pytest.fixture
def feed_index(tmp_path: Path) -> IndicatorIndex:
    feed = tmp_path / "e2e.stix2"
    feed.write_text(json.dumps(e2e_feed()))
    return IndicatorIndex(load_paths([feed]))


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setenv("SPYGLASS_PARALLEL_MIN_SECONDS", "0")


def both_ways(evidence: Path, tmp_path: Path, index: IndicatorIndex, monkeypatch: pytest.MonkeyPatch,
              sliced: bool = True):
    monkeypatch.setattr(parallel, "Workers", Spy)
    # Small inputs: the listing weighed as the largest part, so that it is sliced, or as nothing.
    monkeypatch.setattr(parallel, "ENTRY_SECONDS", 1.0 if sliced else 0.0)
    monkeypatch.setattr(parallel, "PASS_SECONDS", 0.0)
    # The check measures how long the acquisition took to open, and a worker's load starts at
    # it: taken as nothing here, so that the plan does not depend on this machine's speed.
    plan = parallel.plan
    monkeypatch.setattr(parallel, "plan", lambda acquisition, modules, secrets=None, opened_in=0.0:
                        plan(acquisition, modules, secrets, 0.0))
    Spy.taken = []
    monkeypatch.setenv("SPYGLASS_JOBS", "1")
    check(evidence, tmp_path / "serial", [], index, force=True)
    assert Spy.taken == []
    monkeypatch.setenv("SPYGLASS_JOBS", "2")
    check(evidence, tmp_path / "parallel", [], index, force=True)
    assert leftovers(tmp_path / "parallel") == []          # no worker report, run or slice is left
    return case_contents(tmp_path / "serial"), case_contents(tmp_path / "parallel")


def test_parallel_backup_same_case_as_serial(tmp_path, feed_index, monkeypatch, two_cores):
    backup = add_everything(BackupBuilder()).build(tmp_path / "backup")
    serial, parallel_case = both_ways(backup, tmp_path, feed_index, monkeypatch)
    [taken] = Spy.taken
    assert taken == {"manifest": 2}                         # the listing was cut in two slices
    assert parallel_case == serial
    serial, parallel_case = both_ways(backup, tmp_path, feed_index, monkeypatch, sliced=False)
    [taken] = Spy.taken
    assert "manifest" not in taken and len(taken) > 10      # whole modules ran in the worker
    assert {"sms", "safari_history", "datausage"} & set(taken)
    assert parallel_case == serial
    manifest = serial["case.json"]["modules"]["manifest"]
    assert manifest["status"] == "ok" and manifest["records"] > 20
    assert serial["records/manifest.jsonl"].count(b"\n") == manifest["records"]
    assert serial["detections.jsonl"].count(b"\n") > 5      # findings came from the workers' modules too


@pytest.mark.parametrize("container", ["folder", "tar.gz"])
def test_parallel_dump_same_case_as_serial(tmp_path, feed_index, monkeypatch, two_cores, container):
    """A dump in a folder, and in a .tar.gz whose listing (its refusals included) the workers are
    handed rather than parse the headers again."""
    dump = FilesystemBuilder()
    for number in range(50):
        dump.add(f"/private/var/mobile/Library/Logs/file-{number}.log", b"x" * number)
    dump.add("/private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd.plist", b"<plist/>")
    if container == "folder":
        evidence = dump.build_folder(tmp_path / "dump")
    else:
        dump.add("/private/var/mobile/Library/Preferences/../../../../escape.plist", b"<plist/>")
        evidence = dump.build_tar(tmp_path / "dump.tar.gz")
    serial, parallel_case = both_ways(evidence, tmp_path, feed_index, monkeypatch)
    assert Spy.taken[0]["manifest"] == 2
    assert parallel_case == serial
    assert serial["case.json"]["modules"]["manifest"]["records"] == 51 + 7     # the files and their folders
    refused = [w for w in serial["case.json"]["warnings"] if "escape.plist: an absolute or climbing" in w]
    assert len(refused) == (container == "tar.gz")


def test_parallel_androidqf_same_case_as_serial(tmp_path, feed_index, monkeypatch, two_cores):
    packages = [{"name": f"com.example.app{number}", "installer": "com.android.vending", "system": False,
                 "files": [], "certificates": [], "permissions": []} for number in range(30)]
    folder = (AndroidQFBuilder()
              .add("packages.json", json.dumps(packages).encode())
              .add("settings_global.txt", b"adb_enabled=1\npackage_verifier_enable=0\n")
              .add("processes.txt", b"USER PID PPID VSZ RSS WCHAN ADDR S NAME\nroot 1 0 1 1 0 0 S init\n")
              .build_folder(tmp_path))
    serial, parallel_case = both_ways(folder, tmp_path, feed_index, monkeypatch)
    assert len(Spy.taken[0]) > 5                            # modules ran in the worker
    assert parallel_case == serial
    assert serial["case.json"]["modules"]["android_packages"]["records"] == 30


def test_parallel_worker_that_fails_leaves_its_modules_to_this_process(tmp_path, feed_index, monkeypatch,
                                                                       two_cores):
    backup = add_everything(BackupBuilder()).build(tmp_path / "backup")
    monkeypatch.setenv("SPYGLASS_JOBS", "1")
    check(backup, tmp_path / "serial", [], feed_index)
    monkeypatch.setenv("SPYGLASS_JOBS", "2")
    # A worker that dies at once, and one that reports a line cut short and nothing else.
    for number, command in enumerate([[sys.executable, "-c", "import sys; sys.exit(3)"],
                                      [sys.executable, "-c", "import sys, pickle; p = pickle.load(sys.stdin.buffer); "
                                                             "open(p['report'], 'w').write('{\"module\": \"sms')"]]):
        monkeypatch.setattr(parallel, "WORKER", command)
        check(backup, tmp_path / f"fallback-{number}", [], feed_index)
        assert case_contents(tmp_path / f"fallback-{number}") == case_contents(tmp_path / "serial")
        assert leftovers(tmp_path / f"fallback-{number}") == []


def test_parallel_sliced_module_with_a_fault_is_run_again_whole():
    def outcome(part, status="ok", errors=(), records=10):
        return {"module": "manifest", "part": part, "runs": [], "share": {}, "inputs": {}, "warnings": [],
                "result": {"status": status, "records": records, "files": ["Manifest.db"], "message": None,
                           "errors": list(errors), "seconds": 0.1}}

    assert parallel._clean([outcome(0), outcome(1)]) is True
    assert parallel._clean([outcome(0), outcome(1, errors=["Manifest.db: damaged (after 3 records read)"])]) is False
    assert parallel._clean([outcome(0), outcome(1, status="error")]) is False
    assert parallel._clean([outcome(0, records=parallel.MAX_MODULE_RECORDS), outcome(1)]) is False
    assert parallel._clean([outcome(0, status="error")]) is True     # a whole module is taken as it ended


def test_parallel_plan(tmp_path, monkeypatch):
    builder = BackupBuilder()
    builder.add_file("HomeDomain", "Library/SMS/sms.db", b"x" * 1_000_000)
    builder.add_file("HomeDomain", "Library/Safari/History.db", b"y" * 1_500_000)
    for number in range(200):
        builder.add_file("MediaDomain", f"Media/{number}.jpg", b"z")
    plain = open_acquisition(builder.build(tmp_path / "plain"))
    modules = modules_for(plain.kind)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setenv("SPYGLASS_JOBS", "2")
    monkeypatch.delenv("SPYGLASS_PARALLEL_MIN_SECONDS", raising=False)
    assert plan(plain, modules) == []        # 1.27 s of estimated work (by the databases' size): too little
    monkeypatch.setenv("SPYGLASS_PARALLEL_MIN_SECONDS", "0")
    shares = plan(plain, modules)
    # Safari's 0.75 s stays here; sms.db's 0.5 s, shared by its two modules, goes to the worker.
    assert [unit for share in shares for unit in share if unit.module in ("sms", "sms_attachments", "safari_history")] \
        == [Unit("sms"), Unit("sms_attachments")]
    assert plan(plain, modules, None, opened_in=10.0) == []   # a worker would first spend 10 s opening it again
    monkeypatch.setattr(parallel, "ENTRY_SECONDS", 1.0)       # a listing that outweighs the rest
    shares = plan(plain, modules)
    assert len(shares) == 2 and [share[0] for share in shares] == [Unit("manifest", 0, 2), Unit("manifest", 1, 2)]
    monkeypatch.setenv("SPYGLASS_JOBS", "1")
    assert plan(plain, modules) == []
    monkeypatch.setenv("SPYGLASS_JOBS", "4")
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert plan(plain, modules) == []
    plain.close()
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    password = tmp_path / "pw.txt"
    password.write_text("pw\n")
    from spyglass.secrets import Secrets

    encrypted = build_encrypted(builder, tmp_path / "enc", "pw")
    secrets = Secrets(password_file=password, environ={}, interactive=False)
    acquisition = open_acquisition(encrypted.root, secrets=secrets)
    # Its workers are given the backup key it was unlocked with: the same plan as the plain one's.
    assert parallel.worker_secret(acquisition).reveal() == encrypted.passcode_key
    assert plan(acquisition, modules, secrets) == shares
    acquisition.close()
    aqf = open_acquisition(AndroidQFBuilder().add("processes.txt", b"USER PID\n").build_folder(tmp_path / "aqf"))
    aqf_modules = modules_for(aqf.kind)
    assert parallel.worker_secret(aqf) is None
    assert plan(aqf, aqf_modules) != []
    assert plan(aqf, aqf_modules, secrets) == []     # another secret (an age identity): one process
    aqf.close()


def test_parallel_backup_listing_slices_join_to_the_listing(tmp_path):
    builder = BackupBuilder()
    for number in range(101):
        builder.add_file("HomeDomain", f"Library/f{number:03d}", b"a")
    acquisition = open_acquisition(builder.build(tmp_path / "backup"))
    whole = [entry.source for entry in acquisition.listing()]
    slices = []
    for part in range(3):
        acquisition.listing_part = (part, 3)
        slices.append([entry.source for entry in acquisition.listing()])
    assert [len(piece) for piece in slices] == [33, 34, 34]
    assert [source for piece in slices for source in piece] == whole
    assert len(whole) == 101 and whole[0] == "HomeDomain/Library/f000"
    acquisition.close()


def test_short_links_kept_in_module_order_whatever_order_they_came_in():
    def link_record(module, number):
        return Record(None, "", "", observables=(Observable("url", f"https://bit.ly/{module}{number}"),),
                      module=module, source="s")

    analyser = Analyser(None, [], {"sms": "", "safari_history": "", "whatsapp": ""})
    for number in range(MAX_SHORT_LINKS):
        analyser.add(link_record("whatsapp", number))
    analyser.add(link_record("safari_history", 0))
    analyser.add(link_record("sms", 0))
    assert [link["module"] for link in analyser.short_links[:3]] == ["sms", "safari_history", "whatsapp"]
    assert len(analyser.short_links) == MAX_SHORT_LINKS and analyser.short_link_count == MAX_SHORT_LINKS + 2
    assert analyser.short_links[-1]["url"] == f"https://bit.ly/whatsapp{MAX_SHORT_LINKS - 3}"


def recheck_contents(case: Path) -> dict[str, object]:
    found = case_contents(case)
    document = found["case.json"]
    assert isinstance(document, dict)
    document.pop("rechecked_at")
    for entry in document["history"]:
        entry.pop("at", None)
    return found


def test_parallel_recheck_same_as_serial_and_a_failed_reader_changes_nothing(tmp_path, feed_index, monkeypatch,
                                                                            two_cores):
    from spyglass.check import recheck

    monkeypatch.setenv("SPYGLASS_JOBS", "1")
    backup = add_everything(BackupBuilder()).build(tmp_path / "backup")
    check(backup, tmp_path / "case", [], IndicatorIndex([]))       # no findings yet: the recheck finds them
    for name in ("serial", "parallel", "fallback"):
        shutil.copytree(tmp_path / "case", tmp_path / name)
    recheck(tmp_path / "serial", feed_index)
    monkeypatch.setenv("SPYGLASS_JOBS", "2")
    monkeypatch.setattr(parallel, "WORKER_START_SECONDS", 0.0)     # a small case: cut in halves
    taken: list[int] = []
    original = parallel.Readers.results

    def spy(self):
        pieces = original(self)
        taken.append(len(pieces) if pieces is not None else -1)
        return pieces

    monkeypatch.setattr(parallel.Readers, "results", spy)
    recheck(tmp_path / "parallel", feed_index)
    assert taken and taken[0] > 0                                    # a worker did read a share
    serial = recheck_contents(tmp_path / "serial")
    assert serial["detections.jsonl"].count(b"\n") > 5
    assert recheck_contents(tmp_path / "parallel") == serial
    monkeypatch.setattr(parallel, "WORKER", [sys.executable, "-c", "import sys; sys.exit(3)"])
    recheck(tmp_path / "fallback", feed_index)
    assert taken[-1] == -1                                           # the worker failed: read here
    assert recheck_contents(tmp_path / "fallback") == serial
    assert leftovers(tmp_path / "parallel") == leftovers(tmp_path / "fallback") == []


def test_parallel_recheck_shares_cut_records_files_at_line_starts(tmp_path, monkeypatch, two_cores):
    from spyglass.case import read_records, records_file

    records = tmp_path / "records"
    records.mkdir()
    lines = {name: [json.dumps(Record(None, "", f"{name} {number} " + "x" * (number % 7), module=name,
                                      source="s").to_dict()) for number in range(count)]
             for name, count in (("alpha", 40), ("beta", 3), ("gamma", 0), ("delta", 25))}
    for name, texts in lines.items():
        records_file(tmp_path, name).write_text("".join(text + "\n" for text in texts))
    monkeypatch.setattr(parallel, "WORKER_START_SECONDS", 0.0)
    for jobs in ("2", "3", "5"):
        monkeypatch.setenv("SPYGLASS_JOBS", jobs)
        monkeypatch.setattr("os.cpu_count", lambda: 8)
        shares = parallel.plan_reading(tmp_path, list(lines))
        assert len(shares) == int(jobs)
        assert all(start == 0 for _, start, _ in shares[0])          # this process's share: whole lines from 0
        read = {name: [] for name in lines}
        for share in shares:
            for name, start, stop in share:
                assert start == 0 or records_file(tmp_path, name).read_bytes()[start - 1:start] == b"\n"
                read[name] += [record.message for record in read_records(records_file(tmp_path, name), start, stop)]
        assert read == {name: [json.loads(text)["message"] for text in texts] for name, texts in lines.items()}
    monkeypatch.setenv("SPYGLASS_JOBS", "1")
    assert parallel.plan_reading(tmp_path, list(lines)) == []


def test_parallel_timeline_written_by_a_worker_or_here_when_it_fails(tmp_path, feed_index, monkeypatch, two_cores):
    backup = add_everything(BackupBuilder()).build(tmp_path / "backup")
    monkeypatch.setenv("SPYGLASS_JOBS", "1")
    check(backup, tmp_path / "serial", [], feed_index)
    monkeypatch.setenv("SPYGLASS_JOBS", "2")
    monkeypatch.setenv("SPYGLASS_PARALLEL_MIN_SECONDS", "1000000")      # modules here: only the timeline moves
    monkeypatch.setenv("SPYGLASS_TIMELINE_MIN_BYTES", "0")
    written: list[bool] = []
    original = parallel.TimelineWriter.written

    def spy(self):
        written.append(original(self))
        return written[-1]

    monkeypatch.setattr(parallel.TimelineWriter, "written", spy)
    check(backup, tmp_path / "worker", [], feed_index)
    monkeypatch.setattr(parallel, "WORKER", [sys.executable, "-c", "import sys; sys.exit(3)"])
    check(backup, tmp_path / "fallback", [], feed_index)
    assert written == [True, False]
    serial = case_contents(tmp_path / "serial")
    assert serial["timeline.csv"].count(b"\n") > 50
    assert case_contents(tmp_path / "worker") == serial == case_contents(tmp_path / "fallback")
    assert leftovers(tmp_path / "worker") == leftovers(tmp_path / "fallback") == []


def test_parallel_encrypted_backup_same_case_as_serial_and_the_key_never_on_disk(tmp_path, feed_index,
                                                                                    monkeypatch, two_cores):
    from spyglass.secrets import Secrets

    encrypted = build_encrypted(add_everything(BackupBuilder()), tmp_path / "encrypted", "pw")
    password = tmp_path / "pw.txt"
    password.write_text("pw\n")
    monkeypatch.setattr(parallel, "Workers", Spy)
    monkeypatch.setattr(parallel, "ENTRY_SECONDS", 1.0)
    plan_now = parallel.plan
    monkeypatch.setattr(parallel, "plan", lambda acquisition, modules, secrets=None, opened_in=0.0:
                        plan_now(acquisition, modules, secrets, 0.0))
    Spy.taken = []
    cases = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv("SPYGLASS_JOBS", jobs)
        secrets = Secrets(password_file=password, environ={}, interactive=False)
        check(encrypted.root, tmp_path / f"case-{jobs}", [], feed_index, force=True, secrets=secrets)
        cases[jobs] = case_contents(tmp_path / f"case-{jobs}")
    [taken] = Spy.taken
    assert taken == {"manifest": 2}                   # both slices listed by workers, and taken
    assert cases["2"] == cases["1"]
    assert cases["1"]["case.json"]["modules"]["sms"]["records"] > 0
    key = encrypted.passcode_key
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert key not in data and key.hex().encode() not in data, path
