"""firefox_favicons: favicons and the pages they belong to, from Firefox for iOS's browser.db."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import firefox_favicons
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import FIREFOX_DOMAIN, FIREFOX_PATH, firefox_browser_db
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

T0 = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
HISTORY = [{"id": 1, "url": "https://lnk.evil-cdn.com/a/7f3e", "title": "", "modified": T0}]
FAVICONS = [
    {"id": 1, "url": "https://lnk.evil-cdn.com/favicon.ico", "date": T0, "site_ids": [1],
     "site_urls": ["https://lnk.evil-cdn.com/b"]},
    {"id": 2, "url": "https://orphan.example.com/icon.png", "date": datetime(2021, 7, 2, tzinfo=UTC)},
]


def _build(tmp_path: Path, data: bytes) -> Path:
    builder = BackupBuilder()
    builder.add_file(FIREFOX_DOMAIN, FIREFOX_PATH, data)
    return builder.build(tmp_path / "backup")


def test_firefox_favicons_v40(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, firefox_browser_db(HISTORY, [], FAVICONS)), firefox_favicons)
    assert len(records) == 3
    by_site, by_url, orphan = records
    assert by_site.timestamp == T0
    assert by_site.timestamp_desc == "icon fetched"
    assert by_site.message == "Firefox favicon https://lnk.evil-cdn.com/favicon.ico for https://lnk.evil-cdn.com/a/7f3e"
    assert by_site.fields["linked_by"] == "favicon_sites"
    assert by_site.fields["site_id"] == 1
    assert by_site.fields["width"] == 32
    assert by_site.observables == (Observable("url", "https://lnk.evil-cdn.com/favicon.ico"),
                                   Observable("url", "https://lnk.evil-cdn.com/a/7f3e"))
    assert by_url.fields["page_url"] == "https://lnk.evil-cdn.com/b"
    assert by_url.fields["linked_by"] == "favicon_site_urls"
    assert orphan.message == "Firefox favicon https://orphan.example.com/icon.png"
    assert orphan.fields["page_url"] is None
    assert orphan.timestamp == datetime(2021, 7, 2, tzinfo=UTC)


def test_firefox_favicons_v34(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, firefox_browser_db(HISTORY, [], FAVICONS, variant="v34")), firefox_favicons)
    assert [(r.fields["icon_id"], r.fields["page_url"]) for r in records] == [
        (1, "https://lnk.evil-cdn.com/a/7f3e"), (2, None)]


def test_firefox_favicons_empty(tmp_path: Path) -> None:
    assert run_module(_build(tmp_path, firefox_browser_db([], [])), firefox_favicons) == []


def test_firefox_favicons_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"browser\.db: not a SQLite database$"):
        run_module(_build(tmp_path, b"not sqlite at all"), firefox_favicons)


def test_firefox_favicons_missing(tmp_path: Path) -> None:
    builder = BackupBuilder()
    builder.add_file(FIREFOX_DOMAIN, "Profile.profile/logins.db", b"x")
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    assert locate(firefox_favicons.ARTIFACT, backup) == []
    backup.close()
