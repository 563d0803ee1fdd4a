from __future__ import annotations

from datetime import UTC, datetime

from spyglass.heuristics import safari_redirect
from spyglass.heuristics.safari_redirect import registrable_domain
from spyglass.modules.ios import safari_history
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import (
    add_safari_history,
    run_module,
    safari_item,
    safari_rows,
    safari_visit,
)
from tests.builders.ios_backup import BackupBuilder

AT = datetime(2021, 7, 1, 12, 0, tzinfo=UTC)


def _check(rows, tmp_path):
    builder = BackupBuilder()
    add_safari_history(builder, rows)
    return list(safari_redirect.check({"safari_history": run_module(builder, tmp_path / "b", safari_history)}))


def _redirect(source_url, target_url, delay_us):
    return {
        "history_items": [safari_item(1, source_url), safari_item(2, target_url)],
        "history_visits": [safari_visit(1, 1, AT, redirect_destination=2),
                           safari_visit(2, 2, AT.replace(microsecond=delay_us), redirect_source=1)],
    }


def test_safari_redirect_injection(tmp_path):
    [detection] = _check(safari_rows(), tmp_path)
    assert detection.severity == "medium"
    assert detection.observable == Observable("url", "https://free247downloads.com/x/abc")
    assert detection.record.fields["visit_id"] == 11
    assert "in 0.40 s" in detection.message


def test_safari_redirect_https_source_low(tmp_path):
    [detection] = _check(_redirect("https://t.example.com/x", "https://other.example.net/", 300000), tmp_path)
    assert detection.severity == "low"


def test_safari_redirect_near_miss_same_site(tmp_path):
    assert _check(_redirect("http://www.bbc.co.uk/news", "https://m.bbc.co.uk/news", 200000), tmp_path) == []


def test_safari_redirect_near_miss_slow(tmp_path):
    rows = _redirect("http://news.example.com/", "https://elsewhere.example.net/", 0)
    rows["history_visits"][1]["visit_time"] += 1.5
    assert _check(rows, tmp_path) == []


def test_registrable_domain():
    assert registrable_domain("a.b.example.com") == "example.com"
    assert registrable_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert registrable_domain("www.globo.com.br") == "globo.com.br"
    assert registrable_domain("10.0.0.1") == "10.0.0.1"
