from __future__ import annotations

from importlib.resources import files

import pytest

from spyglass.heuristics import _ios_processes, unknown_process
from spyglass.indicators.manifest import bundled_feeds
from spyglass.modules.ios import datausage
from spyglass.records import Observable
from tests.builders.ios_artifacts_core import add_datausage, datausage_rows, run_module
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_processes import (
    IOS14_DATAUSAGE,
    IOS17_DATAUSAGE,
    NORMAL_NETUSAGE,
    datausage_rows_named,
    process_record,
)

PEGASUS_STAGING = "/private/var/db/com.apple.xpc.roleaccountd.staging"


def _datausage(rows, tmp_path):
    builder = BackupBuilder()
    add_datausage(builder, rows)
    return run_module(builder, tmp_path / "b", datausage)


def _check(**records):
    return list(unknown_process.check(records))


# -- normal phones stay quiet ------------------------------------------------------------------

def test_unknown_process_normal_ios17_datausage_quiet(tmp_path):
    records = _datausage(datausage_rows_named(IOS17_DATAUSAGE), tmp_path)
    assert len(records) == 2 * len(IOS17_DATAUSAGE)
    assert _check(datausage=records) == []


def test_unknown_process_normal_ios14_datausage_quiet(tmp_path):
    records = _datausage(datausage_rows_named(IOS14_DATAUSAGE), tmp_path)
    assert _check(datausage=records) == []


def test_unknown_process_shared_builder_rows_quiet(tmp_path):
    # mobilesafari (lower case) with Apple's Safari bundle id, nsurlsessiond, WhatsApp.
    assert _check(datausage=_datausage(datausage_rows(), tmp_path)) == []


def test_unknown_process_normal_netusage_quiet():
    records = [process_record("netusage", name, bundle_id=bundle) for name, bundle in NORMAL_NETUSAGE]
    assert _check(netusage=records) == []


def test_unknown_process_system_and_app_paths_quiet():
    records = [
        process_record("ps", "launchd", "/sbin/launchd"),
        process_record("ps", "brandnewd", "/usr/libexec/brandnewd"),              # a newer iOS's daemon
        process_record("ps", "Secure Chat", "/var/containers/Bundle/Application/0B8E6F52-3E0A-4E6C-9D6B-"
                       "2C1E5A7F9D10/Secure Chat.app/Secure Chat"),
        process_record("ps", "NotificationService", "/private/var/containers/Bundle/Application/0B8E6F52-3E0A-"
                       "4E6C-9D6B-2C1E5A7F9D10/Signal.app/PlugIns/NotificationService.appex/NotificationService"),
        process_record("shutdown_log", "Home", "/private/var/staged_system_apps/Home.app/Home"),
        process_record("crash_reports", "com.apple.WebKit.WebContent",
                       "/private/preboot/Cryptexes/OS/System/Library/Frameworks/WebKit.framework/XPCServices/"
                       "com.apple.WebKit.WebContent.xpc/com.apple.WebKit.WebContent"),
        process_record("crash_reports", "debugserver", "/Developer/usr/bin/debugserver"),
        process_record("ps", "kernel_task", None),
    ]
    assert _check(ps=records[:4] + records[7:], shutdown_log=records[4:5], crash_reports=records[5:7]) == []


def test_unknown_process_process_lists_without_paths_quiet():
    # Jetsam reports and stackshots list every process in memory, installed apps included, by name.
    records = [process_record("crash_reports", name, record_type="jetsam_process")
               for name in ("WhatsApp", "Instagram", "SpringBoard", "bh")]
    assert _check(crash_reports=records) == []


def test_unknown_process_watch_quiet():
    watch = process_record("datausage", "Carousel", source="WirelessDomain/Library/Databases/DataUsage-watch.sqlite")
    proxied = process_record("netusage", "terminusd/com.apple.NanoBooks")
    assert _check(datausage=[watch], netusage=[proxied]) == []


# -- what is reported --------------------------------------------------------------------------

def test_unknown_process_pegasus_names_medium(tmp_path):
    rows = datausage_rows_named(IOS14_DATAUSAGE + (("bh", None), ("roleaccountd", None),
                                                   ("msgacntd/com.apple.datausage.general", "com.apple.datausage.general")))
    found = _check(datausage=_datausage(rows, tmp_path))
    assert [(d.severity, d.observable) for d in found] == [
        ("medium", Observable("process", "bh")),
        ("medium", Observable("process", "roleaccountd")),
        ("medium", Observable("process", "msgacntd")),
    ]
    assert found[0].heuristic == "unknown_process"
    assert found[0].record.fields["record_type"] == "process"     # one finding, not one per usage row
    assert found[0].message == (
        'A program "bh" used the network that is not one of the programs iOS ships. It may belong to an '
        "app or be a program newer than spyglass's list; spyware (Pegasus) also ran under invented names "
        "like this. If no installed app explains it, have the phone examined by an expert.")


def test_unknown_process_look_alike_medium_from_any_artifact():
    found = _check(netusage=[process_record("netusage", "Diagnosticd")],
                   crash_reports=[process_record("crash_reports", "Diagnosticd", record_type="jetsam_process")])
    assert [(d.record.module, d.severity) for d in found] == [("crash_reports", "medium"), ("netusage", "medium")]
    assert found[1].message.startswith('A program "Diagnosticd" used the network: its name is Apple\'s '
                                       '"diagnosticd" with different capital letters.')


