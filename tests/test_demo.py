from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spyglass.cli import main
from spyglass.demo import DEMO_DIR
from tests.builders.demo import build_demo


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_bundled_demo_is_what_the_builder_writes(tmp_path: Path) -> None:
    # The sample shipped in the package must never drift from the builder that documents it.
    assert tree(build_demo(tmp_path / "demo")) == tree(DEMO_DIR)


def test_demo_shows_real_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [case_dir] = tmp_path.glob("spyglass-demo-*")
    rows = [json.loads(line) for line in (case_dir / "detections.jsonl").read_text().splitlines()]
    hits = {(d["module"], d["indicator"]["value"]) for d in rows if d["kind"] == "indicator"}
    assert hits == {
        ("datausage", "bh"), ("idstatuscache", "ameliehaggart@gmail.com"), ("manifest", "roleaccountd.plist"),
        *((module, "free247downloads.com") for module in (
            "sms", "safari_history", "safari_browser_state", "safari_favicons", "chrome_history", "chrome_favicons",
            "firefox_history", "firefox_favicons", "firefox_places", "shortcuts", "whatsapp", "webkit_resource_load_statistics",
            "webkit_session_resource_log", "webkit_website_data")),
    }
    assert "Traces of known spyware were found (Pegasus)" in result.output
    assert "Warning:" not in result.output     # the sample feed's age is not the user's concern
    assert (case_dir / "report.html").exists()


def test_demo_twice_writes_two_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["demo", "-o", "first"]).exit_code == 0
    assert CliRunner().invoke(main, ["demo", "-o", "first"]).exit_code == 2   # not empty: refused
    assert CliRunner().invoke(main, ["demo", "-o", "first", "--force"]).exit_code == 0


def test_demo_report_says_it_is_sample_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo", "-o", "case"], catch_exceptions=False)
    notice = "Sample data: a generated iPhone backup with planted traces, made for the spyglass demo. This is not your phone."
    assert notice in " ".join(result.output.split())
    page = (tmp_path / "case" / "report.html").read_text()
    assert f'<p class="sample" id="sample"><strong>{notice}</strong></p>' in page
    assert page.index('id="sample"') < page.index('id="verdict"')
    assert json.loads((tmp_path / "case" / "case.json").read_text())["sample"] == notice
