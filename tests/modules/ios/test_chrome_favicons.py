"""chrome_favicons: page-to-icon mappings from Chrome for iOS's Favicons database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import chrome_favicons
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import CHROME_DOMAIN, CHROME_FAVICONS_PATH, chrome_favicons_db
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

ICONS = [
    {"id": 1, "icon_url": "https://lnk.evil-cdn.com/favicon.ico", "page_urls": ["https://lnk.evil-cdn.com/a/7f3e"],
     "updated": datetime(2021, 7, 1, 10, 0, 1, tzinfo=UTC), "requested": datetime(2021, 7, 2, tzinfo=UTC)},
    {"id": 2, "icon_url": "https://news.example.org/icon.png",
     "page_urls": ["https://news.example.org/", "https://news.example.org/today"],
     "updated": datetime(2021, 7, 1, 10, 0, 5, tzinfo=UTC)},
]


def _build(tmp_path: Path, data: bytes) -> Path:
    builder = BackupBuilder()
    builder.add_file(CHROME_DOMAIN, CHROME_FAVICONS_PATH, data)
    return builder.build(tmp_path / "backup")


def test_chrome_favicons_current(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, chrome_favicons_db(ICONS)), chrome_favicons)
    assert len(records) == 3
    first = records[0]
    assert first.timestamp == datetime(2021, 7, 1, 10, 0, 1, tzinfo=UTC)
    assert first.timestamp_desc == "icon last updated"
    assert first.message == ("Chrome favicon https://lnk.evil-cdn.com/favicon.ico for "
                             "https://lnk.evil-cdn.com/a/7f3e")
    assert first.fields["last_requested"] == "2021-07-02T00:00:00Z"
    assert first.fields["icon_type"] == 1
    assert first.observables == (Observable("url", "https://lnk.evil-cdn.com/a/7f3e"),
                                 Observable("url", "https://lnk.evil-cdn.com/favicon.ico"))
    assert [r.fields["page_url"] for r in records[1:]] == ["https://news.example.org/", "https://news.example.org/today"]
    assert records[1].fields["last_requested"] is None


def test_chrome_favicons_2018_schema(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, chrome_favicons_db(ICONS, variant="2018")), chrome_favicons)
    assert len(records) == 3
    assert records[0].fields["last_updated"] == "2021-07-01T10:00:01Z"
    assert records[0].fields["last_requested"] is None


def test_chrome_favicons_empty(tmp_path: Path) -> None:
    assert run_module(_build(tmp_path, chrome_favicons_db([])), chrome_favicons) == []


def test_chrome_favicons_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"Default/Favicons: not a SQLite database$"):
        run_module(_build(tmp_path, b"\x89PNG not a database" * 20), chrome_favicons)


def test_chrome_favicons_missing(tmp_path: Path) -> None:
    builder = BackupBuilder()
    builder.add_file(CHROME_DOMAIN, "Library/Preferences/com.google.chrome.ios.plist", b"x")
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    assert locate(chrome_favicons.ARTIFACT, backup) == []
    backup.close()
