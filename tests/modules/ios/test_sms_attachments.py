from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass import runner
from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError, NotPresent
from spyglass.modules import Module
from spyglass.modules.ios import sms_attachments
from spyglass.records import Observable
from spyglass.runner import ModuleResult
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
    with pytest.raises(EvidenceError, match=r"sms\.db: not a SQLite database$"):
        run_module(builder, tmp_path / "b", sms_attachments)


def run_through_runner(builder: BackupBuilder, root) -> tuple[ModuleResult, list]:
    backup = IOSBackup(builder.build(root))
    try:
        module = Module(sms_attachments.ARTIFACT, sms_attachments.parse, sms_attachments)
        result = ModuleResult(module.name, module.artifact.description)
        return result, list(runner.run_module(module, backup, result))
    finally:
        backup.close()


def test_sms_attachments_no_attachment_table_is_not_present(tmp_path):
    # An sms.db without an `attachment` table has no attachments artifact: not present, not error.
    builder = BackupBuilder()
    builder.add_sqlite(SMS_DOMAIN, SMS_PATH, "CREATE TABLE message (ROWID INTEGER PRIMARY KEY);")
    result, records = run_through_runner(builder, tmp_path / "b")
    assert (result.status, records, result.files, result.errors) == ("not present", [], [], [])


def test_sms_attachments_no_attachment_table_raises_not_present(tmp_path):
    builder = BackupBuilder()
    builder.add_sqlite(SMS_DOMAIN, SMS_PATH, "CREATE TABLE message (ROWID INTEGER PRIMARY KEY);")
    with pytest.raises(NotPresent, match=r"sms\.db: no attachment table$"):
        run_module(builder, tmp_path / "b", sms_attachments)


def test_sms_attachments_missing_join_table(tmp_path):
    builder = BackupBuilder()
    builder.add_sqlite(SMS_DOMAIN, SMS_PATH, "CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY, filename TEXT);")
    with pytest.raises(EvidenceError, match=r"sms\.db: table 'message_attachment_join' is missing$"):
        run_module(builder, tmp_path / "b", sms_attachments)
    result, _ = run_through_runner(builder, tmp_path / "r")
    assert result.status == "error"


def test_sms_attachments_view_refused_not_hidden(tmp_path):
    # A view named `attachment` is refused as before, never taken for "no attachments".
    builder = BackupBuilder()
    builder.add_sqlite(SMS_DOMAIN, SMS_PATH,
                       "CREATE TABLE real (ROWID INTEGER PRIMARY KEY, filename TEXT);"
                       "CREATE VIEW attachment AS SELECT * FROM real;")
    with pytest.raises(EvidenceError, match=r"sms\.db: 'attachment' is a view, not a table; refused$"):
        run_module(builder, tmp_path / "b", sms_attachments)


def test_sms_attachments_missing(tmp_path):
    assert found_files(BackupBuilder(), tmp_path / "b", sms_attachments) == []
