from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import tcc as module
from spyglass.records import Observable
from spyglass.runner import locate, parse_file
from tests.builders.ios_artifacts_system import TCC_SCHEMA_V3, tcc_db_v2, tcc_db_v3
from tests.builders.sqlite import build_sqlite
from tests.conftest import run_module

DOMAIN, PATH = "HomeDomain", "Library/TCC/TCC.db"


def test_tcc_auth_value_schema(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, tcc_db_v3())
    microphone, camera = run_module(builder.build(backup_dir), module)

    assert microphone.timestamp == datetime(2022, 11, 5, 10, 0, tzinfo=UTC)
    assert microphone.fields["service"] == "kTCCServiceMicrophone"
    assert microphone.fields["client"] == "net.whatsapp.WhatsApp"
    assert microphone.fields["client_type"] == "bundle_id"
    assert microphone.fields["decision"] == "allowed"
    assert microphone.fields["auth_reason"] == "user_consent"
    assert microphone.fields["schema"] == "auth_value"
    assert microphone.observables == (Observable("app_id", "net.whatsapp.WhatsApp"),
                                      Observable("process", "net.whatsapp.WhatsApp"))
    assert microphone.message == "Microphone access allowed for net.whatsapp.WhatsApp"

    assert camera.fields["client_type"] == "path"
    assert camera.fields["decision"] == "denied"
    assert camera.fields["auth_reason"] == "system_set"
    assert camera.fields["last_modified"] == "2022-11-05T10:01:00Z"
    assert camera.observables == (Observable("file_path", "/private/var/containers/Bundle/tool"),
                                  Observable("process", "tool"))


def test_tcc_allowed_schema(builder, backup_dir):
    builder.ios_version = "13.7"
    builder.add_file(DOMAIN, PATH, tcc_db_v2())
    (record,) = run_module(builder.build(backup_dir), module)
    assert record.fields["decision"] == "allowed"
    assert record.fields["allowed"] == 1
    assert record.fields["prompt_count"] == 1
    assert record.fields["auth_value"] is None
    assert record.fields["schema"] == "allowed"
    assert record.observables == (Observable("app_id", "com.example.photos"), Observable("process", "com.example.photos"))


def test_tcc_empty(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, build_sqlite(TCC_SCHEMA_V3))
    assert run_module(builder.build(backup_dir), module) == []


def test_tcc_corrupt(builder, backup_dir):
    builder.add_file(DOMAIN, PATH, b"garbage" * 100)
    with pytest.raises(EvidenceError, match=r"TCC\.db: not a SQLite database$"):
        run_module(builder.build(backup_dir), module)


def test_tcc_view_refused(builder, backup_dir):
    schema = "CREATE TABLE real_access (service TEXT, client TEXT, client_type INTEGER);" \
             "CREATE VIEW access AS SELECT * FROM real_access;"
    builder.add_file(DOMAIN, PATH, build_sqlite(schema))
    backup = builder.build(backup_dir)
    with pytest.raises(EvidenceError, match="view"):
        from spyglass.acquisitions.ios_backup import IOSBackup
        opened = IOSBackup(backup)
        (file,) = locate(module.ARTIFACT, opened)
        list(parse_file(module.ARTIFACT, module.parse, file))


def test_tcc_missing(builder, backup_dir):
    assert run_module(builder.build(backup_dir), module) == []
