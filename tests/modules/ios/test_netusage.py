from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import datausage, netusage
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import add_datausage, run_module
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_netusage import (
    NETUSAGE_DB_PATH,
    NETUSAGE_PATH,
    NETUSAGE_SCHEMA,
    NETUSAGE_SCHEMA_IOS11,
    dump,
    netusage_db,
    netusage_erased_rows,
    netusage_live,
    netusage_rows,
    parse_dump,
    run_dump,
)

DAY = datetime(2021, 7, 1, tzinfo=UTC)


def test_netusage_normal(tmp_path):
    records = parse_dump(dump().add(NETUSAGE_PATH, netusage_db()), tmp_path / "dump", netusage)
    assert [r.fields["record_type"] for r in records] == ["process"] * 3 + ["live_usage"] * 3
    bh = records[1]
    assert bh.fields == {
        "record_type": "process", "process_id": 2, "process_name": "bh", "bundle_id": None,
        "first_seen": "2021-07-01T02:00:00Z", "last_seen": "2021-07-01T03:00:00Z",
        "raw_first_seen": 646797600, "raw_last_seen": 646801200}
    assert bh.timestamp == DAY.replace(hour=2)
    assert bh.observables == (Observable("process", "bh"),)
    assert records[2].observables == (Observable("process", "WhatsApp/net.whatsapp.WhatsApp"),
                                      Observable("process", "WhatsApp"), Observable("app_id", "net.whatsapp.WhatsApp"))
    usage = records[4]
    assert usage.timestamp == DAY.replace(hour=3)
    assert (usage.fields["usage_id"], usage.fields["process_id"], usage.fields["process_missing"]) == (2, 2, False)
    assert (usage.fields["wwan_in"], usage.fields["wwan_out"], usage.fields["wired_in"]) == (4096.0, 512.0, 0.0)
    assert usage.message == "Network use by bh (netusage): Wi-Fi in 0.0 out 0.0, cellular in 4096.0 out 512.0"
    wired = records[5]
    assert (wired.fields["wired_in"], wired.fields["wired_out"]) == (7.0, 8.0)
    assert wired.message.endswith(", wired in 7.0 out 8.0")


def test_netusage_ios11_schema_with_x_counters(tmp_path):
    # iOS 10-11 tables carry ZXIN/ZXOUT too; they are not read, the rest is the same.
    builder = dump("11.4", "15F79").add(NETUSAGE_PATH, netusage_db(schema=NETUSAGE_SCHEMA_IOS11))
    records = parse_dump(builder, tmp_path / "dump", netusage)
    assert len(records) == 6
    assert records[3].fields["wifi_in"] == 1000.0
    assert "x_in" not in records[3].fields


def test_netusage_newer_db_folder_and_link_column_variant(tmp_path):
    # Newer iOS keeps the database under networkd/db/; some copies name the link ZPROCESS.
    schema = NETUSAGE_SCHEMA.replace("ZHASPROCESS INTEGER", "ZPROCESS INTEGER").replace(
        "ON ZLIVEUSAGE (ZHASPROCESS)", "ON ZLIVEUSAGE (ZPROCESS)")
    rows = netusage_rows()
    rows["ZLIVEUSAGE"] = [{**{k: v for k, v in row.items() if k != "ZHASPROCESS"}, "ZPROCESS": row["ZHASPROCESS"]}
                          for row in rows["ZLIVEUSAGE"]]
    builder = dump("17.5.1", "21F90").add(NETUSAGE_DB_PATH, netusage_db(rows, schema))
    records, result = run_dump(builder, tmp_path / "dump", netusage)
    assert result.status == "ok"
    assert result.files == ["/" + NETUSAGE_DB_PATH]
    assert records[5].fields["process_name"] == "WhatsApp/net.whatsapp.WhatsApp"
    assert {r.module for r in records} == {"netusage"}


def test_netusage_both_locations_found(tmp_path):
    builder = dump().add(NETUSAGE_PATH, netusage_db()).add(NETUSAGE_DB_PATH, netusage_db())
    records, result = run_dump(builder, tmp_path / "dump", netusage)
    assert result.files == ["/" + NETUSAGE_PATH, "/" + NETUSAGE_DB_PATH]
    assert len(records) == 12


def test_netusage_orphaned_usage_still_yielded(tmp_path):
    records = parse_dump(dump().add(NETUSAGE_PATH, netusage_db(netusage_erased_rows())), tmp_path / "dump", netusage)
    assert [r.fields["record_type"] for r in records] == ["process"] * 2 + ["live_usage"] * 3
    orphan = records[3]
    assert (orphan.fields["process_id"], orphan.fields["process_missing"], orphan.fields["process_name"]) == (2, True, None)
    assert orphan.observables == ()
    assert orphan.message.startswith("Network use by deleted process #2 (netusage)")


def test_netusage_unlinked_usage_not_missing(tmp_path):
    rows = netusage_rows()
    rows["ZLIVEUSAGE"].append(netusage_live(4, None, DAY))
    records = parse_dump(dump().add(NETUSAGE_PATH, netusage_db(rows)), tmp_path / "dump", netusage)
    assert (records[-1].fields["process_missing"], records[-1].message[:27]) == (False, "Network use by no process (")


def test_netusage_same_shape_as_datausage(tmp_path):
    # One heuristic reads both: every field datausage names, netusage names too.
    backup = BackupBuilder()
    add_datausage(backup)
    data_records = run_module(backup, tmp_path / "b", datausage)
    net_records = parse_dump(dump().add(NETUSAGE_PATH, netusage_db()), tmp_path / "dump", netusage)
    for kind in ("process", "live_usage"):
        data_fields = next(set(r.fields) for r in data_records if r.fields["record_type"] == kind)
        net_fields = next(set(r.fields) for r in net_records if r.fields["record_type"] == kind)
        assert data_fields <= net_fields
        assert net_fields - data_fields == (set() if kind == "process" else {"wired_in", "wired_out"})


def test_netusage_empty(tmp_path):
    assert parse_dump(dump().add(NETUSAGE_PATH, netusage_db({})), tmp_path / "dump", netusage) == []


def test_netusage_corrupt(tmp_path):
    builder = dump().add(NETUSAGE_PATH, b"SQLite format 3\x00\xff\xff" + b"\x00" * 90)
    with pytest.raises(EvidenceError, match=r"netusage\.sqlite: corrupt SQLite database"):
        parse_dump(builder, tmp_path / "dump", netusage)


def test_netusage_missing_table(tmp_path):
    schema = NETUSAGE_SCHEMA.split("CREATE TABLE ZPROCESS")[0]   # ZLIVEUSAGE alone
    builder = dump().add(NETUSAGE_PATH, netusage_db({}, schema))
    with pytest.raises(EvidenceError, match=r"netusage\.sqlite: table 'ZPROCESS' is missing"):
        parse_dump(builder, tmp_path / "dump", netusage)


def test_netusage_absent(tmp_path):
    records, result = run_dump(dump(), tmp_path / "dump", netusage)
    assert (records, result.status) == ([], "not present")
