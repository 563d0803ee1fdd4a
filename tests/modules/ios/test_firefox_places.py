"""firefox_places: visits and pages from Firefox for iOS's places.db (application-services Places)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import firefox_places
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import FIREFOX_DOMAIN, FIREFOX_PLACES_PATH, firefox_places_db
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

T0 = datetime(2023, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)
T1 = datetime(2023, 3, 14, 9, 26, 54, 12000, tzinfo=UTC)
PLACES = [
    {"id": 1, "url": "https://t.co/abc", "title": None, "last_local": T0, "local_visits": 1, "hidden": True},
    {"id": 2, "url": "https://lnk.evil-cdn.com/a/7f3e", "title": "mail admin@evil-cdn.com", "last_local": T1,
     "local_visits": 1},
    {"id": 3, "url": "https://synced.example.net/", "title": "Synced",
     "last_local": datetime(2023, 1, 2, tzinfo=UTC), "last_remote": datetime(2023, 2, 1, 8, 0, tzinfo=UTC),
     "remote_visits": 4, "typed": 1},
    {"id": 4, "url": "https://www.mozilla.org/firefox/", "title": "Firefox", "bookmarked": True},
]
VISITS = [
    {"id": 10, "place_id": 2, "visited": T1, "type": 6, "from_visit": 9},
    {"id": 9, "place_id": 1, "visited": T0, "type": 2},
]


def _build(tmp_path: Path, data: bytes, domain: str = FIREFOX_DOMAIN, path: str = FIREFOX_PLACES_PATH) -> Path:
    builder = BackupBuilder()
    builder.add_file(domain, path, data)
    return builder.build(tmp_path / "backup")


def test_firefox_places_v20(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, firefox_places_db(PLACES, VISITS)), firefox_places)
    assert len(records) == 4
    typed, redirect, synced, bookmark = records
    assert typed.timestamp == T0
    assert typed.timestamp_desc == "visited"
    assert typed.message == "Firefox visit https://t.co/abc (typed)"
    assert typed.fields["visit_date_raw"] == 1678786013589
    assert typed.fields["hidden"] is True
    assert typed.fields["title"] is None
    assert redirect.timestamp == T1
    assert redirect.message == "Firefox visit https://lnk.evil-cdn.com/a/7f3e (temporary_redirect)"
    assert redirect.fields == {
        "visit_id": 10, "place_id": 2, "url": "https://lnk.evil-cdn.com/a/7f3e", "title": "mail admin@evil-cdn.com",
        "visited": "2023-03-14T09:26:54.012000Z", "visit_date_raw": 1678786014012, "visit_type": "temporary_redirect",
        "is_local": True, "from_visit_id": 9, "from_url": "https://t.co/abc", "guid": "place0000002", "hidden": False}
    assert redirect.observables == (Observable("url", "https://lnk.evil-cdn.com/a/7f3e"),
                                    Observable("url", "https://t.co/abc"),
                                    Observable("email", "admin@evil-cdn.com"))
    assert synced.timestamp == datetime(2023, 2, 1, 8, 0, tzinfo=UTC)
    assert synced.timestamp_desc == "last visited"
    assert synced.message == "Firefox place https://synced.example.net/ (no visit rows left, last visited remote)"
    assert synced.fields["last_visit_source"] == "remote"
    assert synced.fields["last_visit_date_local_raw"] == 1672617600000
    assert synced.fields["visit_count_remote"] == 4
    assert synced.fields["typed"] == 1
    assert bookmark.timestamp is None
    assert bookmark.message == "Firefox place https://www.mozilla.org/firefox/ (no visit rows left, never visited)"
    assert bookmark.fields["foreign_count"] == 1
    assert bookmark.observables == (Observable("url", "https://www.mozilla.org/firefox/"),)


def test_firefox_places_v15_fennec(tmp_path: Path) -> None:
    data = firefox_places_db(PLACES, VISITS, variant="v15")
    backup = _build(tmp_path, data, "AppDomainGroup-group.org.mozilla.ios.Fennec", "Profile.profile/places.db")
    records = run_module(backup, firefox_places)
    assert [(r.timestamp_desc, r.fields["url"]) for r in records] == [
        ("visited", "https://t.co/abc"), ("visited", "https://lnk.evil-cdn.com/a/7f3e"),
        ("last visited", "https://synced.example.net/"), ("last visited", "https://www.mozilla.org/firefox/")]
    assert records[1].fields["visit_type"] == "temporary_redirect"


def test_firefox_places_minimal_columns(tmp_path: Path) -> None:
    data = firefox_places_db(PLACES, VISITS, variant="minimal")
    records = run_module(_build(tmp_path, data), firefox_places)
    assert len(records) == 4
    first, redirect, synced, _ = records
    assert first.timestamp == T0
    assert first.message == "Firefox visit https://t.co/abc"
    assert redirect.fields["visit_type"] is None
    assert redirect.fields["from_url"] is None
    assert redirect.fields["is_local"] is None
    assert synced.timestamp is None
    assert synced.fields["title"] is None


def test_firefox_places_empty(tmp_path: Path) -> None:
    assert run_module(_build(tmp_path, firefox_places_db([], [])), firefox_places) == []


def test_firefox_places_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"places\.db: corrupt SQLite database"):
        run_module(_build(tmp_path, b"SQLite format 3\x00" + b"\x00" * 10), firefox_places)


def test_firefox_places_garbage(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"places\.db: not a SQLite database$"):
        run_module(_build(tmp_path, b"\x89PNG not a database at all" * 40), firefox_places)


def test_firefox_places_missing(tmp_path: Path) -> None:
    backup = IOSBackup(_build(tmp_path, b"x", FIREFOX_DOMAIN, "profile.profile/browser.db"))
    assert locate(firefox_places.ARTIFACT, backup) == []
    backup.close()
