from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import calendar as module
from spyglass.records import Observable
from tests.builders.ios_artifacts_system import (
    CALENDAR_SCHEMA,
    apple_seconds,
    calendar_db,
    calendar_db_legacy,
)
from tests.builders.sqlite import build_sqlite
from tests.conftest import run_module

DOMAIN, PATH = "HomeDomain", "Library/Calendar/Calendar.sqlitedb"


def test_calendar_normal(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, calendar_db())
    meeting, dentist = run_module(builder.build(backup_dir), module)

    assert meeting.timestamp == datetime(2023, 3, 27, 15, 0, tzinfo=UTC)
    assert meeting.timestamp_desc == "calendar item created"
    assert meeting.fields["summary"] == "Team sync"
    assert meeting.fields["start_date"] == "2023-04-03T15:00:00Z"
    assert meeting.fields["end_date"] == "2023-04-03T16:00:00Z"
    assert meeting.fields["calendar_title"] == "Home"
    assert meeting.fields["calendar_store"] == "iCloud"
    assert meeting.fields["has_attendees"] is True
    assert meeting.fields["hidden"] is False
    assert meeting.fields["organizer"] == {"email": "organizer@example.org", "phone": None, "type": 1,
                                           "status": 0, "role": 0, "is_self": False}
    assert [a["email"] for a in meeting.fields["attendees"]] == ["me@example.com", "guest@example.net"]
    assert [a["is_self"] for a in meeting.fields["attendees"]] == [True, False]
    assert meeting.observables == (
        Observable("email", "organizer@example.org"), Observable("email", "me@example.com"),
        Observable("email", "guest@example.net"), Observable("url", "https://docs.example.com/agenda"))
    assert meeting.message == ("Calendar event 'Team sync' on 2023-04-03T15:00:00Z, "
                               "invitation from organizer@example.org")

    assert dentist.fields["organizer"] is None
    assert dentist.fields["attendees"] == []
    assert dentist.fields["url"] == "https://dentist.example/"
    assert dentist.observables == (Observable("url", "https://dentist.example/"),)


def test_calendar_legacy_schema(builder, backup_dir):
    builder.ios_version = "12.5.7"
    start = apple_seconds(datetime(2021, 8, 1, 10, 0, tzinfo=UTC))
    items = [{"ROWID": 1, "summary": "Meeting", "description": "Notes", "start_date": start,
              "end_date": start + 3600, "calendar_id": 1, "organizer_id": 1, "hidden": 1, "has_attendees": 1,
              "creation_date": start + 30 * 86400}]
    participants = [{"ROWID": 1, "entity_type": 8, "owner_id": 1, "email": "x@icloud.com", "is_self": 0}]
    builder.add_file(DOMAIN, PATH, calendar_db_legacy(items, participants))
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["hidden"] is True
    assert record.fields["creation_date"] == "2021-08-31T10:00:00Z"
    assert record.fields["organizer"]["email"] == "x@icloud.com"
    assert record.fields["organizer"]["phone"] is None
    assert record.fields["conference_url"] is None
    assert record.observables == (Observable("email", "x@icloud.com"),)


def test_calendar_no_creation_date_uses_start(builder, backup_dir):
    items = [{"ROWID": 1, "summary": "Call", "start_date": 700000000.0, "calendar_id": 1}]
    builder.add_file(DOMAIN, PATH, calendar_db(items, []))
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.timestamp_desc == "event starts"
    assert record.timestamp == datetime(2023, 3, 8, 20, 26, 40, tzinfo=UTC)


def test_calendar_empty(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, build_sqlite(CALENDAR_SCHEMA))
    assert run_module(builder.build(backup_dir), module) == []


def test_calendar_corrupt(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, b"\x00" * 512)
    with pytest.raises(EvidenceError, match=r"Calendar\.sqlitedb: not a SQLite database$"):
        run_module(builder.build(backup_dir), module)


def test_calendar_missing(builder, backup_dir):
    assert run_module(builder.build(backup_dir), module) == []