def test_unknown_process_truncated_names():
    names = {
        "CommCenterMobile": False,          # CommCenterMobileHelper cut at 16 (MAXCOMLEN)
        "CommCenterMobil": False,           # cut at 15 by a tool counting the NUL
        "CommCenterMobi": True,             # 14: no truncation length, no program of that name
        "CommCenterMobileX": True,          # 17: not a cut, not a name
        "com.apple.Diagno": False,          # com.apple.DiagnosticsService cut at 16
        "com.apple.WebKit.Networking.Xyz": True,   # 31, but no known name begins so
    }
    found = _check(netusage=[process_record("netusage", name) for name in names])
    assert sorted(d.observable.value for d in found) == sorted(n for n, reported in names.items() if reported)


def test_unknown_process_unknown_apple_app_low():
    found = _check(netusage=[process_record("netusage", "com.apple.BrandNewApp", bundle_id="com.apple.BrandNewApp")])
    assert [(d.severity, d.observable) for d in found] == [("low", Observable("process", "com.apple.BrandNewApp"))]


def test_unknown_process_odd_paths_high():
    found = _check(
        ps=[process_record("ps", "subridged", f"{PEGASUS_STAGING}/subridged"),      # KingsPawn, named like Apple's
            process_record("ps", "bh", f"{PEGASUS_STAGING}/bh")],
        shutdown_log=[process_record("shutdown_log", "com.apple.WebKit.Networking",
                                     "/private/var/tmp/com.apple.WebKit.Networking")] * 3,
        crash_reports=[process_record("crash_reports", None, "/var/tmp/UserEventAgent"),
                       process_record("crash_reports", "x", "/System/../private/var/tmp/x")],
    )
    assert [(d.record.module, d.severity, d.observable.value) for d in found] == [
        ("crash_reports", "high", "UserEventAgent"),
        ("crash_reports", "high", "x"),
        ("ps", "high", "subridged"),
        ("ps", "high", "bh"),
    ]   # shutdown.log's clients are shutdown_lingering's (one finding, not two)
    assert found[0].message.startswith('A program named like Apple\'s own "UserEventAgent" ran from '
                                       "/var/tmp/UserEventAgent. Apple's programs live in the system folders")
    assert found[2].message.startswith('A program named like Apple\'s own "subridged" ran from')
    assert found[3].message == (
        f'An unknown program "bh" ran from {PEGASUS_STAGING}/bh, a folder where iOS keeps no programs. Spyware '
        "runs from such folders (Pegasus from /private/var/db/, Predator from /private/var/tmp/). Have the "
        "phone examined by an expert.")


def test_unknown_process_hostile_fields_ignored():
    records = [process_record("ps", None), process_record("ps", "   "), process_record("ps", "relative", "bin/x")]
    records.append(records[0].__class__(timestamp=None, timestamp_desc="", message="", module="ps",
                                        fields={"process_name": ["bh"], "process_path": 7}))
    assert _check(ps=records) == []
    assert _check(netusage=[process_record("netusage", "x" * 5000)])[0].observable.value == "x" * 1024


def test_unknown_process_keep_only_program_records():
    assert unknown_process.HEURISTIC.keep(process_record("ps", "bh"))
    assert not unknown_process.HEURISTIC.keep(process_record("ps", None))


# -- the list ----------------------------------------------------------------------------------

def test_unknown_process_indicator_process_names_all_unknown():
    # Every process name the bundled feeds list as spyware must stay unknown, or the list would
    # hide it. BackupAgent is Apple's own (deprecated) program that Triangulation ran as; the
    # operation_triangulation heuristic reports it.
    names = {i.original for feed in bundled_feeds() for i in feed.indicators if i.type == "process"}
    assert len(names) > 60
    assert sorted(n for n in names if _ios_processes.is_known(n)) == ["BackupAgent"]


@pytest.mark.parametrize(("name", "known"), [
    ("nsurlsessiond", True), ("com.apple.WebKit.WebContent", True), ("MobileSafari", True),
    ("mobilesafari", False), ("com.apple.kbd", True), ("com.apple.mobilesafari", True), ("kernel_task", True),
    ("syslogd", True), ("Weather", True), ("bh", False), ("", False), ("com.apple.", False), (None, False),
])
def test_unknown_process_is_known(name, known):
    assert _ios_processes.is_known(name) is known


@pytest.mark.parametrize(("path", "where"), [
    ("/usr/libexec/nehelper", "system"), ("/System/Library/CoreServices/SpringBoard.app/SpringBoard", "system"),
    ("/private/var/containers/Bundle/Application/UUID/Signal.app/Signal", "app"),
    ("/var/containers/Bundle/Application/UUID/Signal.app/PlugIns/N.appex/N", "app"),
    ("/private/var/containers/Bundle/Application/UUID/evil", "odd"),
    ("/private/var/containers/Bundle/Application/UUID/Signal.app/../../../../../tmp/x", "odd"),
    ("/private/var/db/com.apple.xpc.roleaccountd.staging/bh", "odd"), ("/tmp/x", "odd"),
    ("/private/var/mobile/Library/x", "odd"),
])
def test_unknown_process_place(path, where):
    assert _ios_processes.place(path) == where


def test_unknown_process_list_file_is_clean():
    text = (files("spyglass") / "data" / _ios_processes.DATA_FILE).read_text(encoding="utf-8")
    names = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(names) == len(set(names)) > 2900
    assert all(line == line.strip() and "/" not in line for line in names)
    header = text.split("\n# -- A.", 1)[0]
    for source in ("Lessica/iOS-Entitlements-Database", "jjolano/shadow (MIT)", "log2timeline/plaso (Apache-2.0)",
                   "Refresh:"):
        assert source in header
