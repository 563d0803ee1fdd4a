"""webkit_resource_load_statistics: observations.db of Safari and app WebKit data stores."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import webkit_resource_load_statistics
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import OBSERVATIONS_PATH, observations_db
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

DOMAINS = [
    {"domain": "t.co", "last_seen": datetime(2021, 7, 1, 10, 0, tzinfo=UTC), "user_interaction": True,
     "interaction": datetime(2021, 7, 1, 9, 59, 55, tzinfo=UTC)},
    {"domain": "evil-cdn.com", "last_seen": datetime(2021, 7, 1, 10, 0, 5, tzinfo=UTC)},
    {"domain": "news.example.org", "last_seen": datetime(2021, 7, 1, 10, 0, 10, tzinfo=UTC)},
]
REDIRECTS = [("t.co", "evil-cdn.com"), ("evil-cdn.com", "news.example.org")]


def _build(tmp_path: Path, domain: str, path: str, data: bytes) -> Path:
    builder = BackupBuilder()
    builder.add_file(domain, path, data)
    return builder.build(tmp_path / "backup")


def test_webkit_resource_load_statistics_ios17(tmp_path: Path) -> None:
    data = observations_db(DOMAINS, REDIRECTS, subresources=[("evil-cdn.com", "news.example.org")])
    records = run_module(_build(tmp_path, "HomeDomain", OBSERVATIONS_PATH, data), webkit_resource_load_statistics)
    assert [r.fields["domain"] for r in records] == ["t.co", "evil-cdn.com", "news.example.org"]
    first, middle, last = records
    assert first.timestamp == datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
    assert first.timestamp_desc == "last seen"
    assert first.message == "WebKit saw t.co, redirecting to evil-cdn.com"
    assert first.fields["had_user_interaction"] is True
    assert first.fields["most_recent_user_interaction"] == "2021-07-01T09:59:55Z"
    assert first.fields["most_recent_web_push_interaction"] is None
    assert middle.message == "WebKit saw evil-cdn.com, redirected from t.co, redirecting to news.example.org"
    assert middle.fields["subresource_under"] == ["news.example.org"]
    assert middle.fields["most_recent_user_interaction"] is None
    assert middle.observables == (Observable("domain", "evil-cdn.com"), Observable("domain", "news.example.org"),
                                  Observable("domain", "t.co"))
    assert last.fields["redirects_from"] == ["evil-cdn.com"]


def test_webkit_resource_load_statistics_ios14_app_container_no_link_tables(tmp_path: Path) -> None:
    data = observations_db(DOMAINS, variant="ios14", with_redirect_tables=False)
    root = _build(tmp_path, "AppDomain-com.example.chat", OBSERVATIONS_PATH, data)
    records = run_module(root, webkit_resource_load_statistics)
    assert len(records) == 3
    assert records[1].fields["redirects_to"] == []
    assert records[1].observables == (Observable("domain", "evil-cdn.com"),)


def test_webkit_resource_load_statistics_empty(tmp_path: Path) -> None:
    root = _build(tmp_path, "HomeDomain", OBSERVATIONS_PATH, observations_db([]))
    assert run_module(root, webkit_resource_load_statistics) == []


def test_webkit_resource_load_statistics_corrupt(tmp_path: Path) -> None:
    root = _build(tmp_path, "HomeDomain", OBSERVATIONS_PATH, b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(EvidenceError, match=r"observations\.db: corrupt SQLite database"):
        run_module(root, webkit_resource_load_statistics)


def test_webkit_resource_load_statistics_missing(tmp_path: Path) -> None:
    backup = IOSBackup(_build(tmp_path, "HomeDomain", "Library/Safari/History.db", b"x"))
    assert locate(webkit_resource_load_statistics.ARTIFACT, backup) == []
    backup.close()
