from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import datausage
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import (
    DATAUSAGE_DOMAIN,
    DATAUSAGE_PATH,
    DATAUSAGE_SCHEMA,
    add_datausage,
    datausage_erased_rows,
    datausage_rows,
    found_files,
    run_module,
)
from tests.builders.ios_backup import BackupBuilder


def test_datausage_normal(tmp_path):
    builder = BackupBuilder()
    add_datausage(builder)
    records = run_module(builder, tmp_path / "b", datausage)
    assert len(records) == 6
    safari = records[0]
    assert safari.fields["record_type"] == "process"
    assert safari.fields["process_id"] == 1
    assert safari.fields["process_name"] == "mobilesafari"
    assert safari.fields["bundle_id"] == "com.apple.mobilesafari"
    assert safari.timestamp == datetime(2021, 7, 1, tzinfo=UTC)
    assert safari.fields["last_seen"] == "2021-07-01T09:00:00Z"
    assert safari.observables == (Observable("process", "mobilesafari"),
                                  Observable("app_id", "com.apple.mobilesafari"))
    assert records[1].observables == (Observable("process", "nsurlsessiond"),)
    usage = records[4]
    assert usage.fields["record_type"] == "live_usage"
    assert usage.fields["process_id"] == 2
    assert usage.fields["process_missing"] is False
    assert usage.fields["process_name"] == "nsurlsessiond"
    assert usage.fields["wwan_in"] == 4096.0
    assert usage.fields["wwan_out"] == 512.0
    assert usage.timestamp == datetime(2021, 7, 1, 10, tzinfo=UTC)


def test_datausage_orphaned_usage_still_yielded(tmp_path):
    builder = BackupBuilder()
    add_datausage(builder, datausage_erased_rows())
    records = run_module(builder, tmp_path / "b", datausage)
    assert [r.fields["record_type"] for r in records] == ["process"] * 2 + ["live_usage"] * 3
    orphan = records[3]
    assert orphan.fields["process_id"] == 2
    assert orphan.fields["process_missing"] is True
    assert orphan.fields["process_name"] is None
    assert orphan.observables == ()
    assert orphan.message.startswith("Network use by deleted process #2")


def test_datausage_ios12_zprocess_link_column(tmp_path):
    # Older copies name the link column after the relationship without the "has".
    schema = DATAUSAGE_SCHEMA.replace("ZHASPROCESS INTEGER", "ZPROCESS INTEGER").replace(
        "ON ZLIVEUSAGE (ZHASPROCESS)", "ON ZLIVEUSAGE (ZPROCESS)")
    rows = datausage_rows()
    rows["ZLIVEUSAGE"] = [{**{k: v for k, v in row.items() if k != "ZHASPROCESS"}, "ZPROCESS": row["ZHASPROCESS"]}
                          for row in rows["ZLIVEUSAGE"]]
    builder = BackupBuilder(ios_version="12.5.7")
    add_datausage(builder, rows, schema=schema)
    records = run_module(builder, tmp_path / "b", datausage)
    assert records[5].fields["process_name"] == "WhatsApp"
    assert records[5].observables == (Observable("process", "WhatsApp"), Observable("app_id", "net.whatsapp.WhatsApp"))


def test_datausage_watch_copy_found(tmp_path):
    builder = BackupBuilder()
    add_datausage(builder)
    add_datausage(builder, path="Library/Databases/DataUsage-watch.sqlite")
    assert found_files(builder, tmp_path / "b", datausage) == [
        f"{DATAUSAGE_DOMAIN}/{DATAUSAGE_PATH}", f"{DATAUSAGE_DOMAIN}/Library/Databases/DataUsage-watch.sqlite"]


def test_datausage_empty(tmp_path):
    builder = BackupBuilder()
    add_datausage(builder, {})
    assert run_module(builder, tmp_path / "b", datausage) == []


def test_datausage_corrupt(tmp_path):
    builder = BackupBuilder()
    builder.add_file(DATAUSAGE_DOMAIN, DATAUSAGE_PATH, b"SQLite format 3\x00\xff\xff" + b"\x00" * 90)
    with pytest.raises(EvidenceError, match=r"DataUsage\.sqlite: corrupt SQLite database"):
        run_module(builder, tmp_path / "b", datausage)


def test_datausage_missing(tmp_path):
    assert found_files(BackupBuilder(), tmp_path / "b", datausage) == []
