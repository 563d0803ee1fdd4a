"""taskinfo.txt of a sysdiagnose: the tasks the kernel held, with their run times and threads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.check import check
from spyglass.errors import EvidenceError
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.modules.ios import taskinfo
from spyglass.records import Observable
from tests.builders.sysdiagnose import SysdiagnoseBuilder
from tests.builders.sysdiagnose_artifacts import run_sysdiagnose
from tests.builders.sysdiagnose_more import TASKS, Task, taskinfo_txt
from tests.indicators.stix_bundles import related_bundle, write

WRITTEN = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)   # the builders' file time


def test_taskinfo_normal(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {"taskinfo.txt": taskinfo_txt()}, taskinfo)
    assert [(r.fields["process_name"], r.fields["pid"], r.fields["thread_count"]) for r in records[:-1]] == [
        ("launchd", 1, 3), ("SpringBoard", 235, 4), ("bh", 999, 1), ("Secure Chat", 1203, 2)]
    launchd = records[0]
    assert launchd.timestamp == datetime(2021, 7, 1, 9, 56, 24, tzinfo=UTC)   # 216 s before the file was written
    assert launchd.timestamp_desc == "process started (taskinfo)"
    assert launchd.message == "Task launchd [1], running 216 s, 3 threads"
    assert launchd.observables == (Observable("process", "launchd"),)
    fields = dict(launchd.fields)
    details = fields.pop("details")
    assert fields == {
        "record_type": "task", "process_name": "launchd", "pid": 1, "unique_id": 1, "line": 3,
        "architecture": "arm64e", "coalition_resource_id": 101, "coalition_jetsam_id": 102, "suspend_count": 0,
        "sched_policy": "POLICY_TIMESHARE", "dirty_tracking": "untracked  dirty", "adaptive_daemon": "NO (boosted: NO)",
        "boosts": "0 (0 externalized)", "ios_application": False, "apple_daemon": False, "pid_suspended": False,
        "importance_donor": False, "importance_receiver": False, "virtual_size": "389.03 GB", "footprint": "12.23 MB",
        "footprint_lifetime_max": "12.36 MB", "thread_count": 3, "run_time_seconds": 216,
        "started_at": "2021-07-01T09:56:24Z", "listed_at": "2021-07-01T10:00:00Z"}
    # The keys read by name only are kept as taskinfo prints them; policy lines (tab-indented) are not.
    assert details["P-time"] == "0.000000 s (0%)"
    assert details["user/system time    (current threads)"] == "0.145469 s / 0.000000 s"
    assert "req apptype" not in details and "eff role" not in details
    chat = records[3]
    assert (chat.fields["ios_application"], chat.fields["pid_suspended"], chat.fields["unique_id"]) == (True, True, 1290)
    assert chat.message == "Task Secure Chat [1203], running 12 s, 2 threads, suspended"
    assert chat.observables == (Observable("process", "Secure Chat"),)
    assert records[2].message == "Task bh [999], running 40 s, 1 thread"


def test_taskinfo_summary(tmp_path: Path) -> None:
    # The header is counted at another moment than the blocks are printed: the two may differ.
    records = run_sysdiagnose(tmp_path, {"taskinfo.txt": taskinfo_txt(declared=6)}, taskinfo)
    summary = records[-1]
    assert summary.timestamp == WRITTEN
    assert summary.timestamp_desc == "task list written"
    assert summary.fields == {"record_type": "summary", "declared_tasks": 6, "listed_tasks": 4,
                              "listed_at": "2021-07-01T10:00:00Z"}
    assert summary.message == "Task list: 6 tasks (4 blocks read)"
    assert summary.observables == ()


def test_taskinfo_older_block(tmp_path: Path) -> None:
    # No public sample of another release: a block without the P-time/energy lines, without a
    # unique ID and without a run time reads the same, key by key.
    text = taskinfo_txt([Task("mediaserverd", 88, 88, 0, modern=False)]).decode()
    text = text.replace(" [unique ID: 88]", "").replace("run time: 0 s\n", "")
    records = run_sysdiagnose(tmp_path, {"taskinfo.txt": text.encode()}, taskinfo)
    task = records[0]
    assert task.timestamp == WRITTEN
    assert task.timestamp_desc == "task list written"
    assert (task.fields["unique_id"], task.fields["run_time_seconds"], task.fields["started_at"]) == (None, None, None)
    assert "P-time" not in task.fields["details"]
    assert task.message == "Task mediaserverd [88], 2 threads"


def test_taskinfo_matches_a_process_indicator(tmp_path: Path) -> None:
    feed = write(tmp_path / "feed.stix2", related_bundle(["[process:name = 'bh']"]))
    archive = SysdiagnoseBuilder().add("taskinfo.txt", taskinfo_txt(TASKS)).build_tar(tmp_path)
    outcome = check(archive, tmp_path / "case", [], IndicatorIndex(load_paths([feed])))
    hits = [(d.module, d.observable.type, d.observable.value) for d in outcome.detections if d.kind == "indicator"]
    assert hits == [("taskinfo", "process", "bh")]


def test_taskinfo_empty(tmp_path: Path) -> None:
    assert run_sysdiagnose(tmp_path, {"taskinfo.txt": b"\n\n"}, taskinfo) == []


def test_taskinfo_no_tasks(tmp_path: Path) -> None:
    (summary,) = run_sysdiagnose(tmp_path, {"taskinfo.txt": b"num tasks: 0\n"}, taskinfo)
    assert (summary.fields["declared_tasks"], summary.fields["listed_tasks"]) == (0, 0)


def test_taskinfo_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"taskinfo\.txt: not a taskinfo listing"):
        run_sysdiagnose(tmp_path, {"taskinfo.txt": bytes(range(256)) * 4}, taskinfo)


def test_taskinfo_hostile_values(tmp_path: Path) -> None:
    text = ('num tasks: 1\n\nprocess: "x" [7]\nrun time: 99999999999999 s\nsuspend count: lots\n'
            'pid suspended: \nios-application: MAYBE\nvirtual bytes: ;;; : ;\n\tthread ID: 0x1 / 1\n')
    task, _ = run_sysdiagnose(tmp_path, {"taskinfo.txt": text.encode()}, taskinfo)
    assert (task.fields["run_time_seconds"], task.fields["suspend_count"]) == (None, "lots")
    assert (task.fields["pid_suspended"], task.fields["ios_application"], task.fields["virtual_size"]) == (
        None, None, None)
    assert task.fields["thread_count"] == 1
