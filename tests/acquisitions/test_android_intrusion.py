"""The Intrusion Logging kind: a folder or zip of NDJSON logs, probed by its first lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from spyglass.acquisitions.android_intrusion import AndroidIntrusionLogs, is_event_line
from spyglass.acquisitions.base import ANDROID_INTRUSION
from tests.builders.android import AndroidQFBuilder
from tests.builders.android_intrusion import DAY, logs_folder, logs_zip
from tests.builders.archives import write_folder


@pytest.mark.parametrize("build", [logs_folder, logs_zip])
def test_android_intrusion_probed_and_named(tmp_path: Path, build) -> None:
    path = build(tmp_path, {"2026-06-08.txt": DAY, "sub/2026-06-09.txt": DAY, "notes.md": b"x"})
    assert AndroidIntrusionLogs.probe(path)
    acquisition = AndroidIntrusionLogs(path)
    assert acquisition.kind == ANDROID_INTRUSION == "android-intrusion-logs"
    assert [f.source for f in acquisition.named("**/*.txt")] == ["2026-06-08.txt", "sub/2026-06-09.txt"]
    assert acquisition.named("2026-06-08.txt")[0].read_bytes() == DAY
    assert acquisition.describe()["members"] == 4
    acquisition.close()


def test_android_intrusion_probe_in_a_subfolder(tmp_path: Path) -> None:
    assert AndroidIntrusionLogs.probe(logs_folder(tmp_path, {"export/2026-06-08.txt": DAY}))


def test_android_intrusion_probe_refuses_other_text(tmp_path: Path) -> None:
    assert not AndroidIntrusionLogs.probe(write_folder(tmp_path / "a", {"log.txt": b'{"event": {"x": 1}}\n'}))
    assert not AndroidIntrusionLogs.probe(write_folder(tmp_path / "b", {"log.txt": b"[" * 100_000}))
    assert not AndroidIntrusionLogs.probe(write_folder(tmp_path / "c", {"a/b/deep.txt": DAY}))
    assert not AndroidIntrusionLogs.probe(AndroidQFBuilder().build_folder(tmp_path))
    assert not AndroidIntrusionLogs.probe(tmp_path / "missing")


def test_android_intrusion_event_line() -> None:
    assert is_event_line(b' {"connect_event": {"port": 443}} ')
    assert not is_event_line(b'{"connect_event": 7}')
    assert not is_event_line(b'{"dns_event": {' + b'"a": {' * 70)
    assert not is_event_line(b"not json")


def test_android_intrusion_refused_member_warned(tmp_path: Path) -> None:
    path = logs_folder(tmp_path)
    (path / "link.txt").symlink_to("/etc/passwd")
    acquisition = AndroidIntrusionLogs(path)
    assert [f.source for f in acquisition.named("**/*.txt")] == ["2026-06-08.txt"]
    acquisition.close()
