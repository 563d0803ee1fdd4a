from __future__ import annotations

from spyglass.heuristics import attachment_var_tmp
from spyglass.modules.ios import sms_attachments
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import add_sms, attachment_rows, run_module
from tests.builders.ios_backup import BackupBuilder


def _check(attachments, joins, tmp_path):
    rows = attachment_rows()
    rows["attachment"] = attachments
    rows["message_attachment_join"] = joins
    builder = BackupBuilder()
    add_sms(builder, 14, rows)
    records = run_module(builder, tmp_path / "b", sms_attachments)
    return list(attachment_var_tmp.check({"sms_attachments": records}))


def _attachment(rowid, filename, outgoing):
    return {"ROWID": rowid, "guid": f"at_{rowid}", "original_guid": f"at_{rowid}", "created_date": 640000000,
            "filename": filename, "is_outgoing": outgoing, "total_bytes": 748}


def test_attachment_var_tmp_received(tmp_path):
    found = _check([_attachment(1, "/private/var/tmp/com.apple.messages/1.gif", 0),
                    _attachment(2, "/var/tmp/x.pdf", 0)],
                   [{"message_id": 2, "attachment_id": 1}, {"message_id": 1, "attachment_id": 2}], tmp_path)
    assert [(d.severity, d.observable) for d in found] == [
        ("high", Observable("file_path", "/private/var/tmp/com.apple.messages/1.gif")),
        ("medium", Observable("file_path", "/var/tmp/x.pdf"))]


def test_attachment_var_tmp_near_miss(tmp_path):
    found = _check([_attachment(1, "/private/var/tmp/outgoing.jpg", 1),
                    _attachment(2, "~/Library/SMS/Attachments/aa/01/X/photo.jpg", 0),
                    _attachment(3, "/private/var/mobile/tmp/file.gif", 0)],
                   [{"message_id": 2, "attachment_id": 1}, {"message_id": 1, "attachment_id": 2},
                    {"message_id": 1, "attachment_id": 3}], tmp_path)
    assert found == []
