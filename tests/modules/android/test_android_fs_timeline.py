from __future__ import annotations

from pathlib import Path

from spyglass.acquisitions import open_acquisition
from spyglass.modules.android import android_fs_timeline
from spyglass.runner import locate, parse_file
from tests.builders.android import BugreportBuilder


def run(path: Path) -> list:
    acquisition = open_acquisition(path)
    return [r for t in locate(android_fs_timeline.ARTIFACT, acquisition)
            for r in parse_file(android_fs_timeline.ARTIFACT, android_fs_timeline.parse, t)]


def test_android_fs_timeline_lists_copied_files(tmp_path: Path) -> None:
    builder = BugreportBuilder().add("FS/data/tombstones/tombstone_00", b"*** ***").add("FS/data/anr/anr_1", b"x")
    records = run(builder.build_zip(tmp_path))
    assert [(r.fields["device_path"], r.fields["size"], r.fields["modified"]) for r in records] == [
        ("/data/anr/anr_1", 1, "2021-07-01T10:00:00Z"), ("/data/tombstones/tombstone_00", 7, "2021-07-01T10:00:00Z")]
    assert [o.value for o in records[1].observables] == ["/data/tombstones/tombstone_00", "tombstone_00"]


def test_android_fs_timeline_none_without_fs_tree(tmp_path: Path) -> None:
    assert run(BugreportBuilder().build_zip(tmp_path)) == []
