from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import idstatuscache
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import (
    IDSTATUS_DOMAIN,
    IDSTATUS_PATH_IOS14,
    IDSTATUS_PATH_IOS15,
    add_idstatus_cache,
    found_files,
    run_module,
)
from tests.builders.ios_backup import BackupBuilder


def test_idstatuscache_normal(tmp_path):
    builder = BackupBuilder()
    add_idstatus_cache(builder, ios_major=17)
    records = run_module(builder, tmp_path / "b", idstatuscache)
    assert len(records) == 3
    email, phone, crafted = records
    assert email.timestamp == datetime(2021, 6, 30, 8, 0, tzinfo=UTC)
    assert email.fields["service"] == "com.apple.madrid"
    assert email.fields["account"] == "mailto:friend@example.org"
    assert email.fields["account_type"] == "email"
    assert email.fields["id_status"] == 1
    assert email.fields["id_status_name"] == "reachable"
    assert email.fields["has_nul"] is False
    assert email.observables == (Observable("email", "friend@example.org"),)
    assert phone.fields["account_type"] == "phone"
    assert phone.fields["id_status_name"] == "not reachable"
    assert phone.timestamp == datetime(2021, 6, 30, 8, 1, tzinfo=UTC)
    assert phone.observables == (Observable("phone", "+41791234567"),)
    assert crafted.fields["account"] == "mailto:bogus\\x00account@example.net"
    assert crafted.fields["has_nul"] is True
    assert crafted.fields["has_control_chars"] is True
    assert crafted.fields["address"] == "bogusaccount@example.net"
    assert crafted.observables == (Observable("email", "bogusaccount@example.net"),)


def test_idstatuscache_ios14_location_and_date_values(tmp_path):
    builder = BackupBuilder(ios_version="14.8")
    add_idstatus_cache(builder, {"com.apple.ess": {
        "tel:+15550001111": {"IDStatus": 1, "LookupDate": datetime(2020, 1, 2, 3, 4, 5)}}}, ios_major=14)
    [record] = run_module(builder, tmp_path / "b", idstatuscache)
    assert record.timestamp == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert record.fields["service"] == "com.apple.ess"
    assert found_files(builder, tmp_path / "c", idstatuscache) == [f"{IDSTATUS_DOMAIN}/{IDSTATUS_PATH_IOS14}"]


def test_idstatuscache_empty(tmp_path):
    builder = BackupBuilder()
    add_idstatus_cache(builder, {})
    assert run_module(builder, tmp_path / "b", idstatuscache) == []


def test_idstatuscache_corrupt(tmp_path):
    builder = BackupBuilder()
    builder.add_file(IDSTATUS_DOMAIN, IDSTATUS_PATH_IOS15, b"bplist00\xde\xad\xbe\xef")
    with pytest.raises(EvidenceError, match=r"idstatuscache\.plist: not a valid plist"):
        run_module(builder, tmp_path / "b", idstatuscache)


def test_idstatuscache_not_a_dictionary(tmp_path):
    builder = BackupBuilder()
    builder.add_plist(IDSTATUS_DOMAIN, IDSTATUS_PATH_IOS15, ["a", "list"])
    with pytest.raises(EvidenceError, match=r"idstatuscache\.plist: expected a dictionary of services$"):
        run_module(builder, tmp_path / "b", idstatuscache)


def test_idstatuscache_missing(tmp_path):
    assert found_files(BackupBuilder(), tmp_path / "b", idstatuscache) == []
