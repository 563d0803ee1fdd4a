from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import call_history as module
from spyglass.records import Observable
from tests.builders.ios_artifacts_system import CALL_HISTORY_SCHEMA, call_history_db, call_history_db_legacy
from tests.builders.sqlite import build_sqlite
from tests.conftest import run_module

DOMAIN, PATH = "HomeDomain", "Library/CallHistoryDB/CallHistory.storedata"


def test_call_history_normal(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, call_history_db())
    phone, facetime = run_module(builder.build(backup_dir), module)

    assert phone.timestamp == datetime(2023, 2, 1, 18, 30, tzinfo=UTC)
    assert phone.fields["address"] == "+15551230001"          # stored as a blob
    assert phone.fields["direction"] == "outgoing"
    assert phone.fields["answered"] is True
    assert phone.fields["call_type"] == "phone"
    assert phone.fields["duration"] == 62.5
    assert phone.fields["end_date"] == "2023-02-01T18:31:02.500000Z"
    assert phone.fields["service_provider"] == "com.apple.Telephony"
    assert phone.fields["location"] == "California"
    assert phone.observables == (Observable("phone", "+15551230001"), Observable("app_id", "com.apple.Telephony"))
    assert phone.message == "Phone outgoing to +15551230001, 62.5 s"

    assert facetime.fields["call_type"] == "FaceTime audio"
    assert facetime.fields["direction"] == "incoming"
    assert facetime.fields["answered"] is False
    assert facetime.observables == (Observable("email", "friend@icloud.com"), Observable("app_id", "com.apple.FaceTime"))
    assert facetime.message == "Facetime audio incoming from Friend@iCloud.com, 0 s (not answered)"


def test_call_history_legacy_schema(builder, backup_dir):
    builder.ios_version = "9.3.5"
    builder.add_file(DOMAIN, PATH, call_history_db_legacy())
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["address"] == "+4930123456"
    assert record.fields["service_provider"] is None
    assert record.fields["handle_type"] is None
    assert record.fields["date"] == "2023-02-01T18:30:00Z"
    assert record.observables == (Observable("phone", "+4930123456"),)


def test_call_history_empty(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, build_sqlite(CALL_HISTORY_SCHEMA))
    assert run_module(builder.build(backup_dir), module) == []


def test_call_history_corrupt(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, b"not a database at all" * 10)
    with pytest.raises(EvidenceError, match=r"CallHistory\.storedata: not a SQLite database$"):
        run_module(builder.build(backup_dir), module)


def test_call_history_missing(builder, backup_dir):
    assert run_module(builder.build(backup_dir), module) == []
