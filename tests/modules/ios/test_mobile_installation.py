"""mobile_installation.log: app installs, updates and removals, in a sysdiagnose and on a dump."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from spyglass.modules.ios import mobile_installation
from spyglass.records import Observable
from tests.builders.ios_fs import FilesystemBuilder, system_version
from tests.builders.sysdiagnose_artifacts import (
    SIGNAL_BUNDLE,
    SIGNAL_DATA,
    mi_line,
    mobile_installation_log,
    mobile_installation_log_ios12,
    run_on,
    run_sysdiagnose,
    sources_on,
)

LOG = "logs/MobileInstallation/mobile_installation.log.0"
# The builder's sysdiagnose is named ..._2024.06.01_10-00-00-0700_...: UTC-7 is applied.


def test_mobile_installation_sysdiagnose(tmp_path: Path) -> None:
    records = run_sysdiagnose(tmp_path, {LOG: mobile_installation_log()}, mobile_installation)
    assert [r.fields["event"] for r in records] == [
        "reboot", "install_started", "data_container_moved", "container_created", "install_succeeded", "uninstall",
        "container_destroyed", "install_requested"]
    started = records[1]
    assert started.timestamp == datetime(2025, 4, 7, 13, 13, 50, tzinfo=UTC)
    assert started.message == "Installing org.whispersystems.signal version 7.53 (703)"
    assert started.fields == {
        "record_type": "install_event", "event": "install_started", "bundle_id": "org.whispersystems.signal",
        "version": "703", "short_version": "7.53", "logged_at": "2025-04-07T13:13:50Z",
        "local_time": "2025-04-07 06:13:50", "time_zone_known": True, "utc_offset": "-07:00", "installd_pid": 234,
        "level": "notice", "method": "-[MIInstaller _installInstallable:containingSymlink:error:]",
        "message": "-[MIInstaller _installInstallable:containingSymlink:error:]: Installing <MIInstallableBundle "
                   "ID=org.whispersystems.signal; Version=703, ShortVersion=7.53>"}
    assert started.observables == (Observable("app_id", "org.whispersystems.signal"),)
    moved = records[2]
    assert moved.fields["path"] == SIGNAL_DATA
    assert moved.observables == (Observable("app_id", "org.whispersystems.signal"), Observable("file_path", SIGNAL_DATA))
    assert records[3].fields["path"] == SIGNAL_BUNDLE
    assert records[3].message == f"Container made live for org.whispersystems.signal at {SIGNAL_BUNDLE}"
    succeeded = records[4]
    assert (succeeded.fields["install_type"], succeeded.fields["bundle_id"], succeeded.fields["distributor"]) == (
        "Customer", "org.whispersystems.signal", None)
    assert succeeded.message == "Installed org.whispersystems.signal (Customer)"
    destroyed = records[6]
    assert destroyed.timestamp == datetime(2025, 4, 7, 14, 40, 47, tzinfo=UTC)
    assert (destroyed.fields["persona"], destroyed.fields["path"], destroyed.fields["level"]) == (
        "8A4A857A-0269-4861-BE19-06B76B941887", SIGNAL_DATA, "err")
    requested = records[7]
    assert (requested.fields["bundle_id"], requested.fields["install_type"], requested.fields["requested_by"],
            requested.fields["requester_pid"], requested.fields["process_name"]) == (
        "com.fiore.trolldecrypt", "Customer", "trollstorehelper", 454, "trollstorehelper")
    assert requested.observables == (Observable("app_id", "com.fiore.trolldecrypt"),
                                     Observable("process", "trollstorehelper"))
    # The line without a timestamp continues the entry above it.
    assert requested.fields["message"].endswith("\ncontinuation line of a multi-line message, kept with the line above")
    assert records[0].message == "Reboot detected by the installer"
    assert records[0].observables == ()


def test_mobile_installation_ios12_wording_on_dump(tmp_path: Path) -> None:
    dump = FilesystemBuilder()
    dump.add("System/Library/CoreServices/SystemVersion.plist", system_version("12.5.7", "16H81"))
    folder = "private/var/installd/Library/Logs/MobileInstallation"
    dump.add(f"{folder}/mobile_installation.log.0", mobile_installation_log_ios12())
    dump.add(f"{folder}/mobile_installation.log.1", b"")
    path = dump.build_folder(tmp_path / "dump")
    assert sources_on(path, mobile_installation) == [f"/{folder}/mobile_installation.log.0",
                                                     f"/{folder}/mobile_installation.log.1"]
    created, destroyed = run_on(path, mobile_installation)
    vpn = "/private/var/mobile/Containers/Data/VPNPlugin/BD579B95-919D-42D5-B135-916C6BB2522F"
    assert (destroyed.fields["event"], destroyed.fields["bundle_id"], destroyed.fields["path"]) == (
        "container_destroyed", "com.cisco.anyconnect.applevpn.plugin", vpn)
    assert destroyed.fields["persona"] is None
    # No zone is known outside a sysdiagnose: the local time is taken as UTC, and said so.
    assert created.timestamp == datetime(2019, 7, 27, 12, 0, 5, tzinfo=UTC)
    assert (created.fields["time_zone_known"], created.fields["utc_offset"]) == (False, None)
    assert created.observables == (Observable("app_id", "com.cisco.anyconnect.applevpn.plugin"),
                                   Observable("file_path", vpn))


def test_mobile_installation_other_entries_skipped(tmp_path: Path) -> None:
    data = (mi_line("Mon Apr  7 06:13:34 2025", "-[MIInstaller _onRegistrationQueue_registerInstalledInfo:error:]: "
                    "Successfully registered [org.whispersystems.signal/PersonalPersonaPlaceholderString] for 501",
                    level="err") + "\n").encode()
    assert run_sysdiagnose(tmp_path, {LOG: data}, mobile_installation) == []


def test_mobile_installation_placeholder_and_distributor(tmp_path: Path) -> None:
    data = "\n".join([
        mi_line("Mon Aug 11 14:09:38 2025", "-[MIInstaller performInstallationWithError:]: Install Successful for "
                "(Placeholder:com.example.flutterHelloWorld1xz782); Staging: 0.01s; Overall: 0.25s"),
        mi_line("Tue Aug 12 09:00:00 2025", "-[MIInstaller performInstallationWithError:]: Install Successful for "
                "(Customer:com.example.app) [Distributor: com.apple.AppStore]; Staging: 0.01s"),
        mi_line("Tue Aug 12 09:00:01 2025", "-[MIInstaller performInstallationWithError:]: Install Failed for "
                "(Customer:com.example.bad)"),
    ]).encode()
    records = run_sysdiagnose(tmp_path, {LOG: data}, mobile_installation)
    assert [(r.fields["event"], r.fields["install_type"], r.fields["bundle_id"], r.fields.get("distributor"))
            for r in records] == [
        ("install_succeeded", "Placeholder", "com.example.flutterHelloWorld1xz782", None),
        ("install_succeeded", "Customer", "com.example.app", "com.apple.AppStore"),
        ("install_failed", "Customer", "com.example.bad", None)]


def test_mobile_installation_empty(tmp_path: Path) -> None:
    assert run_sysdiagnose(tmp_path, {LOG: b"", "logs/MobileInstallation/mobile_installation.log.1": b"\n"},
                           mobile_installation) == []


def test_mobile_installation_corrupt(tmp_path: Path) -> None:
    # Random bytes hold no entry; an impossible date keeps the entry without a timestamp.
    data = bytes(range(256)) * 4 + b"\n" + mi_line("Mon Feb 30 10:00:00 2025", "Uninstalling identifier x.y").encode()
    [record] = run_sysdiagnose(tmp_path, {LOG: data}, mobile_installation)
    assert record.timestamp is None
    assert (record.fields["event"], record.fields["bundle_id"], record.fields["local_time"]) == (
        "uninstall", "x.y", "2025-02-30 10:00:00")


def test_mobile_installation_missing(tmp_path: Path) -> None:
    assert run_sysdiagnose(tmp_path, {"ps.txt": b"USER PID COMMAND\n"}, mobile_installation) == []
