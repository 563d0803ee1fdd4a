from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import _json, android_files
from spyglass.modules.android._json import json_items
from spyglass.records import Observable
from tests.builders.android import AndroidQFBuilder
from tests.builders.androidqf_artifacts import FILES, FILES_FIND, FILES_SIMPLE, as_json, run


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_files_collector_normal(tmp_path, form):
    records = run(android_files, AndroidQFBuilder().add("files.json", as_json(FILES)), tmp_path, form=form)
    collector, download = records
    assert collector.fields == {
        "file_path": "/data/local/tmp/collector", "size": 4190208, "mode": "-rwxr-xr-x", "owner": 2000,
        "group": 2000, "modified": "2024-06-01T10:00:00Z", "accessed": "2024-06-01T10:00:05Z",
        "changed": "2024-06-01T10:00:00Z", "sha256": "aa" * 32, "sha1": None, "md5": None,
        "context": "u:object_r:shell_data_file:s0", "error": None}
    assert collector.timestamp == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert collector.timestamp_desc == "file modified"
    assert collector.observables == (Observable("file_path", "/data/local/tmp/collector"),
                                     Observable("file_name", "collector"), Observable("sha256", "aa" * 32))
    assert (download.fields["owner"], download.fields["group"], download.fields["modified"]) == (
        0, 1015, "2023-11-14T21:56:40Z")


def test_files_find_printf_and_plain_find(tmp_path):
    [su] = run(android_files, AndroidQFBuilder().add("files.json", as_json(FILES_FIND)), tmp_path)
    assert (su.fields["mode"], su.fields["owner"], su.fields["group"], su.fields["modified"], su.fields["accessed"]) == (
        "755", "root", "shell", "2009-01-01T00:00:00Z", None)
    [plain] = run(android_files, AndroidQFBuilder().add("files.json", as_json(FILES_SIMPLE)), tmp_path / "b")
    assert (plain.fields["owner"], plain.fields["mode"], plain.fields["size"], plain.timestamp) == (None, None, 0, None)
    assert plain.timestamp_desc == ""


def test_files_one_object_per_line(tmp_path):
    # Older collectors printed one JSON object per line rather than a list.
    lines = "\n".join(json.dumps(entry) for entry in FILES).encode() + b"\n"
    records = run(android_files, AndroidQFBuilder().add("files.json", lines), tmp_path)
    assert [r.fields["file_path"] for r in records] == ["/data/local/tmp/collector", "/sdcard/Download/update.apk"]


def test_files_empty(tmp_path):
    assert run(android_files, AndroidQFBuilder().add("files.json", b"[]"), tmp_path) == []
    assert run(android_files, AndroidQFBuilder().add("files.json", b" \n"), tmp_path / "b") == []


def test_files_corrupt(tmp_path):
    builder = AndroidQFBuilder().add("files.json", as_json(FILES)[:-30])
    with pytest.raises(EvidenceError, match=r"^files\.json: not valid JSON at character \d+ \(.+\)$"):
        run(android_files, builder, tmp_path)
    builder = AndroidQFBuilder().add("files.json", b'[{"path": "/a"} {"path": "/b"}]')
    with pytest.raises(EvidenceError, match=r"^files\.json: not valid JSON at character 16 \(expected , or \]\)$"):
        run(android_files, builder, tmp_path / "b")
    builder = AndroidQFBuilder().add("files.json", b'[{"path": "/a"},')
    with pytest.raises(EvidenceError, match=r"^files\.json: not valid JSON \(the list is not closed: truncated\?\)$"):
        run(android_files, builder, tmp_path / "c")


def _items(text: str, cut: int) -> list:
    pieces = iter([text[start:start + cut] for start in range(0, len(text), cut)])
    return list(json_items(pieces, "files.json"))


def test_files_streamed_any_cut_between_pieces_reads_the_same():
    # A listing is decoded as it streams, a piece at a time: wherever the pieces are cut (inside a
    # number, a string, an escape, between a value and its comma), the items are the same.
    listed = [{"path": "/sdcard/a\u00e9\\"}, 12345, -1.5e3, "x", None, [1, [2]], {"path": "/b", "size": 7}]
    for text in (json.dumps(listed), "\n".join(json.dumps(item) for item in listed) + "\n",
                 " [ " + " , ".join(json.dumps(item) for item in listed) + " ] trailing"):
        for cut in (1, 2, 3, 7, 50, len(text)):
            assert _items(text, cut) == listed, (text, cut)


def test_files_streamed_past_the_old_whole_file_bound(tmp_path, monkeypatch):
    # files.json was read whole under the text bound: 20x the benchmark's (277 MB) was refused.
    # Streamed, only the bytes are bounded. Here the pieces are made small so that they are many.
    monkeypatch.setattr("spyglass.acquisitions.base.EvidenceFile.text_pieces.__defaults__", (1 << 10,))
    listed = [{"path": f"/sdcard/DCIM/IMG_{number:05d}.jpg", "size": number, "mode": "-rw-rw----",
               "modified_time": 1700000000 + number} for number in range(3000)]
    records = run(android_files, AndroidQFBuilder().add("files.json", as_json(listed)), tmp_path)
    assert [r.fields["size"] for r in records] == list(range(3000))
    assert records[-1].fields["file_path"] == "/sdcard/DCIM/IMG_02999.jpg"


def test_files_streamed_item_over_its_bound_and_damage_mid_file(monkeypatch):
    monkeypatch.setattr(_json, "MAX_LISTING_ITEM_CHARS", 100)
    with pytest.raises(EvidenceError) as caught:
        _items('[{"path": "' + "a" * 500 + '"}]', 10)
    assert str(caught.value) == "files.json: not valid JSON at character 1 (Unterminated string starting at)"
    with pytest.raises(EvidenceError) as caught:
        _items('[{"path": "/a"}, {bad}, ' + '{"path": "/b"}, ' * 50 + "]", 10)
    assert str(caught.value) == "files.json: not valid JSON at character 17 (Expecting property name enclosed in double quotes)"
