from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import interaction_c as module
from spyglass.records import Observable
from tests.builders.ios_artifacts_system import (
    INTERACTION_C_IOS14_SCHEMA,
    interaction_c_db_ios14,
    interaction_c_db_ios17,
)
from tests.builders.sqlite import build_sqlite
from tests.conftest import run_module

DOMAIN, PATH = "HomeDomain", "Library/CoreDuet/People/interactionC.db"


def test_interaction_c_ios14_normal(builder, backup_dir):
    builder.ios_version = "14.8"
    builder.add_file(DOMAIN, PATH, interaction_c_db_ios14())
    incoming, outgoing = run_module(builder.build(backup_dir), module)

    assert incoming.timestamp == datetime(2023, 3, 1, 12, 0, tzinfo=UTC)
    assert incoming.fields["bundle_id"] == "com.apple.MobileSMS"
    assert incoming.fields["direction"] == "incoming"
    assert incoming.fields["mechanism"] == 4
    assert incoming.fields["domain_identifier"] == "iMessage;-;+15551230001"
    assert incoming.fields["sender"] == {"identifier": "+15551230001", "display_name": "Alice Example",
                                         "person_id": "A1B2"}
    assert incoming.fields["end_date"] == "2023-03-01T12:00:01Z"
    assert incoming.fields["group_name"] is None
    assert incoming.observables == (Observable("phone", "+15551230001"),
                                    Observable("app_id", "com.apple.MobileSMS"))
    assert incoming.message == "com.apple.MobileSMS incoming from Alice Example (+15551230001)"

    assert outgoing.fields["direction"] == "outgoing"
    assert outgoing.fields["sender"] is None
    assert [r["identifier"] for r in outgoing.fields["recipients"]] == ["mailto:Bob@Example.org", "carol@example.net"]
    assert outgoing.observables == (Observable("email", "bob@example.org"), Observable("email", "carol@example.net"),
                                    Observable("app_id", "com.apple.mobilemail"))


def test_interaction_c_ios17_variant(builder, backup_dir):
    builder.ios_version = "17.4"
    interactions = [
        {"Z_PK": 7, "Z_ENT": 5, "Z_OPT": 1, "ZDIRECTION": 1, "ZMECHANISM": 4, "ZSENDER": None,
         "ZSTARTDATE": 700000000.0, "ZENDDATE": 700000001.0, "ZBUNDLEID": "net.whatsapp.WhatsApp",
         "ZTARGETBUNDLEID": "net.whatsapp.WhatsApp.ShareExtension", "ZGROUPNAME": "Family",
         "ZDERIVEDINTENTIDENTIFIER": "INSendMessageIntent", "recipients": [1, 2]},
    ]
    builder.add_file(DOMAIN, PATH, interaction_c_db_ios17(interactions=interactions))
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["group_name"] == "Family"
    assert record.fields["derived_intent_id"] == "INSendMessageIntent"
    assert record.fields["start_date"] == "2023-03-08T20:26:40Z"
    assert [r["display_name"] for r in record.fields["recipients"]] == ["Alice Example", "Bob"]
    assert record.observables == (Observable("phone", "+15551230001"), Observable("email", "bob@example.org"),
                                  Observable("app_id", "net.whatsapp.WhatsApp"),
                                  Observable("app_id", "net.whatsapp.WhatsApp.ShareExtension"))


def test_interaction_c_empty(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, build_sqlite(INTERACTION_C_IOS14_SCHEMA))
    assert run_module(builder.build(backup_dir), module) == []


def test_interaction_c_corrupt(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(EvidenceError, match=r"interactionC\.db: corrupt SQLite database"):
        run_module(builder.build(backup_dir), module)


def test_interaction_c_missing(builder, backup_dir):
    assert run_module(builder.build(backup_dir), module) == []
