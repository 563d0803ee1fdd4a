from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.android import android_tombstones
from spyglass.records import Observable
from tests.builders.android import AndroidQFBuilder, BugreportBuilder
from tests.builders.androidqf_artifacts import TOMBSTONE_ANDROID9, TOMBSTONE_TEXT, run, tombstone_pb

MEDIA = "/vendor/bin/hw/android.hardware.media.c2@1.2-mediatek"


def test_tombstones_text_normal(tmp_path):
    builder = BugreportBuilder().add("FS/data/tombstones/tombstone_00", TOMBSTONE_TEXT)
    [record] = run(android_tombstones, builder, tmp_path)
    assert record.timestamp == datetime(2023, 4, 12, 10, 32, 40, 518290, tzinfo=UTC)
    assert record.timestamp_desc == "native crash"
    assert record.fields == {
        "process_name": "android.hardware.media.c2@1.2-mediatek", "process_path": MEDIA, "pid": 25541,
        "tid": 21307, "uid": 1046, "thread_name": "mtk.ape.decoder", "signal": "SIGSEGV (11)",
        "signal_code": "SEGV_MAPERR (1)", "cause": "null pointer dereference", "abort_message": None,
        "build_fingerprint": "Redmi/rosemary_global/rosemary:12/SP1A.210812.016/V13.0.13.0.SKLMIXM:user/release-keys",
        "command_line": [MEDIA], "selinux_label": None, "crash_time_raw": "2023-04-12 12:32:40.518290770+0200",
        "form": "text"}
    assert record.observables == (Observable("process", "android.hardware.media.c2@1.2-mediatek"),
                                  Observable("file_path", MEDIA))
    assert record.message == "android.hardware.media.c2@1.2-mediatek crashed with SIGSEGV (11)"


def test_tombstones_android9_without_timestamp(tmp_path):
    builder = AndroidQFBuilder().add("tombstones/tombstone_03", TOMBSTONE_ANDROID9)
    [record] = run(android_tombstones, builder, tmp_path)
    assert record.timestamp is None
    assert (record.fields["process_name"], record.fields["uid"], record.fields["signal"], record.fields["abort_message"]) == (
        "com.example.media", None, "SIGABRT (6)", "Check failed: payload.size() <= bytes_left")
    assert record.observables == (Observable("process", "com.example.media"), Observable("app_id", "com.example.media"))


def test_tombstones_protobuf_android12(tmp_path):
    # Android 12+ writes the text and the .pb of one crash: one record, from the .pb.
    builder = (BugreportBuilder().add("FS/data/tombstones/tombstone_01", TOMBSTONE_TEXT)
               .add("FS/data/tombstones/tombstone_01.pb", tombstone_pb()))
    [record] = run(android_tombstones, builder, tmp_path)
    assert record.timestamp == datetime(2024, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert record.fields == {
        "process_name": "com.spy.agent", "process_path": None, "pid": 4242, "tid": 4242, "uid": 10299,
        "thread_name": "binder:4242_2", "signal": "SIGSEGV (11)", "signal_code": "SEGV_MAPERR (1)",
        "cause": "null pointer dereference", "abort_message": None,
        "build_fingerprint": "google/panther/panther:14/UQ1A.240205.004/11269751:user/release-keys",
        "command_line": ["com.spy.agent"], "selinux_label": "u:r:untrusted_app:s0:c43,c257,c512,c768",
        "crash_time_raw": "2024-06-01 12:00:00.123456789+0200", "form": "protobuf"}
    assert record.observables == (Observable("process", "com.spy.agent"), Observable("app_id", "com.spy.agent"))


def test_tombstones_empty(tmp_path):
    builder = BugreportBuilder().add("FS/data/tombstones/tombstone_00", b"")
    assert run(android_tombstones, builder, tmp_path) == []


def test_tombstones_corrupt(tmp_path):
    builder = BugreportBuilder().add("FS/data/tombstones/tombstone_00", b"garbage\n" * 3)
    with pytest.raises(EvidenceError, match=r"^FS/data/tombstones/tombstone_00: not a tombstone \(no \*\*\* \*\*\* \*\*\* line\)$"):
        run(android_tombstones, builder, tmp_path / "a")
    builder = BugreportBuilder().add("FS/data/tombstones/tombstone_00.pb", tombstone_pb()[:-5])
    with pytest.raises(EvidenceError, match=r"^FS/data/tombstones/tombstone_00\.pb: truncated protobuf \(a field runs past the end\)$"):
        run(android_tombstones, builder, tmp_path / "b")
    builder = BugreportBuilder().add("FS/data/tombstones/tombstone_00.pb", b"\x0f\x00")
    with pytest.raises(EvidenceError, match=r"^FS/data/tombstones/tombstone_00\.pb: not a protobuf \(wire type 7 at byte 1\)$"):
        run(android_tombstones, builder, tmp_path / "c")
