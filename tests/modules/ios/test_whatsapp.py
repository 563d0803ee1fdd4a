"""whatsapp: messages from ChatStorage.sqlite, with phones from JIDs and links from text."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import whatsapp
from spyglass.modules.ios.whatsapp import jid_phone
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import WHATSAPP_CHAT_PATH, WHATSAPP_DOMAIN, whatsapp_chat_storage_db
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

T0 = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
ATTACKER = "4915112345678@s.whatsapp.net"
GROUP = "120363041234567890@g.us"
SESSIONS = [{"id": 1, "jid": ATTACKER, "name": None}, {"id": 2, "jid": GROUP, "name": "Family", "type": 1}]
MEMBERS = [{"id": 1, "session_id": 2, "jid": "447700900123@s.whatsapp.net", "name": "Aunt May"}]
MESSAGES = [
    {"id": 1, "session_id": 1, "from_me": False, "date": T0, "from_jid": ATTACKER,
     "text": "Your parcel: https://track.evil-cdn.com/p/91 or call +49 151 1234 5678", "push_name": "DHL"},
    {"id": 2, "session_id": 1, "from_me": True, "date": datetime(2021, 7, 1, 10, 5, tzinfo=UTC), "to_jid": ATTACKER,
     "text": "who is this?"},
    {"id": 3, "session_id": 2, "from_me": False, "date": datetime(2021, 7, 1, 11, 0, tzinfo=UTC), "from_jid": GROUP,
     "member_id": 1, "media_id": 1, "type": 1},
]
MEDIA = [{"id": 1, "message_id": 3, "url": "https://mmg.whatsapp.net/d/f/AbC.enc", "local_path": "Media/1/a.jpg",
          "title": None, "size": 52011}]


def _build(tmp_path: Path, data: bytes, domain: str = WHATSAPP_DOMAIN) -> Path:
    builder = BackupBuilder()
    builder.add_file(domain, WHATSAPP_CHAT_PATH, data)
    return builder.build(tmp_path / "backup")


def test_whatsapp_current(tmp_path: Path) -> None:
    data = whatsapp_chat_storage_db(SESSIONS, MESSAGES, MEDIA, MEMBERS)
    records = run_module(_build(tmp_path, data), whatsapp)
    assert len(records) == 3
    received, sent, group = records
    assert received.timestamp == T0
    assert received.timestamp_desc == "message received"
    assert received.message == ("WhatsApp message from DHL: Your parcel: https://track.evil-cdn.com/p/91 "
                                "or call +49 151 1234 5678")
    assert received.fields["from_jid"] == ATTACKER
    assert received.fields["from_me"] is False
    assert received.fields["stanza_id"] == "3EB00000000000000001"
    assert received.observables == (Observable("phone", "+4915112345678"),
                                     Observable("url", "https://track.evil-cdn.com/p/91"))
    assert sent.timestamp_desc == "message sent"
    assert sent.message == "WhatsApp message to +4915112345678: who is this?"
    assert group.message == "WhatsApp message from Aunt May in Family: [media https://mmg.whatsapp.net/d/f/AbC.enc]"
    assert group.fields["is_group"] is True
    assert group.fields["sender_jid"] == "447700900123@s.whatsapp.net"
    assert group.fields["media_local_path"] == "Media/1/a.jpg"
    assert group.fields["media_size"] == 52011
    assert group.observables == (Observable("phone", "+447700900123"),
                                 Observable("url", "https://mmg.whatsapp.net/d/f/AbC.enc"))


def test_whatsapp_2017_schema_business_app(tmp_path: Path) -> None:
    data = whatsapp_chat_storage_db(SESSIONS, MESSAGES, MEDIA, variant="2017")
    records = run_module(_build(tmp_path, data, "AppDomainGroup-group.net.whatsapp.WhatsAppSMB.shared"), whatsapp)
    assert len(records) == 3
    assert records[0].fields["stanza_id"] is None
    assert records[0].fields["sent_date"] is None
    assert records[2].fields["media_url"] is None
    assert records[2].fields["media_local_path"] == "Media/1/a.jpg"
    assert records[2].message == "WhatsApp message from Family"


def test_whatsapp_jid_phone() -> None:
    assert jid_phone("4915112345678@s.whatsapp.net") == "+4915112345678"
    assert jid_phone("4915112345678:12@s.whatsapp.net") == "+4915112345678"
    assert jid_phone(GROUP) is None
    assert jid_phone("status@broadcast") is None
    assert jid_phone("123456789012345@lid") is None
    assert jid_phone(None) is None


def test_whatsapp_empty(tmp_path: Path) -> None:
    assert run_module(_build(tmp_path, whatsapp_chat_storage_db([], [])), whatsapp) == []


def test_whatsapp_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"ChatStorage\.sqlite: not a SQLite database$"):
        run_module(_build(tmp_path, b"\xde\xad\xbe\xef" * 256), whatsapp)


def test_whatsapp_missing(tmp_path: Path) -> None:
    backup = IOSBackup(_build(tmp_path, b"x", "AppDomainGroup-group.com.example.other"))
    assert locate(whatsapp.ARTIFACT, backup) == []
    backup.close()
