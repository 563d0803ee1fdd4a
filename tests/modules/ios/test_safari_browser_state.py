"""safari_browser_state: tabs and their back/forward lists from BrowserState.db."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import safari_browser_state
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import (
    BROWSER_STATE_PATH,
    SAFARI_APP_DOMAIN,
    SAFARI_DOMAIN,
    safari_browser_state_db,
    safari_session_data,
)
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

VIEWED = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
EXPLOIT_TAB = {
    "uuid": "0D6C3A0E-4B7F-4B8A-8B3E-111111111111",
    "title": "News - read at bit.ly/x",
    "url": "https://news.example.org/today",
    "last_viewed": VIEWED,
    "opened_from_link": True,
    "session": safari_session_data([
        {"url": "https://lnk.evil-cdn.com/a/7f3e", "original_url": "https://t.co/abc", "title": ""},
        {"url": "https://news.example.org/today", "title": "News"},
    ]),
}
PRIVATE_TAB = {
    "uuid": "0D6C3A0E-4B7F-4B8A-8B3E-222222222222",
    "title": "Search",
    "url": "https://duckduckgo.com/?q=x",
    "last_viewed": datetime(2021, 7, 2, 8, 30, tzinfo=UTC),
    "private": True,
    "closed": True,
    "session": None,
}


def _build(tmp_path: Path, data: bytes, domain: str = SAFARI_DOMAIN) -> Path:
    builder = BackupBuilder()
    builder.add_file(domain, BROWSER_STATE_PATH, data)
    return builder.build(tmp_path / "backup")


def test_safari_browser_state_ios17(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, safari_browser_state_db([EXPLOIT_TAB, PRIVATE_TAB])), safari_browser_state)
    assert len(records) == 4
    tab, first, second, private = records
    assert tab.timestamp == VIEWED
    assert tab.timestamp_desc == "tab last viewed"
    assert tab.message == "Safari tab https://news.example.org/today - News - read at bit.ly/x"
    assert tab.fields["tab_uuid"] == EXPLOIT_TAB["uuid"]
    assert tab.fields["opened_from_link"] is True
    assert tab.fields["private_browsing"] is False
    assert tab.fields["history_entries"] == 2
    assert tab.fields["history_current_index"] == 1
    assert tab.fields["tab_group_uuid"] is None
    assert "session_data_error" not in tab.fields
    assert tab.observables == (Observable("url", "https://news.example.org/today"), Observable("domain", "bit.ly"))
    assert first.timestamp == VIEWED
    assert first.fields["url"] == "https://lnk.evil-cdn.com/a/7f3e"
    assert first.fields["original_url"] == "https://t.co/abc"
    assert first.fields["is_current"] is False
    assert first.fields["entry_data_size"] == 32
    assert first.message == ("Safari tab history entry 1/2: https://lnk.evil-cdn.com/a/7f3e "
                             "(first requested as https://t.co/abc)")
    assert first.observables == (Observable("url", "https://lnk.evil-cdn.com/a/7f3e"),
                                 Observable("url", "https://t.co/abc"))
    assert second.fields["is_current"] is True
    assert second.message == "Safari tab history entry 2/2: https://news.example.org/today (current page)"
    assert private.message == "Safari recently closed private tab https://duckduckgo.com/?q=x - Search"
    assert private.fields["recently_closed"] is True
    assert tab.fields["recently_closed"] is False
    assert private.timestamp == datetime(2021, 7, 2, 8, 30, tzinfo=UTC)
    assert private.fields["private_browsing"] is True
    assert private.fields["history_entries"] == 0


def test_safari_browser_state_ios14_schema(tmp_path: Path) -> None:
    data = safari_browser_state_db([EXPLOIT_TAB], variant="ios14")
    records = run_module(_build(tmp_path, data, SAFARI_APP_DOMAIN), safari_browser_state)
    assert [r.fields.get("url") for r in records] == [
        "https://news.example.org/today", "https://lnk.evil-cdn.com/a/7f3e", "https://news.example.org/today"]
    assert records[0].fields["profile_uuid"] is None


def test_safari_browser_state_ios11_session_in_tabs(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, safari_browser_state_db([EXPLOIT_TAB], variant="ios11")),
                         safari_browser_state)
    assert len(records) == 3
    assert records[1].fields["url"] == "https://lnk.evil-cdn.com/a/7f3e"


def test_safari_browser_state_deflated_session(tmp_path: Path) -> None:
    deflater = zlib.compressobj(wbits=-15)
    blob = deflater.compress(EXPLOIT_TAB["session"]) + deflater.flush()
    records = run_module(_build(tmp_path, safari_browser_state_db([dict(EXPLOIT_TAB, session=blob)])),
                         safari_browser_state)
    assert [r.fields["url"] for r in records[1:]] == ["https://lnk.evil-cdn.com/a/7f3e", "https://news.example.org/today"]


def test_safari_browser_state_empty(tmp_path: Path) -> None:
    assert run_module(_build(tmp_path, safari_browser_state_db([])), safari_browser_state) == []


def test_safari_browser_state_corrupt_database(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"BrowserState\.db: not a SQLite database$"):
        run_module(_build(tmp_path, b"\x00garbage" * 100), safari_browser_state)


@pytest.mark.parametrize("blob", [b"\x00\x00\x00\x02bplist00\xff\xff garbage", b"\x00\x00\x00\x02not a plist",
                                  b"\x00\x00\x00\x02" + b"bplist00" + b"\x00" * 40])
def test_safari_browser_state_corrupt_session_keeps_tab(tmp_path: Path, blob: bytes) -> None:
    tab = dict(EXPLOIT_TAB, session=blob)
    records = run_module(_build(tmp_path, safari_browser_state_db([tab])), safari_browser_state)
    assert len(records) == 1
    assert records[0].fields["history_entries"] == 0
    assert records[0].fields["session_data_error"]


def test_safari_browser_state_missing(tmp_path: Path) -> None:
    builder = BackupBuilder()
    builder.add_file("HomeDomain", "Library/Safari/History.db", b"x")
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    assert locate(safari_browser_state.ARTIFACT, backup) == []
    backup.close()
