"""firefox_history: visits and history pages from Firefox for iOS's browser.db."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import firefox_history
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import FIREFOX_DOMAIN, FIREFOX_PATH, firefox_browser_db
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

T0 = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
HISTORY = [
    {"id": 1, "url": "https://t.co/abc", "title": "", "modified": T0},
    {"id": 2, "url": "https://lnk.evil-cdn.com/a/7f3e", "title": "mail admin@evil-cdn.com", "modified": T0},
    {"id": 3, "url": "https://synced.example.net/", "title": "Synced", "modified": datetime(2021, 6, 1, tzinfo=UTC)},
]
VISITS = [
    {"id": 1, "site_id": 1, "visited": T0, "type": 2},
    {"id": 2, "site_id": 2, "visited": datetime(2021, 7, 1, 10, 0, 1, 250000, tzinfo=UTC), "type": 6},
]


def _build(tmp_path: Path, data: bytes, domain: str = FIREFOX_DOMAIN) -> Path:
    builder = BackupBuilder()
    builder.add_file(domain, FIREFOX_PATH, data)
    return builder.build(tmp_path / "backup")


def test_firefox_history_v40(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, firefox_browser_db(HISTORY, VISITS)), firefox_history)
    assert len(records) == 3
    typed, redirect, page = records
    assert typed.timestamp == T0
    assert typed.timestamp_desc == "visited"
    assert typed.message == "Firefox visit https://t.co/abc (typed)"
    assert redirect.timestamp == datetime(2021, 7, 1, 10, 0, 1, 250000, tzinfo=UTC)
    assert redirect.message == "Firefox visit https://lnk.evil-cdn.com/a/7f3e (temporary_redirect)"
    assert redirect.fields["visit_type"] == "temporary_redirect"
    assert redirect.fields["is_local"] is True
    assert redirect.fields["is_deleted"] is False
    assert redirect.observables == (Observable("url", "https://lnk.evil-cdn.com/a/7f3e"),
                                    Observable("email", "admin@evil-cdn.com"))
    assert page.timestamp == datetime(2021, 6, 1, tzinfo=UTC)
    assert page.timestamp_desc == "last modified"
    assert page.message == "Firefox history page https://synced.example.net/ (no visit rows left)"


def test_firefox_history_v34_fennec(tmp_path: Path) -> None:
    data = firefox_browser_db(HISTORY, VISITS, variant="v34")
    records = run_module(_build(tmp_path, data, "AppDomainGroup-group.org.mozilla.ios.Fennec"), firefox_history)
    assert [r.fields["url"] for r in records] == [
        "https://t.co/abc", "https://lnk.evil-cdn.com/a/7f3e", "https://synced.example.net/"]


def test_firefox_history_empty(tmp_path: Path) -> None:
    assert run_module(_build(tmp_path, firefox_browser_db([], [])), firefox_history) == []


def test_firefox_history_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"browser\.db: corrupt SQLite database"):
        run_module(_build(tmp_path, b"SQLite format 3\x00" + b"\x00" * 10), firefox_history)


def test_firefox_history_missing(tmp_path: Path) -> None:
    backup = IOSBackup(_build(tmp_path, b"x", "AppDomainGroup-group.com.example.other"))
    assert locate(firefox_history.ARTIFACT, backup) == []
    backup.close()
