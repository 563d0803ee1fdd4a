"""The matcher-and-heuristics stage: records kept for heuristics, and findings as the runner sees them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from spyglass import heuristics
from spyglass.analysis import Analyser, verdict
from spyglass.check import check
from spyglass.heuristics import operation_triangulation
from spyglass.indicators import IndicatorIndex
from spyglass.modules.ios import datausage, locationd_clients, manifest, os_analytics_ad_daily
from tests.builders.full_backup import triangulation_backup
from tests.conftest import run_module


def test_analyser_keeps_only_what_heuristics_read(tmp_path: Path) -> None:
    root = triangulation_backup(tmp_path / "backup", noise=500)
    analyser = Analyser(None, heuristics.discover())
    for module in (manifest, os_analytics_ad_daily, locationd_clients, datausage):
        for record in run_module(root, module):
            analyser.add(replace(record, module=module.ARTIFACT.name))
    kept_paths = sorted(r.fields["relative_path"] for r in analyser.kept["manifest"])
    assert kept_paths == ["Library/Preferences/com.apple.ImageIO.plist", "Library/SMS/Attachments/5c",
                          "Library/SMS/Attachments/5c/12"]
    found = [d for d in analyser.finish() if d.heuristic == "operation_triangulation"]
    direct = list(operation_triangulation.check({
        module.ARTIFACT.name: run_module(root, module)
        for module in (manifest, os_analytics_ad_daily, locationd_clients, datausage)}))
    assert [d.message for d in found] == [d.message for d in direct]
    assert len(found) == 2


def test_check_finds_triangulation_through_the_runner(tmp_path: Path) -> None:
    root = triangulation_backup(tmp_path / "backup", noise=50)
    outcome = check(root, tmp_path / "case", [], IndicatorIndex([]))
    names = [d.heuristic for d in outcome.detections if d.heuristic == "operation_triangulation"]
    assert names == ["operation_triangulation", "operation_triangulation"]
    assert outcome.case["heuristics"]["operation_triangulation"] == {
        "status": "ok", "findings": 2, "message": None,
        "description": "Operation Triangulation pattern (Kaspersky triangle_check rules)"}
    assert verdict(outcome.detections).startswith("No known spyware indicator matched, but serious")


def test_failing_heuristic_is_recorded_and_others_run(tmp_path: Path) -> None:
    root = triangulation_backup(tmp_path / "backup", noise=0)
    broken = heuristics.LoadedHeuristic(
        heuristics.Heuristic("broken", "always fails", frozenset({"manifest"})),
        lambda records: (_ for _ in ()).throw(RuntimeError("boom")), operation_triangulation)
    analyser = Analyser(None, [broken, *heuristics.discover()])
    for record in run_module(root, manifest):
        analyser.add(replace(record, module="manifest"))
    analyser.finish()
    assert analyser.heuristic_results["broken"]["status"] == "error"
    assert analyser.heuristic_results["broken"]["message"] == "RuntimeError: boom"
    assert analyser.heuristic_results["operation_triangulation"]["status"] == "ok"
