"""webkit_session_resource_log: full_browsing_session_resourceLog.plist in every WebKit data store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import webkit_session_resource_log
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import (
    RESOURCE_LOG_PATH,
    RESOURCE_LOG_PATH_LEGACY,
    webkit_resource_log_plist,
)
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

SEEN = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
STATISTICS = [
    {"domain": "t.co", "last_seen": SEEN, "user_interaction": True,
     "interaction": datetime(2021, 7, 1, 9, 59, 55, tzinfo=UTC), "redirects_to": ["evil-cdn.com"]},
    {"domain": "evil-cdn.com", "last_seen": datetime(2021, 7, 1, 10, 0, 5, tzinfo=UTC),
     "redirects_from": ["t.co"], "redirects_to": ["news.example.org"], "subresource_under": ["news.example.org"]},
]


def _build(tmp_path: Path, files: list[tuple[str, str, bytes]]) -> Path:
    builder = BackupBuilder()
    for domain, path, data in files:
        builder.add_file(domain, path, data)
    return builder.build(tmp_path / "backup")


def test_webkit_session_resource_log_modern(tmp_path: Path) -> None:
    root = _build(tmp_path, [("HomeDomain", RESOURCE_LOG_PATH, webkit_resource_log_plist(STATISTICS))])
    records = run_module(root, webkit_session_resource_log)
    assert len(records) == 2
    first, second = records
    assert first.timestamp == SEEN
    assert first.timestamp_desc == "last seen"
    assert first.message == "WebKit saw t.co, redirecting to evil-cdn.com"
    assert first.fields["had_user_interaction"] is True
    assert first.fields["most_recent_user_interaction"] == "2021-07-01T09:59:55Z"
    assert first.fields["last_seen_raw"] == 1625133600.0
    assert first.fields["model_version"] == 17
    assert first.observables == (Observable("domain", "t.co"), Observable("domain", "evil-cdn.com"))
    assert second.message == "WebKit saw evil-cdn.com, redirected from t.co, redirecting to news.example.org"
    assert second.fields["redirects_from"] == ["t.co"]
    assert second.fields["subresource_under"] == ["news.example.org"]
    assert second.fields["most_recent_user_interaction"] is None
    assert second.observables == (Observable("domain", "evil-cdn.com"), Observable("domain", "news.example.org"),
                                  Observable("domain", "t.co"))


def test_webkit_session_resource_log_legacy_origins_in_app_containers(tmp_path: Path) -> None:
    data = webkit_resource_log_plist(STATISTICS, model_version=11)
    root = _build(tmp_path, [
        ("AppDomain-com.example.chat", RESOURCE_LOG_PATH, data),
        ("AppDomain-com.example.chat", "SystemData/com.apple.SafariViewService/" + RESOURCE_LOG_PATH_LEGACY, data),
        ("SysContainerDomain-com.apple.webkit.sys", RESOURCE_LOG_PATH, data),
    ])
    records = run_module(root, webkit_session_resource_log)
    assert len(records) == 6
    assert records[1].fields["domain"] == "evil-cdn.com"
    assert records[1].fields["subresource_under"] == ["news.example.org"]
    assert records[1].fields["redirects_to"] == ["news.example.org"]


def test_webkit_session_resource_log_empty(tmp_path: Path) -> None:
    root = _build(tmp_path, [("HomeDomain", RESOURCE_LOG_PATH, webkit_resource_log_plist([]))])
    assert run_module(root, webkit_session_resource_log) == []


def test_webkit_session_resource_log_corrupt(tmp_path: Path) -> None:
    root = _build(tmp_path, [("HomeDomain", RESOURCE_LOG_PATH, b"bplist00\x00\x01garbage" * 10)])
    with pytest.raises(EvidenceError, match=r"full_browsing_session_resourceLog\.plist: not a valid plist"):
        run_module(root, webkit_session_resource_log)


def test_webkit_session_resource_log_missing(tmp_path: Path) -> None:
    backup = IOSBackup(_build(tmp_path, [("HomeDomain", "Library/Safari/History.db", b"x")]))
    assert locate(webkit_session_resource_log.ARTIFACT, backup) == []
    backup.close()
