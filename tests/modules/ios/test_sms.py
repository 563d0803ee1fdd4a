from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import sms
from spyglass.modules.ios.sms import decode_typedstream_text
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import (
    SMS_DOMAIN,
    SMS_PATH,
    add_sms,
    apple_nanoseconds,
    found_files,
    run_module,
    sms_rows,
    typedstream_string,
)
from tests.builders.ios_backup import BackupBuilder


def test_sms_normal(tmp_path):
    builder = BackupBuilder()
    add_sms(builder, 17)
    records = run_module(builder, tmp_path / "b", sms)
    assert len(records) == 2
    received, sent = records
    assert received.timestamp == datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
    assert received.timestamp_desc == "message received"
    assert received.fields["handle"] == "+41791234567"
    assert received.fields["service"] == "SMS"
    assert received.fields["is_from_me"] is False
    assert received.fields["direction"] == "received"
    assert received.fields["date_read"] == "2021-07-01T10:01:00Z"
    assert received.fields["chat_identifier"] == "+41791234567"
    assert received.fields["text_source"] == "text"
    assert received.observables == (
        Observable("phone", "+41791234567"),
        Observable("url", "https://bit-ly.example.com/track?id=42"),
        Observable("phone", "+41797654321"),
    )
    assert sent.timestamp == datetime(2021, 7, 1, 10, 5, tzinfo=UTC)
    assert sent.timestamp_desc == "message sent"
    assert sent.fields["is_from_me"] is True
    assert sent.fields["handle"] == "friend@example.org"
    assert sent.fields["chat_name"] == "Friend"
    assert sent.fields["date_edited"] is None
    assert sent.observables == (Observable("email", "friend@example.org"),)
    assert sent.message == "iMessage to friend@example.org: See you at 5"


def test_sms_ios10_seconds(tmp_path):
    builder = BackupBuilder(ios_version="10.3.3")
    add_sms(builder, 10)
    records = run_module(builder, tmp_path / "b", sms)
    assert [r.timestamp for r in records] == [datetime(2021, 7, 1, 10, 0, tzinfo=UTC),
                                              datetime(2021, 7, 1, 10, 5, tzinfo=UTC)]
    assert records[0].fields["raw_date"] == 646826400
    assert records[0].fields["was_deduplicated"] is False


def test_sms_ios18_attributed_body_and_rcs(tmp_path):
    rows = sms_rows(18)
    moment = datetime(2024, 10, 2, 8, 30, tzinfo=UTC)
    rows["handle"].append({"ROWID": 3, "id": "+15551230000", "service": "RCS"})
    rows["message"].append({
        "ROWID": 3, "guid": "RCS-3", "text": None, "handle_id": 3, "service": "RCS", "is_from_me": 0,
        "attributedBody": typedstream_string("Open https://evil.example.net/a now"),
        "date": apple_nanoseconds(moment), "date_edited": apple_nanoseconds(moment.replace(minute=31)),
    })
    builder = BackupBuilder(ios_version="18.1")
    add_sms(builder, 18, rows)
    records = run_module(builder, tmp_path / "b", sms)
    rcs = records[2]
    assert rcs.fields["text"] == "Open https://evil.example.net/a now"
    assert rcs.fields["text_source"] == "attributedBody"
    assert rcs.fields["service"] == "RCS"
    assert rcs.fields["date_edited"] == "2024-10-02T08:31:00Z"
    assert rcs.timestamp == moment
    assert rcs.observables == (Observable("phone", "+15551230000"),
                               Observable("url", "https://evil.example.net/a"))


def test_sms_typedstream_length_forms():
    long_text = "é" * 200
    assert decode_typedstream_text(typedstream_string("hi")) == "hi"
    assert decode_typedstream_text(typedstream_string("hi", mutable=True)) == "hi"
    assert decode_typedstream_text(typedstream_string(long_text)) == long_text
    assert decode_typedstream_text(typedstream_string(long_text, length_tag=0x81)) == long_text
    assert decode_typedstream_text(typedstream_string(long_text, length_tag=0x82)) == long_text


def test_sms_typedstream_corrupt():
    good = typedstream_string("hello world")
    assert decode_typedstream_text(good[:good.index(b"hello") + 3]) is None   # cut inside the text
    assert decode_typedstream_text(b"garbage" * 10) is None
    assert decode_typedstream_text(b"") is None
    assert decode_typedstream_text(good.replace(b"\x84\x01+", b"\x84\x01i")) is None
    huge = good.replace(b"+\x0bhello", b"+\x82\xff\xff\xff\x7fhello")
    assert decode_typedstream_text(huge) is None
    assert decode_typedstream_text(good.replace(b"hello", b"\xff\xfello")) is None


def test_sms_corrupt_attributed_body_gives_no_text(tmp_path):
    rows = sms_rows(17)
    rows["message"].append({"ROWID": 3, "guid": "x3", "text": None, "handle_id": 1,
                            "attributedBody": b"\x04\x0bstreamtyped\x81\xe8\x03garbage", "date": 1})
    builder = BackupBuilder()
    add_sms(builder, 17, rows)
    record = run_module(builder, tmp_path / "b", sms)[2]
    assert record.fields["text"] is None
    assert record.fields["text_source"] is None
    assert record.observables == (Observable("phone", "+41791234567"),)


def test_sms_empty(tmp_path):
    builder = BackupBuilder()
    add_sms(builder, 17, {})
    assert run_module(builder, tmp_path / "b", sms) == []


def test_sms_corrupt(tmp_path):
    builder = BackupBuilder()
    builder.add_file(SMS_DOMAIN, SMS_PATH, b"SQLite format 3\x00" + b"\x13" * 500)
    with pytest.raises(EvidenceError, match=r"sms\.db: corrupt SQLite database"):
        run_module(builder, tmp_path / "b", sms)


def test_sms_not_sqlite(tmp_path):
    builder = BackupBuilder()
    builder.add_file(SMS_DOMAIN, SMS_PATH, b"garbage bytes, not a database")
    with pytest.raises(EvidenceError, match=r"sms\.db: not a SQLite database$"):
        run_module(builder, tmp_path / "b", sms)


def test_sms_missing(tmp_path):
    assert found_files(BackupBuilder(), tmp_path / "b", sms) == []
