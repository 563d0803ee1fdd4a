"""`spyglass recheck`: what a re-check changed (recorded in case.json's history and printed), and
the re-check of every case under a folder, one process per case."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from spyglass.check import finding_changes
from spyglass.cli import main
from tests.builders.ios_artifacts_core import add_datausage, add_safari_history, add_sms
from tests.builders.ios_backup import BackupBuilder
from tests.indicators.stix_bundles import related_bundle, write

# Version 1 of a feed names two domains of the sample backup; version 2 drops one and adds another.
FIRST = ["[domain-name:value = 'free247downloads.com']", "[domain-name:value = 'news.example.com']"]
SECOND = ["[domain-name:value = 'free247downloads.com']", "[domain-name:value = 'bit-ly.example.com']"]


@pytest.fixture(autouse=True)
def no_stored_feeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPYGLASS_IOCS_DIR", str(tmp_path / "iocs-store"))


@pytest.fixture
def checked(tmp_path: Path) -> tuple[Path, Path]:
    """A case checked with version 1 of the feed (feed.stix2), and version 2 at v2/feed.stix2."""
    builder = BackupBuilder()
    add_sms(builder)
    add_safari_history(builder)
    add_datausage(builder)
    backup = builder.build(tmp_path / "backup")
    first = write(tmp_path / "feed.stix2", related_bundle(FIRST))
    second = write(tmp_path / "v2" / "feed.stix2", related_bundle(SECOND))
    result = CliRunner().invoke(main, ["check", str(backup), "--only-iocs", str(first), "-o", str(tmp_path / "case"),
                                       "--no-html"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return tmp_path / "case", second


def indicator_findings(case_dir: Path) -> list[tuple[str, str, str]]:
    rows = [json.loads(line) for line in (case_dir / "detections.jsonl").read_text().splitlines()]
    return sorted((d["module"], d["indicator"]["value"], d["timestamp"] or "") for d in rows if d["kind"] == "indicator")


def timeline_tags(case_dir: Path) -> dict[tuple[str, str], str]:
    with (case_dir / "timeline.csv").open(newline="") as handle:
        return {(row["module"], row["message"]): row["tag"] for row in csv.DictReader(handle) if row["tag"] != "[]"}


def test_recheck_records_and_prints_the_difference(checked: tuple[Path, Path]) -> None:
    case_dir, second = checked
    assert timeline_tags(case_dir) == {
        ("safari_history", "Visited http://news.example.com/article, redirected to https://free247downloads.com/x/abc"):
            '["spyglass", "high", "Pegasus"]',
        ("safari_history", "Visited https://free247downloads.com/x/abc"): '["spyglass", "high", "Pegasus"]'}
    before = indicator_findings(case_dir)
    kept = [f for f in before if f[1] == "free247downloads.com"]
    dropped = [f for f in before if f[1] == "news.example.com"]
    assert kept and dropped
    old_feed = json.loads((case_dir / "case.json").read_text())["feeds"][0]
    result = CliRunner().invoke(main, ["recheck", str(case_dir), "--only-iocs", str(second), "--no-html"],
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output
    after = indicator_findings(case_dir)
    added = [f for f in after if f[1] == "bit-ly.example.com"]
    assert added == [("sms", "bit-ly.example.com", "2021-07-01T10:00:00Z")]
    assert sorted(kept + added) == after

    case = json.loads((case_dir / "case.json").read_text())
    changes = case["history"][-1]["changes"]
    all_before = len((case_dir / "detections.jsonl").read_text().splitlines()) - len(added) + len(dropped)
    assert (changes["new_count"], changes["gone_count"], changes["unchanged"]) == (
        1, len(dropped), all_before - len(dropped))
    assert [(f["module"], f["indicator"], f["timestamp"], f["feeds"]) for f in changes["new"]] == [
        ("sms", "bit-ly.example.com (domain)", "2021-07-01T10:00:00Z", ["feed"])]
    assert sorted((f["module"], f["indicator"], f["timestamp"]) for f in changes["gone"]) == [
        (module, f"{value} (domain)", when) for module, value, when in dropped]
    new_feed = case["feeds"][0]
    assert changes["by_feed"] == {"feed": {"version": new_feed["sha256"][:12], "new": 1, "gone": len(dropped)}}
    assert changes["feeds"] == {"added": [], "removed": [], "updated": [
        {"name": "feed", "before": old_feed["sha256"][:12], "after": new_feed["sha256"][:12]}]}

    text = " ".join(result.output.split())
    assert (f"Since the last check ({case['history'][-1]['at']}): 1 new finding, "
            f"{len(dropped)} no longer matched, {all_before - len(dropped)} unchanged.") in text
    assert "new: high Pegasus bit-ly.example.com (domain) in sms [feed]" in text
    assert "no longer matched: high Pegasus news.example.com (domain) in safari_history [feed]" in text
    assert (f"feed updated: feed {old_feed['sha256'][:12]} -> {new_feed['sha256'][:12]}") in text
    assert f"by feed: feed {new_feed['sha256'][:12]}: 1 new, {len(dropped)} no longer matched" in text
    # the timeline's tags follow the findings: the SMS's rows are tagged now; the news visit keeps
    # only its suspicious redirect (medium), no longer the Pegasus domain
    assert timeline_tags(case_dir) == {
        ("safari_history", "Visited http://news.example.com/article, redirected to https://free247downloads.com/x/abc"):
            '["spyglass", "medium"]',
        ("safari_history", "Visited https://free247downloads.com/x/abc"): '["spyglass", "high", "Pegasus"]',
        ("sms", "SMS from +41791234567: Your parcel is waiting: https://bit-ly.example.com/track?id=42 call "
                "+41 79 765 43 21"): '["spyglass", "high", "Pegasus"]'}


def test_recheck_same_feed_changes_nothing(checked: tuple[Path, Path], tmp_path: Path) -> None:
    case_dir, _ = checked
    total = len((case_dir / "detections.jsonl").read_text().splitlines())
    result = CliRunner().invoke(main, ["recheck", str(case_dir), "--only-iocs", str(tmp_path / "feed.stix2"),
                                       "--no-html", "--json"], catch_exceptions=False)
    summary = json.loads(result.stdout)
    assert summary["command"] == "recheck" and summary["exit_status"] == 1 and summary["case"] == str(case_dir)
    assert {key: summary["changes"][key] for key in ("new", "gone", "unchanged", "new_findings", "gone_findings")} == {
        "new": 0, "gone": 0, "unchanged": total, "new_findings": [], "gone_findings": []}
    assert summary["changes"]["feeds"] == {"added": [], "removed": [], "updated": []}


def test_recheck_iocs_adds_to_the_feeds_in_use(checked: tuple[Path, Path]) -> None:
    # --iocs keeps the bundled feeds: the bundled Pegasus feed goes on naming free247downloads.com
    case_dir, second = checked
    result = CliRunner().invoke(main, ["recheck", str(case_dir), "--iocs", str(second), "--no-html"],
                                catch_exceptions=False)
    case = json.loads((case_dir / "case.json").read_text())
    assert case["feeds"][-1]["name"] == "feed" and len(case["feeds"]) > 1
    changes = case["history"][-1]["changes"]
    assert {f["name"] for f in changes["feeds"]["added"]} == {f["name"] for f in case["feeds"][:-1]}
    assert "feeds added: pegasus " in " ".join(result.output.split())
    assert ("safari_history", "free247downloads.com") in {(m, v) for m, v, _ in indicator_findings(case_dir)}


def test_finding_changes_counts_repeats() -> None:
    from datetime import UTC, datetime

    from spyglass.detections import Detection
    from spyglass.records import Observable, Record

    record = Record(datetime(2021, 7, 1, tzinfo=UTC), "visited", "visit", module="safari_history", source="H.db")

    def found(value: str, feed: str) -> Detection:
        return Detection(kind="indicator", severity="high", message=f"{value}", record=record,
                         observable=Observable("domain", value),
                         indicator={"type": "domain", "value": value, "feed": feed, "feeds": [feed], "malware": "X"})

    # the same visit found twice before, once now (a feed renamed does not make it new)
    changes = finding_changes([found("a.com", "old"), found("a.com", "old")], [found("a.com", "new")],
                              [{"name": "old", "version": "1"}], [{"name": "new", "version": "2"}])
    assert (changes["new_count"], changes["gone_count"], changes["unchanged"]) == (0, 1, 1)
    assert changes["by_feed"] == {"old": {"version": "1", "new": 0, "gone": 1}}
    assert changes["feeds"] == {"added": [{"name": "new", "version": "2"}], "removed": [{"name": "old", "version": "1"}],
                                "updated": []}


# -- a folder of cases ----------------------------------------------------------------------------
def test_recheck_folder_of_three_cases(checked: tuple[Path, Path], tmp_path: Path) -> None:
    case_dir, second = checked
    folder = tmp_path / "cases"
    for name in ("c-three", "a-one", "b-two"):
        shutil.copytree(case_dir, folder / "2026" / name if name == "b-two" else folder / name)
    (folder / "notes").mkdir()
    result = CliRunner().invoke(main, ["recheck", str(folder), "--only-iocs", str(second), "--no-html",
                                       "--jobs", "2"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert lines[0] == f"Re-checking 3 cases under {folder} (2 at a time)."
    before = len((case_dir / "detections.jsonl").read_text().splitlines())
    dropped = len([f for f in indicator_findings(case_dir) if f[1] == "news.example.com"])
    # in the cases' order (sorted paths), whichever process ended first
    assert lines[1:] == [
        f"{name}: 1 new (high Pegasus bit-ly.example.com (domain) in sms [feed]), {dropped} no longer matched, "
        f"{before - dropped} unchanged; {before - dropped + 1} findings" for name in ("2026/b-two", "a-one", "c-three")]
    for name in ("a-one", "2026/b-two", "c-three"):
        assert ("sms", "bit-ly.example.com", "2021-07-01T10:00:00Z") in indicator_findings(folder / name)
        assert json.loads((folder / name / "case.json").read_text())["command"] == "recheck"


def test_recheck_folder_json_and_a_broken_case(checked: tuple[Path, Path], tmp_path: Path) -> None:
    case_dir, second = checked
    folder = tmp_path / "cases"
    shutil.copytree(case_dir, folder / "good")
    (folder / "bad").mkdir(parents=True)
    (folder / "bad" / "case.json").write_text("[not a case")
    result = CliRunner().invoke(main, ["recheck", str(folder), "--only-iocs", str(second), "--no-html", "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 2
    summary: dict[str, Any] = json.loads(result.stdout)
    assert [(Path(c["case"]).name, c["exit_status"]) for c in summary["cases"]] == [("bad", 2), ("good", 1)]
    assert "case.json: cannot be read" in summary["cases"][0]["error"]
    assert summary["cases"][1]["changes"]["new"] == 1 and summary["exit_status"] == 2


def test_recheck_folder_without_cases_exit_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["recheck", str(tmp_path / "empty")])
    assert result.exit_code == 2 and "not a spyglass case folder" in result.output


def test_recheck_keeps_timeline_when_its_tags_are_unchanged(checked: tuple[Path, Path], tmp_path: Path) -> None:
    case_dir, second = checked
    timeline = case_dir / "timeline.csv"
    written = timeline.read_bytes()
    stamp = timeline.stat().st_mtime_ns
    same = ["recheck", str(case_dir), "--only-iocs", str(tmp_path / "feed.stix2"), "--no-html"]
    assert CliRunner().invoke(main, same, catch_exceptions=False).exit_code == 1
    assert timeline.stat().st_mtime_ns == stamp and timeline.read_bytes() == written    # not rewritten
    # Other findings: rewritten, with the new findings' tags.
    before = timeline_tags(case_dir)
    CliRunner().invoke(main, ["recheck", str(case_dir), "--only-iocs", str(second), "--no-html"], catch_exceptions=False)
    assert timeline.stat().st_mtime_ns != stamp
    assert timeline_tags(case_dir) != before


def test_recheck_rebuilds_a_timeline_of_older_columns(checked: tuple[Path, Path], tmp_path: Path) -> None:
    case_dir, _ = checked
    timeline = case_dir / "timeline.csv"
    rows = timeline.read_text(encoding="utf-8")
    timeline.write_text("datetime,timestamp_desc,message,module,source\n2021-07-01T10:00:00Z,x,y,sms,z\n",
                        encoding="utf-8")
    CliRunner().invoke(main, ["recheck", str(case_dir), "--only-iocs", str(tmp_path / "feed.stix2"), "--no-html"],
                       catch_exceptions=False)
    assert timeline.read_text(encoding="utf-8") == rows
