"""whatsapp_contacts: ContactsV2.sqlite address book matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import whatsapp_contacts
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import WHATSAPP_CONTACTS_PATH, WHATSAPP_DOMAIN, whatsapp_contacts_db
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

CONTACTS = [
    {"id": 1, "name": "Parcel Service", "phone": "+49 151 12345678", "whatsapp_id": "4915112345678@s.whatsapp.net",
     "about": "Track at parcel-track.com"},
    {"id": 2, "name": "Aunt May", "phone": "07700 900123", "whatsapp_id": None},
]


def _build(tmp_path: Path, data: bytes) -> Path:
    builder = BackupBuilder()
    builder.add_file(WHATSAPP_DOMAIN, WHATSAPP_CONTACTS_PATH, data)
    return builder.build(tmp_path / "backup")


def test_whatsapp_contacts_current(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, whatsapp_contacts_db(CONTACTS)), whatsapp_contacts)
    assert len(records) == 2
    first, second = records
    assert first.timestamp is None
    assert first.message == "WhatsApp contact Parcel Service +49 151 12345678 (on WhatsApp)"
    assert first.fields["whatsapp_id"] == "4915112345678@s.whatsapp.net"
    assert first.fields["about"] == "Track at parcel-track.com"
    assert first.fields["phone_label"] == "mobile"
    assert first.observables == (Observable("phone", "+49 151 12345678"), Observable("phone", "+4915112345678"),
                                 Observable("domain", "parcel-track.com"))
    assert second.message == "WhatsApp contact Aunt May 07700 900123"
    assert second.observables == (Observable("phone", "07700 900123"),)


def test_whatsapp_contacts_2019_schema(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, whatsapp_contacts_db(CONTACTS, variant="2019")), whatsapp_contacts)
    assert len(records) == 2
    assert records[0].fields["about"] is None
    assert records[0].fields["lid"] is None
    assert records[0].observables == (Observable("phone", "+49 151 12345678"), Observable("phone", "+4915112345678"))


def test_whatsapp_contacts_empty(tmp_path: Path) -> None:
    assert run_module(_build(tmp_path, whatsapp_contacts_db([])), whatsapp_contacts) == []


def test_whatsapp_contacts_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"ContactsV2\.sqlite: not a SQLite database$"):
        run_module(_build(tmp_path, b"not a database"), whatsapp_contacts)


def test_whatsapp_contacts_missing(tmp_path: Path) -> None:
    builder = BackupBuilder()
    builder.add_file(WHATSAPP_DOMAIN, "Media/Profile/x.jpg", b"x")
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    assert locate(whatsapp_contacts.ARTIFACT, backup) == []
    backup.close()
