from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import sms_attachments
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import (
    SMS_DOMAIN,
    SMS_PATH,
    add_sms,
    apple_seconds,
    attachment_rows,
    found_files,
    run_module,
)
from tests.builders.ios_backup import BackupBuilder


def test_sms_attachments_normal(tmp_path):
    builder = BackupBuilder()
    add_sms(builder, 17, attachment_rows())
    records = run_module(builder, tmp_path / "b", sms_attachments)
    assert len(records) == 2
    photo, pdf = records
    assert photo.timestamp == datetime(2021, 7, 1, 10, 0, 3, tzinfo=UTC)
    assert photo.fields["filename"] == "~/Library/SMS/Attachments/4f/15/8A1B7B1E-0001/IMG_0001.HEIC"
    assert photo.fields["device_path"] == "/private/var/mobile/Library/SMS/Attachments/4f/15/8A1B7B1E-0001/IMG_0001.HEIC"
    assert photo.fields["mime_type"] == "image/heic"
    assert photo.fields["total_bytes"] == 1843200
    assert photo.fields["is_outgoing"] is False
    assert photo.fields["handle"] == "+41791234567"
    assert photo.fields["service"] == "SMS"
    assert photo.fields["message_id"] == 1
    assert photo.fields["message_date"] == "2021-07-01T10:00:00Z"
    assert photo.observables == (
        Observable("file_path", "~/Library/SMS/Attachments/4f/15/8A1B7B1E-0001/IMG_0001.HEIC"),
        Observable("file_path", "/private/var/mobile/Library/SMS/Attachments/4f/15/8A1B7B1E-0001/IMG_0001.HEIC"),
        Observable("file_name", "IMG_0001.HEIC"),
        Observable("phone", "+41791234567"),
    )
    assert pdf.fields["is_outgoing"] is True
    assert pdf.fields["direction"] == "sent"
    assert pdf.fields["handle"] == "friend@example.org"


def test_sms_attachments_ios14_var_tmp(tmp_path):
    rows = attachment_rows()
    rows["attachment"] = [{
        "ROWID": 7, "guid": "at_7", "original_guid": "at_7",
        "created_date": int(apple_seconds(datetime(2021, 3, 2, 1, 2, 3, tzinfo=UTC))),
        "filename": "/private/var/tmp/com.apple.messages/ABC/1.gif", "mime_type": None,
        "transfer_name": None, "total_bytes": 748, "is_outgoing": 0}]
    rows["message_attachment_join"] = [{"message_id": 2, "attachment_id": 7}]
    builder = BackupBuilder(ios_version="14.6")
    add_sms(builder, 14, rows)
    [record] = run_module(builder, tmp_path / "b", sms_attachments)
    assert record.timestamp == datetime(2021, 3, 2, 1, 2, 3, tzinfo=UTC)
    assert record.fields["device_path"] == "/private/var/tmp/com.apple.messages/ABC/1.gif"
    assert record.fields["transfer_name"] is None
    assert record.fields["service"] == "iMessage"
    assert record.observables[:2] == (Observable("file_path", "/private/var/tmp/com.apple.messages/ABC/1.gif"),
                                      Observable("file_name", "1.gif"))


def test_sms_attachments_empty(tmp_path):
    builder = BackupBuilder()
    add_sms(builder, 18, {})
    assert run_module(builder, tmp_path / "b", sms_attachments) == []


def test_sms_attachments_corrupt(tmp_path):
    builder = BackupBuilder()
    builder.add_file(SMS_DOMAIN, SMS_PATH, b"\x00garbage" * 64)
    with pytest.raises(EvidenceError):
        run_module(builder, tmp_path / "b", sms_attachments)


def test_sms_attachments_missing_table(tmp_path):
    builder = BackupBuilder()
    builder.add_sqlite(SMS_DOMAIN, SMS_PATH, "CREATE TABLE message (ROWID INTEGER PRIMARY KEY);")
    with pytest.raises(EvidenceError):
        run_module(builder, tmp_path / "b", sms_attachments)


def test_sms_attachments_missing(tmp_path):
    assert found_files(BackupBuilder(), tmp_path / "b", sms_attachments) == []
