"""safari_favicons: page-to-icon mappings and rejected icons from Safari's Favicons.db."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import safari_favicons
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import (
    SAFARI_APP_DOMAIN,
    SAFARI_DOMAIN,
    SAFARI_FAVICONS_PATH,
    SAFARI_FAVICONS_SCHEMA_V4,
    apple_seconds,
    safari_favicons_db,
)
from tests.builders.ios_backup import BackupBuilder
from tests.builders.sqlite import build_sqlite
from tests.conftest import run_module

EXPLOIT_UUID = "0C9E6F4A-1B2D-4E3F-9A8B-7C6D5E4F3A21"
NEWS_UUID = "7D1F2E3C-4B5A-4968-8776-A5B4C3D2E1F0"
ICONS = [
    {"uuid": NEWS_UUID, "icon_url": "https://news.example.org/icon.png",
     "page_urls": ["https://news.example.org/", "https://news.example.org/today"],
     "saved": datetime(2021, 7, 1, 10, 0, 5, tzinfo=UTC), "width": 64, "height": 64, "generated": True},
    {"uuid": EXPLOIT_UUID, "icon_url": "https://lnk.evil-cdn.com/favicon.ico",
     "page_urls": ["https://lnk.evil-cdn.com/a/7f3e"], "saved": datetime(2021, 7, 1, 10, 0, 1, 250000, tzinfo=UTC)},
]
REJECTED = [{"page_url": "https://bun54l2b67.get1tn0w.free247downloads.com:30495/0kapvg3dhu",
             "icon_url": "https://bun54l2b67.get1tn0w.free247downloads.com:30495/favicon.ico",
             "rejected": datetime(2021, 7, 1, 10, 0, 2, tzinfo=UTC)}]


def _build(tmp_path: Path, data: bytes, domain: str = SAFARI_DOMAIN) -> Path:
    builder = BackupBuilder()
    builder.add_file(domain, SAFARI_FAVICONS_PATH, data)
    return builder.build(tmp_path / "backup")


def test_safari_favicons_schema_4(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, safari_favicons_db(ICONS, REJECTED)), safari_favicons)
    assert len(records) == 4
    exploit, news, news_today, rejected = records
    assert exploit.timestamp == datetime(2021, 7, 1, 10, 0, 1, 250000, tzinfo=UTC)
    assert exploit.timestamp_desc == "icon last saved"
    assert exploit.message == "Safari favicon https://lnk.evil-cdn.com/favicon.ico for https://lnk.evil-cdn.com/a/7f3e"
    assert exploit.fields == {
        "table": "page_url", "row_id": 3, "page_url": "https://lnk.evil-cdn.com/a/7f3e",
        "icon_url": "https://lnk.evil-cdn.com/favicon.ico", "icon_uuid": EXPLOIT_UUID, "width": 32, "height": 32,
        "has_generated_representations": 0, "saved": "2021-07-01T10:00:01.250000Z",
        "timestamp_raw": apple_seconds(datetime(2021, 7, 1, 10, 0, 1, 250000, tzinfo=UTC)),
    }
    assert exploit.observables == (Observable("url", "https://lnk.evil-cdn.com/a/7f3e"),
                                   Observable("url", "https://lnk.evil-cdn.com/favicon.ico"))
    assert [r.fields["page_url"] for r in (news, news_today)] == ["https://news.example.org/",
                                                                  "https://news.example.org/today"]
    assert news.fields["saved"] == "2021-07-01T10:00:05Z"
    # A whole number of Cocoa seconds lands in the INTEGER column as an integer.
    assert news.fields["timestamp_raw"] == 646826405 and type(news.fields["timestamp_raw"]) is int
    assert (news.fields["width"], news.fields["has_generated_representations"]) == (64, 1)
    assert rejected.timestamp == datetime(2021, 7, 1, 10, 0, 2, tzinfo=UTC)
    assert rejected.timestamp_desc == "icon rejected"
    assert rejected.message == ("Safari rejected favicon https://bun54l2b67.get1tn0w.free247downloads.com:30495/"
                                "favicon.ico for https://bun54l2b67.get1tn0w.free247downloads.com:30495/0kapvg3dhu")
    assert rejected.fields == {
        "table": "rejected_resources", "row_id": 1,
        "page_url": "https://bun54l2b67.get1tn0w.free247downloads.com:30495/0kapvg3dhu",
        "icon_url": "https://bun54l2b67.get1tn0w.free247downloads.com:30495/favicon.ico",
        "rejected": "2021-07-01T10:00:02Z", "timestamp_raw": 646826402,
    }
    assert rejected.observables == (
        Observable("url", "https://bun54l2b67.get1tn0w.free247downloads.com:30495/0kapvg3dhu"),
        Observable("url", "https://bun54l2b67.get1tn0w.free247downloads.com:30495/favicon.ico"))


def test_safari_favicons_schema_1(tmp_path: Path) -> None:
    # Schema 1: no icon size columns and no rejected_resources table.
    records = run_module(_build(tmp_path, safari_favicons_db(ICONS, variant="v1")), safari_favicons)
    assert [r.fields["page_url"] for r in records] == ["https://lnk.evil-cdn.com/a/7f3e", "https://news.example.org/",
                                                       "https://news.example.org/today"]
    assert records[0].fields["saved"] == "2021-07-01T10:00:01.250000Z"
    assert (records[0].fields["width"], records[0].fields["height"],
            records[0].fields["has_generated_representations"]) == (None, None, None)
    assert {r.fields["table"] for r in records} == {"page_url"}


def test_safari_favicons_container_copy(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, safari_favicons_db(ICONS[1:]), SAFARI_APP_DOMAIN), safari_favicons)
    assert [r.fields["page_url"] for r in records] == ["https://lnk.evil-cdn.com/a/7f3e"]


def test_safari_favicons_page_without_icon(tmp_path: Path) -> None:
    # Safari deletes an icon row once no page uses it; a page row left pointing at nothing stays a record.
    data = build_sqlite(SAFARI_FAVICONS_SCHEMA_V4, {"page_url": [{"url": "https://lnk.evil-cdn.com/b", "uuid": "gone"}]})
    [record] = run_module(_build(tmp_path, data), safari_favicons)
    assert record.timestamp is None
    assert record.message == "Safari favicon (no icon) for https://lnk.evil-cdn.com/b"
    assert record.observables == (Observable("url", "https://lnk.evil-cdn.com/b"),)


def test_safari_favicons_empty(tmp_path: Path) -> None:
    assert run_module(_build(tmp_path, safari_favicons_db([])), safari_favicons) == []


def test_safari_favicons_corrupt(tmp_path: Path) -> None:
    source = f"{SAFARI_DOMAIN}/{SAFARI_FAVICONS_PATH}"
    with pytest.raises(EvidenceError, match=f"^{re.escape(source)}: not a SQLite database$"):
        run_module(_build(tmp_path, b"\x89PNG not a database" * 20), safari_favicons)


def test_safari_favicons_missing(tmp_path: Path) -> None:
    builder = BackupBuilder()
    builder.add_file(SAFARI_DOMAIN, "Library/Image Cache/Touch Icons/TouchIconCacheSettings.db", b"x")
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    assert locate(safari_favicons.ARTIFACT, backup) == []
    backup.close()
