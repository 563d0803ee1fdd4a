from __future__ import annotations

from datetime import UTC, datetime

from spyglass.heuristics import datausage_erased
from spyglass.modules.ios import datausage
from tests.builders.ios_artifacts_core import (
    add_datausage,
    datausage_erased_rows,
    datausage_live,
    datausage_process,
    datausage_rows,
    run_module,
)
from tests.builders.ios_backup import BackupBuilder

DAY = datetime(2021, 7, 2, tzinfo=UTC)


def _check(rows, tmp_path):
    builder = BackupBuilder()
    add_datausage(builder, rows)
    records = run_module(builder, tmp_path / "b", datausage)
    return list(datausage_erased.check({"datausage": records}))


def test_datausage_erased_orphan_and_gap(tmp_path):
    found = _check(datausage_erased_rows(), tmp_path)
    assert [(d.severity, d.record.fields["record_type"]) for d in found] == [
        ("high", "live_usage"), ("medium", "process")]
    assert found[0].record.fields["process_id"] == 2
    assert found[0].heuristic == "datausage_erased"
    assert found[1].record.fields["process_id"] == 3
    assert "entry #2 is missing" in found[1].message


def test_datausage_erased_gap_alone_medium(tmp_path):
    rows = datausage_rows()
    rows["ZPROCESS"].append(datausage_process(7, "bh", None, DAY, DAY))
    found = _check(rows, tmp_path)
    assert [d.severity for d in found] == ["medium"]
    assert "#4 to #6" in found[0].message


def test_datausage_erased_near_miss(tmp_path):
    # Contiguous keys, and a usage row with no process link at all (not a deleted process).
    rows = datausage_rows()
    rows["ZLIVEUSAGE"].append(datausage_live(4, None, DAY))
    assert _check(rows, tmp_path) == []
