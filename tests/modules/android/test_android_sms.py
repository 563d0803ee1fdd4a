"""android_sms: SMS and text MMS from the telephony provider's backup, in an .ab (plain,
deflated, encrypted) and in androidqf's backup.ab."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions import open_acquisition
from spyglass.acquisitions.android_backup import AndroidBackup
from spyglass.errors import EvidenceError
from spyglass.modules import Module
from spyglass.modules.android import android_sms
from spyglass.records import Observable, Record
from spyglass.runner import ModuleResult, locate, parse_file, run_module
from spyglass.secrets import Secrets
from tests.builders.android import AndroidQFBuilder, android_backup
from tests.builders.android_sms import MMS, MMS_MEMBER, SMS, SMS_MEMBER, message_backup

MODULE = Module(android_sms.ARTIFACT, android_sms.parse, android_sms)


def _records(acquisition) -> list[Record]:
    try:
        return [r for f in locate(android_sms.ARTIFACT, acquisition)
                for r in parse_file(android_sms.ARTIFACT, android_sms.parse, f)]
    finally:
        acquisition.close()


def _ab(tmp_path: Path, files: dict[str, bytes], **options) -> Path:
    path = tmp_path / "backup.ab"
    path.write_bytes(android_backup(files, **options))
    return path


def _secrets(tmp_path: Path, password: str) -> Secrets:
    file = tmp_path / "password.txt"
    file.write_text(password)
    return Secrets(password_file=file, environ={}, interactive=False)


def _check_messages(records: list[Record], member_field: str | None = None) -> None:
    assert len(records) == 3
    received, sent, mms = records
    assert received.timestamp == datetime(2024, 7, 1, 10, 0, tzinfo=UTC)
    assert received.timestamp_desc == "SMS received"
    assert received.message == "SMS from +1 415 555 0123: Your parcel is held: https://track-parcel.example.org/x?id=7 now"
    assert received.fields["message_type"] == "sms"
    assert received.fields["address"] == "+1 415 555 0123"
    assert received.fields["direction"] == "received"
    assert received.fields["box"] == "inbox"
    assert received.fields["date"] == "2024-07-01T10:00:00Z"
    assert received.fields["date_sent"] == "2024-07-01T09:59:55Z"
    assert received.fields["self_phone"] == "+14155550100"
    assert received.fields["member"] == member_field
    assert received.observables == (Observable("phone", "+1 415 555 0123"),
                                    Observable("url", "https://track-parcel.example.org/x?id=7"))
    assert sent.fields["direction"] == "sent"
    assert sent.fields["date_sent"] is None
    assert sent.message == "SMS to +14155550123: ok thanks"
    assert sent.observables == (Observable("phone", "+14155550123"),)
    # MMS dates are seconds, not milliseconds; the other party of a received one is its sender.
    assert mms.timestamp == datetime(2024, 7, 1, 10, 2, tzinfo=UTC)
    assert mms.fields["message_type"] == "mms"
    assert mms.fields["address"] == "+14155550199"
    assert mms.fields["direction"] == "received"
    assert mms.fields["subject"] == "Photos"
    assert mms.fields["addresses"] == [{"address": "+14155550199", "role": "from"},
                                       {"address": "+14155550100", "role": "to"}]
    assert mms.observables == (Observable("phone", "+14155550199"), Observable("phone", "+14155550100"),
                               Observable("url", "http://mms.carrier.example.net/servlets/NOK5BB"),
                               Observable("domain", "evil-domain.com"))


FILES = {SMS_MEMBER: message_backup(SMS), MMS_MEMBER: message_backup(MMS)}


@pytest.mark.parametrize("compressed", [True, False])
def test_android_sms_backup(tmp_path: Path, compressed: bool) -> None:
    records = _records(AndroidBackup(_ab(tmp_path, FILES, compressed=compressed)))
    _check_messages(records)


def test_android_sms_encrypted_backup(tmp_path: Path) -> None:
    path = _ab(tmp_path, FILES, password="s3cret", rounds=1000)
    records = _records(open_acquisition(path, secrets=_secrets(tmp_path, "s3cret")))
    _check_messages(records)


def test_android_sms_androidqf_backup_ab(tmp_path: Path) -> None:
    builder = AndroidQFBuilder().add("backup.ab", android_backup({"apps/com.android.providers.telephony/_manifest": b"x",
                                                                  **FILES}))
    acquisition = open_acquisition(builder.build_folder(tmp_path))
    records = _records(acquisition)
    _check_messages(records, member_field=SMS_MEMBER)
    assert records[2].fields["member"] == MMS_MEMBER


def test_android_sms_androidqf_encrypted_backup_ab(tmp_path: Path) -> None:
    builder = AndroidQFBuilder().add("backup.ab", android_backup(FILES, password="s3cret", rounds=1000))
    folder = builder.build_folder(tmp_path)
    # Without its password the messages are not read, and the acquisition says so.
    acquisition = open_acquisition(folder, secrets=Secrets(environ={}, interactive=False))
    result = ModuleResult("android_sms", "")
    assert list(run_module(MODULE, acquisition, result)) == []
    assert result.status == "not present"
    assert acquisition.warnings == ["backup.ab: backup is encrypted: give --password-file, --key-file or "
                                    "SPYGLASS_BACKUP_PASSWORD; the messages in it were not read"]
    acquisition.close()
    # With it, they are.
    _check_messages(_records(open_acquisition(folder, secrets=_secrets(tmp_path, "s3cret"))), member_field=SMS_MEMBER)


def test_android_sms_old_sms_without_type(tmp_path: Path) -> None:
    # A message without a type (or an unknown one) has no direction rather than a guessed one.
    entry = {"address": "BANK", "body": "code 1234", "date": 1719828000000, "type": 9}
    [record] = _records(AndroidBackup(_ab(tmp_path, {SMS_MEMBER: message_backup([entry])})))
    assert record.fields["direction"] is None
    assert record.timestamp_desc == "SMS date"
    assert record.message == "SMS with BANK: code 1234"
    assert record.observables == ()   # an alphanumeric sender id is no phone number


def test_android_sms_empty_list(tmp_path: Path) -> None:
    acquisition = AndroidBackup(_ab(tmp_path, {SMS_MEMBER: message_backup([])}))
    result = ModuleResult("android_sms", "")
    assert list(run_module(MODULE, acquisition, result)) == []
    assert (result.status, result.files, result.errors) == ("ok", [SMS_MEMBER], [])


def test_android_sms_corrupt_json(tmp_path: Path) -> None:
    acquisition = AndroidBackup(_ab(tmp_path, {SMS_MEMBER: zlib.compress(b'[{"address": "+1555')}))
    [file] = locate(android_sms.ARTIFACT, acquisition)
    with pytest.raises(EvidenceError, match=rf"^{SMS_MEMBER}: the message list is not valid JSON \(Unterminated string"):
        list(android_sms.parse(file))


def test_android_sms_corrupt_deflate(tmp_path: Path) -> None:
    acquisition = AndroidBackup(_ab(tmp_path, {SMS_MEMBER: b"not deflated at all"}))
    [file] = locate(android_sms.ARTIFACT, acquisition)
    with pytest.raises(EvidenceError, match=rf"^{SMS_MEMBER}: not a deflated message backup \(Error -3"):
        list(android_sms.parse(file))


def test_android_sms_truncated_deflate(tmp_path: Path) -> None:
    acquisition = AndroidBackup(_ab(tmp_path, {SMS_MEMBER: message_backup(SMS)[:-10]}))
    [file] = locate(android_sms.ARTIFACT, acquisition)
    with pytest.raises(EvidenceError, match=rf"^{SMS_MEMBER}: the deflated message backup is cut short$"):
        list(android_sms.parse(file))


def test_android_sms_not_a_list_and_too_deep(tmp_path: Path) -> None:
    files = {SMS_MEMBER: message_backup({"address": "x"}), MMS_MEMBER: zlib.compress(b"[" * 100_000)}
    acquisition = AndroidBackup(_ab(tmp_path, files))
    sms_file, mms_file = sorted(locate(android_sms.ARTIFACT, acquisition), key=lambda f: f.source)
    with pytest.raises(EvidenceError, match=rf"^{SMS_MEMBER}: the message backup is JSON but not a list$"):
        list(android_sms.parse(sms_file))
    with pytest.raises(EvidenceError, match=rf"^{MMS_MEMBER}: the message list nests 100000 deep, over the bound of 8$"):
        list(android_sms.parse(mms_file))


def test_android_sms_hostile_values_ignored(tmp_path: Path) -> None:
    entry = {"address": ["+1"], "body": {"x": 1}, "date": "soon", "type": True, "mms": None}
    data = message_backup([entry, "not a message", 7])
    [record] = _records(AndroidBackup(_ab(tmp_path, {SMS_MEMBER: data})))
    assert (record.fields["address"], record.fields["body"], record.timestamp) == (None, None, None)
    assert json.dumps(record.fields)
