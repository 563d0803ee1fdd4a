"""chrome_history: visits from Chrome for iOS's History database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import chrome_history
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import CHROME_DOMAIN, CHROME_HISTORY_PATH, chrome_history_db
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

T0 = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
URLS = [
    {"id": 1, "url": "https://t.co/abc", "title": "", "last_visit": T0},
    {"id": 2, "url": "https://lnk.evil-cdn.com/a/7f3e", "title": "Loading www.decoy.net", "last_visit": T0},
    {"id": 3, "url": "https://old.example.com/", "title": "Old", "last_visit": datetime(2021, 3, 1, tzinfo=UTC),
     "visit_count": 4},
]
VISITS = [
    {"id": 10, "url_id": 1, "visited": T0, "transition": 0x10000000 | 1},
    {"id": 11, "url_id": 2, "visited": datetime(2021, 7, 1, 10, 0, 1, tzinfo=UTC),
     "transition": 0x80000000 | 0x20000000 | 0, "from_visit": 10},
]


def _build(tmp_path: Path, data: bytes, path: str = CHROME_HISTORY_PATH) -> Path:
    builder = BackupBuilder()
    builder.add_file(CHROME_DOMAIN, path, data)
    return builder.build(tmp_path / "backup")


def test_chrome_history_current(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, chrome_history_db(URLS, VISITS)), chrome_history)
    assert len(records) == 3
    typed, redirect, expired = records
    assert typed.timestamp == T0
    assert typed.timestamp_desc == "visited"
    assert typed.message == "Chrome visit https://t.co/abc"
    assert typed.fields["transition_type"] == "typed"
    assert typed.fields["transition_qualifiers"] == ["chain_start"]
    assert typed.fields["from_visit"] is None
    assert redirect.message == "Chrome visit https://lnk.evil-cdn.com/a/7f3e (redirect from https://t.co/abc)"
    assert redirect.fields["transition_type"] == "link"
    assert redirect.fields["transition_qualifiers"] == ["chain_end", "server_redirect"]
    assert redirect.fields["from_url"] == "https://t.co/abc"
    assert redirect.fields["visited"] == "2021-07-01T10:00:01Z"
    assert redirect.observables == (Observable("url", "https://lnk.evil-cdn.com/a/7f3e"),
                                    Observable("url", "https://t.co/abc"), Observable("url", "www.decoy.net"))
    assert expired.timestamp == datetime(2021, 3, 1, tzinfo=UTC)
    assert expired.timestamp_desc == "last visited"
    assert expired.fields["visit_count"] == 4
    assert expired.observables == (Observable("url", "https://old.example.com/"),)


def test_chrome_history_2019_schema_other_profile(tmp_path: Path) -> None:
    data = chrome_history_db(URLS, VISITS, variant="2019")
    records = run_module(_build(tmp_path, data, CHROME_HISTORY_PATH.replace("Default", "Profile 1")), chrome_history)
    assert [r.fields["url"] for r in records] == [
        "https://t.co/abc", "https://lnk.evil-cdn.com/a/7f3e", "https://old.example.com/"]
    assert records[1].fields["from_url"] == "https://t.co/abc"


def test_chrome_history_empty(tmp_path: Path) -> None:
    assert run_module(_build(tmp_path, chrome_history_db([], [])), chrome_history) == []


def test_chrome_history_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"Default/History: not a SQLite database$"):
        run_module(_build(tmp_path, b"garbage" * 50), chrome_history)


def test_chrome_history_missing(tmp_path: Path) -> None:
    builder = BackupBuilder()
    builder.add_file(CHROME_DOMAIN, "Library/Preferences/com.google.chrome.ios.plist", b"x")
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    assert locate(chrome_history.ARTIFACT, backup) == []
    backup.close()
