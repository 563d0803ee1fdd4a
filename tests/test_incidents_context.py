"""Context of an incident (spyglass/context.py): the records of every module around it, from a
real check of a built backup; `spyglass report CASE --incident N`."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from spyglass.check import check
from spyglass.cli import main
from spyglass.context import context, find_incident
from spyglass.errors import SpyglassError
from spyglass.indicators import IndicatorIndex, load_paths
from tests.builders.leads import leads_backup, leads_feed


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("context")
    feed = leads_feed(root / "feed.stix2")
    check(leads_backup(root), root / "case", [], IndicatorIndex(load_paths([feed])))
    return root / "case"


def shape(rows: list[dict]) -> list[tuple]:
    return [(r["time"], r["module"], r["timestamp_desc"], r["message"][:40], bool(r["findings"])) for r in rows]


SAFARI = [
    ("2023-03-14T09:30:00Z", "safari_history", "visited", "Visited https://exploit.badsite.example/", True),
    ("2023-03-14T09:30:30Z", "safari_history", "visited", "Visited https://payload-next.example/sta", False),
    ("2023-03-14T09:30:40Z", "safari_history", "visited", "Visited https://www.apple.com/", False),
    ("2023-03-14T09:30:50Z", "safari_history", "visited", "Visited https://exploit.badsite.example/", True),
]


def test_context_rows_of_every_module_sorted(case: Path) -> None:
    found = context(case, 1)
    # A process's first and last use on one moment are one row (reports/timesketch.record_times).
    assert (found.total, found.left_out, found.margin) == (10, 0, timedelta(minutes=5))
    assert found.to_dict()["from"] == "2023-03-14T09:25:00Z" and found.to_dict()["to"] == "2023-03-14T09:37:00Z"
    assert shape(found.rows)[:4] == SAFARI
    assert [(r["time"], r["timestamp_desc"], r["message"][:24]) for r in found.rows[4:]] == [
        ("2023-03-14T09:31:00Z", "network use recorded", "Network use by mobilesaf"),
        ("2023-03-14T09:31:00Z", "network use recorded", "Network use by stage2d: "),
        ("2023-03-14T09:31:00Z", "process first used the network; process last used the network", "Process mobilesafari (co"),
        ("2023-03-14T09:31:00Z", "process first used the network; process last used the network", "Process stage2d (no bund"),
        ("2023-03-14T09:32:00Z", "network use recorded", "Network use by bh: Wi-Fi"),
        ("2023-03-14T09:32:00Z", "process first used the network; process last used the network", "Process bh (no bundle) u"),
    ]
    # the rows of findings name them by their incidents.json ids
    incident = json.loads((case / "incidents.json").read_text())["incidents"][0]
    named = {f for r in found.rows for f in r["findings"]}
    assert set(incident["findings"]) <= named
    assert found.rows[0]["observables"] == [{"type": "url", "value": "https://exploit.badsite.example/x/91"}]
    # a week earlier is not in the context
    assert not [r for r in found.rows if "week-before" in r["message"]]


def test_context_margin_and_bound(case: Path) -> None:
    wide = context(case, "incident-1", timedelta(days=8))
    assert wide.total == 11 and wide.rows[0]["message"] == "Visited https://week-before.example/"
    assert shape(context(case, "1", timedelta(0)).rows)[:4] == SAFARI
    bounded = context(case, 1, limit=3)
    # findings first (all in the span), then the nearest: the earliest-sorted of the findings' rows
    assert (bounded.total, bounded.left_out, len(bounded.rows)) == (10, 7, 3)
    assert all(r["findings"] for r in bounded.rows)
    assert [r["time"] for r in bounded.rows] == sorted(r["time"] for r in bounded.rows)


def test_context_deterministic(case: Path) -> None:
    assert context(case, 1).to_dict() == context(case, 1).to_dict()


def test_context_unknown_incident_and_negative_margin(case: Path) -> None:
    document = json.loads((case / "incidents.json").read_text())
    with pytest.raises(SpyglassError, match=r"no incident 9: this case has 1 incident \(1 to 1"):
        find_incident(document, 9)
    with pytest.raises(SpyglassError, match="no incident incident-7"):
        context(case, "incident-7")
    with pytest.raises(SpyglassError, match="margin cannot be negative"):
        context(case, 1, timedelta(minutes=-1))


def test_context_streams_only_lines_with_a_time_in_the_window(case: Path, tmp_path: Path) -> None:
    copy = tmp_path / "case"
    shutil.copytree(case, copy)
    records = copy / "records" / "safari_history.jsonl"
    # a damaged line far from the incident is never decoded; one inside its window is said
    records.write_text(records.read_text() + '{"timestamp": "2020-01-01T00:00:00Z", broken\n')
    assert context(copy, 1).total == 10
    records.write_text(records.read_text() + '{"timestamp": "2023-03-14T09:31:30Z", broken\n')
    with pytest.raises(SpyglassError, match=r"safari_history.jsonl:7: not a spyglass record"):
        context(copy, 1)


def test_cli_report_incident(case: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(case), "--incident", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "incident-1" in result.output and "FINDING" in result.output
    assert "payload-next.example" in result.output and "Leads" in result.output
    assert "candidates for new indicators, not findings" in result.output
    result = CliRunner().invoke(main, ["report", str(case), "--incident", "4"])
    assert result.exit_code == 2 and "no incident 4" in result.output
