from __future__ import annotations

from spyglass.heuristics import apps_outside_store
from spyglass.modules.ios import backup_info
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import add_apps, itunes_metadata, run_module
from tests.builders.ios_backup import BackupBuilder


def test_apps_outside_store_found(tmp_path):
    builder = BackupBuilder()
    add_apps(builder)
    builder.add_app("eu.market.app", itunes_metadata=itunes_metadata("eu.market.app", "M", "M",
                                                                    source_app="eu.altstore.AltStore"))
    records = run_module(builder, tmp_path / "b", backup_info)
    found = list(apps_outside_store.check({"backup_info": records}))
    assert [(d.observable, d.severity) for d in found] == [
        (Observable("app_id", "com.corp.agent"), "medium"),
        (Observable("app_id", "eu.market.app"), "medium"),
        (Observable("app_id", "org.example.beta"), "low"),
    ]
    assert "eu.altstore.AltStore" in found[1].message


def test_apps_outside_store_near_miss(tmp_path):
    # App Store apps, Apple's own apps without metadata, and metadata naming no installer.
    builder = BackupBuilder()
    builder.add_app("net.whatsapp.WhatsApp", itunes_metadata=itunes_metadata("net.whatsapp.WhatsApp", "W", "W"))
    builder.add_app("com.apple.Pages")
    builder.add_app("com.example.old", itunes_metadata=itunes_metadata("com.example.old", "O", "O", source_app=None))
    records = run_module(builder, tmp_path / "b", backup_info)
    assert list(apps_outside_store.check({"backup_info": records})) == []
