"""app_bundles: the apps installed in /private/var/containers/Bundle/Application on a dump, and where
each came from, with the meaning backup_info gives its application records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from spyglass.acquisitions import open_acquisition
from spyglass.heuristics import apps_outside_store
from spyglass.modules import discover
from spyglass.records import Observable, Record
from spyglass.runner import ModuleResult, run_module
from tests.builders.ios_artifacts_core import itunes_metadata
from tests.builders.ios_fs import FilesystemBuilder
from tests.builders.ios_webdata import add_app_bundle

INSTALLED = datetime(2023, 6, 1, 9, 30, tzinfo=UTC)
BUNDLES = "/private/var/containers/Bundle/Application"


def _run(tmp_path: Path, dump: FilesystemBuilder) -> tuple[list[Record], ModuleResult]:
    dump.add("private/var/mobile/Library/Preferences/.keep", b"")
    acquisition = open_acquisition(dump.build_folder(tmp_path / "dump"))
    [module] = [m for m in discover("ios") if m.name == "app_bundles"]
    result = ModuleResult(module.name, module.artifact.description)
    records = list(run_module(module, acquisition, result))
    acquisition.close()
    return records, result


def store_dump() -> FilesystemBuilder:
    dump = FilesystemBuilder()
    add_app_bundle(dump, "net.whatsapp.WhatsApp", "WhatsApp", installed=INSTALLED,
                   metadata=itunes_metadata("net.whatsapp.WhatsApp", "WhatsApp Messenger", "WhatsApp Inc."))
    add_app_bundle(dump, "org.example.beta", "Beta", installed=INSTALLED, metadata=itunes_metadata(
        "org.example.beta", "Beta App", "Example Org", source_app="com.apple.TestFlight", item_id=1))
    add_app_bundle(dump, "com.corp.agent", "Agent", installed=INSTALLED, provision=True)
    add_app_bundle(dump, "com.example.shop", "Shop", installed=INSTALLED, metadata=itunes_metadata(
        "com.example.shop", "Shop", "Example", source_app="com.apple.AppStore.ProductPageExtension"))
    add_app_bundle(dump, "com.apple.Pages", "Pages", installed=INSTALLED,
                   metadata=itunes_metadata("com.apple.Pages", "Pages", "Apple"))
    return dump


def test_app_bundles_ios17(tmp_path: Path) -> None:
    dump = store_dump()
    records, result = _run(tmp_path, dump)
    assert (result.status, result.errors, len(records)) == ("ok", [], 5)
    by_id = {r.fields["bundle_id"]: r for r in records}
    whatsapp = by_id["net.whatsapp.WhatsApp"]
    folder = "/" + dump.containers["net.whatsapp.WhatsApp"]
    assert whatsapp.timestamp == INSTALLED
    assert whatsapp.timestamp_desc == "app installed"
    assert whatsapp.source == folder
    assert whatsapp.message == "App bundle net.whatsapp.WhatsApp (WhatsApp Messenger) installed from the App Store"
    assert whatsapp.fields == {
        "record_type": "application", "bundle_id": "net.whatsapp.WhatsApp", "name": "WhatsApp Messenger",
        "artist": "WhatsApp Inc.", "version": "221", "short_version": "2.21.1", "path": f"{folder}/WhatsApp.app",
        "container_class": None, "has_itunes_metadata": True, "itunes_metadata_error": None,
        "source_app": "com.apple.AppStore", "from_app_store": True, "purchase_date": "2020-05-04T09:08:07Z",
        "item_id": 310633997, "genre": "Social Networking", "is_apple": False, "bundle_container": folder,
        "install_date": "2023-06-01T09:30:00Z", "install_build": "21F90", "install_type": 1,
        "embedded_mobileprovision": False, "process_name": "WhatsApp",
        "process_path": f"{folder}/WhatsApp.app/WhatsApp", "errors": {}}
    assert whatsapp.observables == (Observable("app_id", "net.whatsapp.WhatsApp"), Observable("process", "WhatsApp"),
                                    Observable("file_path", f"{folder}/WhatsApp.app/WhatsApp"))
    beta, agent = by_id["org.example.beta"], by_id["com.corp.agent"]
    assert (beta.fields["from_app_store"], beta.fields["source_app"]) == (False, "com.apple.TestFlight")
    assert beta.message == ("App bundle org.example.beta (Beta App) installed from outside the App Store "
                            "(com.apple.TestFlight)")
    assert {k: agent.fields[k] for k in ("from_app_store", "has_itunes_metadata", "source_app", "name",
                                          "embedded_mobileprovision", "purchase_date")} == {
        "from_app_store": False, "has_itunes_metadata": False, "source_app": None, "name": "Agent",
        "embedded_mobileprovision": True, "purchase_date": None}
    assert agent.message == "App bundle com.corp.agent (Agent) installed from outside the App Store (no store metadata)"
    assert by_id["com.example.shop"].fields["from_app_store"] is True
    assert by_id["com.apple.Pages"].fields["is_apple"] is True


def test_app_bundles_older_ios_without_bundle_metadata(tmp_path: Path) -> None:
    # Before BundleMetadata.plist, and iTunesMetadata written before `sourceApp` was: installer unknown.
    dump = FilesystemBuilder()
    metadata = itunes_metadata("net.whatsapp.WhatsApp", "WhatsApp Messenger", "WhatsApp Inc.", source_app=None)
    add_app_bundle(dump, "net.whatsapp.WhatsApp", "WhatsApp", metadata=metadata)
    [record], result = _run(tmp_path, dump)
    assert result.status == "ok"
    assert record.timestamp == datetime(2020, 5, 4, 9, 8, 7, tzinfo=UTC)
    assert record.timestamp_desc == "app purchased"
    assert (record.fields["from_app_store"], record.fields["install_date"], record.fields["install_build"]) == (
        None, None, None)
    assert record.message == "App bundle net.whatsapp.WhatsApp (WhatsApp Messenger) installed from an unknown source"


def test_app_bundles_empty(tmp_path: Path) -> None:
    records, result = _run(tmp_path, FilesystemBuilder())
    assert (records, result.status, result.errors) == ([], "not present", [])


def test_app_bundles_corrupt_plists(tmp_path: Path) -> None:
    dump = FilesystemBuilder()
    add_app_bundle(dump, "com.corp.agent", "Agent", metadata=b"bplist00 truncated", info=b"\x00garbage",
                   installed=INSTALLED)
    bundle = dump.containers["com.corp.agent"]
    dump.add(f"{bundle}/BundleMetadata.plist", b"<plist><dict><key>installDate</key><string>soon</string></dict></plist>")
    [record], result = _run(tmp_path, dump)
    assert (result.status, result.errors) == ("ok", [])
    fields = record.fields
    # The bundle id from the container's metadata; nothing concluded from metadata that cannot be read.
    assert (fields["bundle_id"], fields["from_app_store"], fields["has_itunes_metadata"]) == ("com.corp.agent", None, False)
    assert fields["itunes_metadata_error"].startswith(f"/{bundle}/iTunesMetadata.plist: not a valid plist")
    assert sorted(fields["errors"]) == ["info", "itunes"]
    assert fields["errors"]["info"].startswith(f"/{bundle}/Agent.app/Info.plist: not a valid plist")
    assert (fields["path"], fields["process_name"], fields["install_date"]) == (f"/{bundle}/Agent.app", None, None)
    assert record.timestamp is None
    assert record.observables == (Observable("app_id", "com.corp.agent"),)


def test_app_bundles_records_fit_apps_outside_store(tmp_path: Path) -> None:
    # The heuristic reads backup_info's application records; app_bundles' carry the same fields.
    records, _ = _run(tmp_path, store_dump())
    detections = list(apps_outside_store.check({"backup_info": records}))
    assert sorted((d.observable.value, d.severity) for d in detections) == [
        ("com.corp.agent", "medium"), ("org.example.beta", "low")]
