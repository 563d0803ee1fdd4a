from __future__ import annotations

from datetime import UTC, datetime

from spyglass import heuristics
from spyglass.heuristics import netusage_erased
from spyglass.modules.ios import netusage
from tests.builders.ios_netusage import (
    NETUSAGE_PATH,
    dump,
    netusage_db,
    netusage_erased_rows,
    netusage_live,
    netusage_process,
    netusage_rows,
    run_dump,
)

DAY = datetime(2021, 7, 2, tzinfo=UTC)


def _check(rows, tmp_path):
    records, _ = run_dump(dump().add(NETUSAGE_PATH, netusage_db(rows)), tmp_path / "dump", netusage)
    return list(netusage_erased.check({"netusage": records}))


def test_netusage_erased_orphan_and_gap(tmp_path):
    found = _check(netusage_erased_rows(), tmp_path)
    assert [(d.severity, d.record.fields["record_type"], d.heuristic) for d in found] == [
        ("high", "live_usage", "netusage_erased"), ("medium", "process", "netusage_erased")]
    assert found[0].record.fields["process_id"] == 2
    assert found[0].message == ("Network use recorded for process #2, whose process entry was deleted from "
                                "netusage.sqlite: spyware (Pegasus) erased its own entries this way")
    assert found[1].record.fields["process_id"] == 3
    assert found[1].message == ("Process entry #2 is missing from netusage.sqlite (keys are never reused): "
                                "processes were deleted, possibly to hide them")


def test_netusage_erased_gap_alone_medium(tmp_path):
    rows = netusage_rows()
    rows["ZPROCESS"].append(netusage_process(7, "roleaccountd", None, DAY, DAY))
    found = _check(rows, tmp_path)
    assert [d.severity for d in found] == ["medium"]
    assert "#4 to #6 are missing" in found[0].message


def test_netusage_erased_near_miss(tmp_path):
    # Contiguous keys (Pegasus's name alone is for the indicators, not this heuristic), and
    # usage rows with no process link or a zero link: neither points at a deleted process.
    rows = netusage_rows()
    rows["ZLIVEUSAGE"] += [netusage_live(4, None, DAY), netusage_live(5, 0, DAY)]
    assert _check(rows, tmp_path) == []


def test_netusage_erased_reads_only_netusage(tmp_path):
    records, _ = run_dump(dump().add(NETUSAGE_PATH, netusage_db(netusage_erased_rows())), tmp_path / "dump", netusage)
    assert list(netusage_erased.check({"datausage": records})) == []
    names = [h.name for h in heuristics.discover()]
    assert "netusage_erased" in names and "_usage" not in names
