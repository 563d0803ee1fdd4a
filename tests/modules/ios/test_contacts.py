from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import contacts as module
from spyglass.records import Observable
from tests.builders.ios_artifacts_system import ADDRESS_BOOK_SCHEMA, address_book_db
from tests.builders.sqlite import build_sqlite
from tests.conftest import run_module

DOMAIN, PATH = "HomeDomain", "Library/AddressBook/AddressBook.sqlitedb"

# iOS 9-era ABPerson: no DisplayName or guid-era columns, and ABMultiValue without labels table.
OLD_SCHEMA = """
CREATE TABLE ABPerson (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, First TEXT, Last TEXT, Middle TEXT,
  Organization TEXT, Department TEXT, Note TEXT, Kind INTEGER, Birthday TEXT, JobTitle TEXT,
  Nickname TEXT, Prefix TEXT, Suffix TEXT, CreationDate INTEGER, ModificationDate INTEGER);
CREATE TABLE ABMultiValue (UID INTEGER PRIMARY KEY, record_id INTEGER, property INTEGER,
  identifier INTEGER, label INTEGER, value TEXT);
"""


def test_contacts_normal(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, address_book_db())
    alice, pizza = run_module(builder.build(backup_dir), module)

    assert alice.timestamp == datetime(2022, 5, 4, 9, 0, tzinfo=UTC)
    assert alice.fields["name"] == "Alice Example"
    assert alice.fields["organization"] == "Example Corp"
    assert alice.fields["phones"] == [{"value": "+1 (555) 123-0001", "label": "Mobile"}]
    assert alice.fields["emails"] == [{"value": "Alice@Example.com", "label": "Home"}]
    assert alice.fields["urls"] == [{"value": "https://alice.example.com/", "label": "Work"}]
    assert alice.fields["modification_date"] == "2022-05-05T09:00:00Z"
    assert alice.observables == (Observable("phone", "+1 (555) 123-0001"), Observable("email", "alice@example.com"),
                                 Observable("url", "https://alice.example.com/"))
    assert alice.message == "Contact Alice Example: +1 (555) 123-0001, Alice@Example.com"

    assert pizza.fields["name"] is None
    assert pizza.message == "Contact Pizza Place: +1 555 987 6543"
    assert pizza.observables == (Observable("phone", "+1 555 987 6543"),)


def test_contacts_old_schema(builder, backup_dir):
    builder.ios_version = "9.3.5"
    data = build_sqlite(OLD_SCHEMA, {
        "ABPerson": [{"ROWID": 1, "First": "Old", "Last": "Friend", "CreationDate": 400000000}],
        "ABMultiValue": [{"UID": 1, "record_id": 1, "property": 4, "label": 1, "value": "old@example.org"}],
    })
    builder.add_file(DOMAIN, PATH, data)
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["emails"] == [{"value": "old@example.org", "label": None}]
    assert record.fields["creation_date"] == "2013-09-04T15:06:40Z"
    assert record.observables == (Observable("email", "old@example.org"),)


def test_contacts_empty(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, build_sqlite(ADDRESS_BOOK_SCHEMA))
    assert run_module(builder.build(backup_dir), module) == []


def test_contacts_corrupt(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, b"\x89PNG garbage" * 20)
    with pytest.raises(EvidenceError, match=r"AddressBook\.sqlitedb: not a SQLite database$"):
        run_module(builder.build(backup_dir), module)


def test_contacts_missing(builder, backup_dir):
    assert run_module(builder.build(backup_dir), module) == []
