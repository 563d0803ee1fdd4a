from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spyglass.errors import EvidenceError
from spyglass.modules.ios import safari_history
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import (
    SAFARI_DOMAIN,
    SAFARI_HISTORY_SCHEMA_IOS14,
    SAFARI_PATH,
    add_safari_history,
    apple_seconds,
    found_files,
    run_module,
    safari_item,
    safari_rows,
    safari_visit,
)
from tests.builders.ios_backup import BackupBuilder


def test_safari_history_normal(tmp_path):
    builder = BackupBuilder()
    add_safari_history(builder)
    records = run_module(builder, tmp_path / "b", safari_history)
    assert len(records) == 3
    plain, source, target = records
    assert plain.timestamp == datetime(2021, 7, 1, 12, 0, tzinfo=UTC)
    assert plain.fields["url"] == "https://www.example.org/"
    assert plain.fields["title"] == "Example"
    assert plain.fields["load_successful"] is True
    assert plain.fields["redirect_destination"] is None
    assert plain.fields["profile"] is None
    assert plain.observables == (Observable("url", "https://www.example.org/"),)
    assert source.fields["visit_id"] == 11
    assert source.fields["redirect_destination"] == 12
    assert source.fields["redirect_destination_url"] == "https://free247downloads.com/x/abc"
    assert source.fields["redirect_destination_time"] == apple_seconds(datetime(2021, 7, 1, 12, 10, 0, 400000, tzinfo=UTC))
    assert source.message == "Visited http://news.example.com/article, redirected to https://free247downloads.com/x/abc"
    assert target.fields["redirect_source"] == 11
    assert target.fields["redirect_source_url"] == "http://news.example.com/article"
    assert target.fields["load_successful"] is False
    assert target.timestamp == datetime(2021, 7, 1, 12, 10, 0, 400000, tzinfo=UTC)


def test_safari_history_ios17_profile_and_ios14_schema(tmp_path):
    builder = BackupBuilder(ios_version="17.4")
    add_safari_history(builder, schema=SAFARI_HISTORY_SCHEMA_IOS14)
    profile_path = "Library/Safari/Profiles/9F3C2A10-1111-2222-3333-444455556666/History.db"
    add_safari_history(builder, {
        "history_items": [safari_item(1, "https://work.example.com/")],
        "history_visits": [safari_visit(1, 1, datetime(2024, 3, 1, tzinfo=UTC), "Work")],
    }, path=profile_path)
    records = run_module(builder, tmp_path / "b", safari_history)
    assert len(records) == 4
    work = records[-1]
    assert work.fields["profile"] == "9F3C2A10-1111-2222-3333-444455556666"
    assert work.fields["url"] == "https://work.example.com/"
    assert found_files(builder, tmp_path / "c", safari_history) == [
        f"{SAFARI_DOMAIN}/{SAFARI_PATH}", f"{SAFARI_DOMAIN}/{profile_path}"]


def test_safari_history_empty(tmp_path):
    builder = BackupBuilder()
    add_safari_history(builder, {})
    assert run_module(builder, tmp_path / "b", safari_history) == []


def test_safari_history_corrupt(tmp_path):
    builder = BackupBuilder()
    builder.add_file(SAFARI_DOMAIN, SAFARI_PATH, safari_bytes()[:1500])
    with pytest.raises(EvidenceError, match=r"History\.db: corrupt SQLite database"):
        run_module(builder, tmp_path / "b", safari_history)


def test_safari_history_missing(tmp_path):
    assert found_files(BackupBuilder(), tmp_path / "b", safari_history) == []


def safari_bytes() -> bytes:
    from tests.builders.ios_artifacts_core import SAFARI_HISTORY_SCHEMA
    from tests.builders.sqlite import build_sqlite
    return build_sqlite(SAFARI_HISTORY_SCHEMA, safari_rows())
