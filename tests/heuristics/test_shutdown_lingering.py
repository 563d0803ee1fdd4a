from __future__ import annotations

import json

import pytest

from spyglass.check import check as run_check
from spyglass.heuristics import shutdown_lingering
from spyglass.indicators import IndicatorIndex, load_paths
from spyglass.records import Observable, Record, parse_iso
from tests.builders.shutdown_log import (
    IOS26_SYSDIAGNOSE,
    MOBILE_LIBRARY,
    PEGASUS,
    PREDATOR,
    SYSDIAGNOSE_PATH_ROTATED,
    UUID_ROLEXD,
    ios26_log,
)
from tests.builders.sysdiagnose import SysdiagnoseBuilder
from tests.indicators.stix_bundles import related_bundle, write

ADVICE = ("iOS's own programs and apps are never kept there; spyware such as Pegasus and Predator was found "
          "this way (Kaspersky, 2024). Seek expert help, and keep the phone as it is")
WORKSPACE = "/private/var/db/com.apple.xpc.roleaccountd.staging/exec/16777224.1.xpc/com.apple.NRD.UpdateBrainService"


def client(path: str | None, when: str | None = "2024-02-01T00:00:00Z", number: int = 1,
           source: str = "system_logs.logarchive/Extra/shutdown.log") -> Record:
    """A client record as the shutdown_log module yields it."""
    name = path.rsplit("/", 1)[-1] if path else "kernel_task"
    return Record(timestamp=parse_iso(when) if when else None, timestamp_desc="shutdown: client still running",
                  message="", module="shutdown_log", source=source,
                  fields={"record_type": "client", "reboot_number": number, "reboot_time": when, "pid": 2143,
                          "client": path or name, "process_path": path, "process_name": name})


def findings(*records: Record) -> list[tuple[str, str, Observable | None]]:
    kept = [record for record in records if shutdown_lingering.HEURISTIC.keep(record)]
    return [(d.severity, d.message, d.observable) for d in shutdown_lingering.check({"shutdown_log": kept})]


@pytest.mark.parametrize(("path", "where"), [
    pytest.param(PEGASUS, "in the folder where Pegasus hid its programs "
                          "(/private/var/db/com.apple.xpc.roleaccountd.staging/)", id="pegasus-staging"),
    pytest.param("/private/var/db/msgacntd", "in /private/var/db/, where Pegasus ran from", id="var-db"),
    pytest.param(PREDATOR, "in /private/var/tmp/, where Predator ran from", id="predator-var-tmp"),
    pytest.param(MOBILE_LIBRARY, "in a folder where iOS keeps no programs", id="mobile-library"),
    pytest.param("/private/var/root/Library/x", "in a folder where iOS keeps no programs", id="var-root"),
    pytest.param("/usrx/bin/fake", "in a folder where iOS keeps no programs", id="prefix-is-whole-components"),
    # Apple's workspace shape only with numbers and exactly one program below it.
    pytest.param("/private/var/db/com.apple.xpc.roleaccountd.staging/exec/evil.xpc/bh",
                 "in the folder where Pegasus hid its programs (/private/var/db/com.apple.xpc.roleaccountd.staging/)",
                 id="workspace-not-numeric"),
    pytest.param("/private/var/db/com.apple.xpc.roleaccountd.staging/exec/1.1.xpc/drop/bh",
                 "in the folder where Pegasus hid its programs (/private/var/db/com.apple.xpc.roleaccountd.staging/)",
                 id="workspace-deeper"),
])
def test_shutdown_lingering_outside_program_folders_is_high(path, where):
    name = path.rsplit("/", 1)[-1]
    assert findings(client(path)) == [(
        "high", f"The program {name} ({path}) was still running when the phone restarted on 2024-02-01T00:00:00Z, "
                f"and it ran {where}. {ADVICE}", Observable("file_path", path))]


@pytest.mark.parametrize(("logged", "compared"), [
    pytest.param("/var/tmp/agentd", PREDATOR, id="var-alias"),
    pytest.param("/tmp/agentd", PREDATOR, id="tmp-alias"),
    pytest.param("/usr/libexec/../../private/var/tmp/agentd", PREDATOR, id="dots-resolved"),
    pytest.param("/System//../private/var/tmp/agentd", PREDATOR, id="double-slash-and-dots"),
])
def test_shutdown_lingering_path_compared_resolved(logged, compared):
    [(severity, message, observable)] = findings(client(logged))
    assert (severity, observable) == ("high", Observable("file_path", compared))
    assert f"({compared})" in message


@pytest.mark.parametrize("path", [
    "/usr/libexec/nfcd", "/usr/sbin/filecoordinationd", "/sbin/launchd", "/bin/ps",
    "/System/Library/PrivateFrameworks/MediaRemote.framework/Support/mediaremoted",
    "/System/Library/CoreServices/SpringBoard.app/SpringBoard",
    "/System/Cryptexes/App/usr/libexec/com.apple.Safari.History",
    "/private/preboot/Cryptexes/OS/System/Library/ExtensionKit/Extensions/NetworkingExtension.appex/"
    "com.apple.WebKit.Networking",
    "/private/preboot/Cryptexes/App/usr/libexec/com.apple.Safari.History",
    "/Applications/MobileMail.app/MobileMail",
    "/private/var/containers/Bundle/Application/3B5C2A1E-7F4D-4E8A-9C1B-2D6E8F0A1B3C/WhatsApp.app/WhatsApp",
    "/var/containers/Bundle/Application/97B815C8/MobileSafari.app/MobileSafari",
    "/private/var/staged_system_apps/MobileSafari.app/MobileSafari",
    "/Developer/usr/bin/debugserver",
    "/kernel",
])
def test_shutdown_lingering_ios_program_folders_not_reported(path):
    assert findings(client(path)) == []


def test_shutdown_lingering_client_without_path_not_reported():
    assert findings(client(None)) == []
    assert findings(client("relative/bin/x")) == []


def test_shutdown_lingering_apple_workspace_is_low():
    assert findings(client(WORKSPACE)) == [(
        "low", "The program com.apple.NRD.UpdateBrainService was still running when the phone restarted on "
               f"2024-02-01T00:00:00Z, from {WORKSPACE}: a workspace iOS uses for its own helpers (for instance "
               "while installing an update), inside the folder Pegasus also used. Worth a look only alongside "
               "other signs", Observable("file_path", WORKSPACE))]


def test_shutdown_lingering_one_finding_per_program_across_reboots_and_copies():
    records = [client(PEGASUS, "2024-02-15T00:00:00Z", 4), client(PEGASUS, "2024-02-01T00:00:00Z", 3),
               client(PEGASUS, "2024-02-01T00:00:00Z", 1, source="system_logs.logarchive/Extra/shutdown.0.log"),
               client(PEGASUS, None, 5), client("/usr/libexec/nfcd")]
    detections = list(shutdown_lingering.check({"shutdown_log": records}))
    assert [(d.severity, d.record.fields["reboot_number"]) for d in detections] == [("high", 3)]
    assert detections[0].message.startswith(
        f"The program rolexd ({PEGASUS}) was still running at 3 restarts of the phone, from 2024-02-01T00:00:00Z "
        "to 2024-02-15T00:00:00Z, and it ran in the folder where Pegasus hid its programs")


def test_shutdown_lingering_undated_shutdown():
    [(_, message, _)] = findings(client(PREDATOR, None))
    assert message.startswith(f"The program agentd ({PREDATOR}) was still running when the phone was shutting "
                              "down (the log gives no time), and it ran in /private/var/tmp/")


def test_shutdown_lingering_keeps_only_client_records():
    reboot = Record(None, "shutdown (reboot)", "", {"record_type": "reboot"}, module="shutdown_log")
    assert shutdown_lingering.HEURISTIC.keep(reboot) is False
    assert shutdown_lingering.HEURISTIC.keep(client(PEGASUS)) is True


def test_shutdown_lingering_check_on_sysdiagnose_with_indicator(tmp_path):
    # An iOS 26 sysdiagnose whose shutdown.0.log lists a Pegasus process: the STIX process
    # indicator matches through the record's observables, and the heuristic reports the folder.
    archive = SysdiagnoseBuilder(name=IOS26_SYSDIAGNOSE).add(
        SYSDIAGNOSE_PATH_ROTATED, ios26_log(with_spyware=True)).build_tar(tmp_path)
    feed = write(tmp_path / "feeds" / "pegasus.stix2", related_bundle(["[process:name = 'rolexd']"]))
    feeds = load_paths([feed])
    outcome = run_check(archive, tmp_path / "case", feeds, IndicatorIndex(feeds))
    rows = [json.loads(line) for line in (tmp_path / "case" / "detections.jsonl").read_text().splitlines()]
    assert outcome.case["modules"]["shutdown_log"]["status"] == "ok"
    assert outcome.case["modules"]["shutdown_log"]["records"] == 4
    indicator = [(d["module"], d["severity"], d["observable"], d["indicator"]["type"], d["indicator"]["value"],
                  d["indicator"]["malware"], d["record"]["fields"]["client"])
                 for d in rows if d["kind"] == "indicator" and d["module"] == "shutdown_log"]
    assert indicator == [("shutdown_log", "critical", {"type": "process", "value": "rolexd"}, "process", "rolexd",
                          "Pegasus", f"{PEGASUS}/{UUID_ROLEXD}")]
    suspicious = [(d["module"], d["heuristic"], d["severity"], d["observable"], d["source"])
                  for d in rows if d.get("heuristic") in ("shutdown_lingering", "shutdown_many_delays")]
    assert suspicious == [("shutdown_log", "shutdown_lingering", "high", {"type": "file_path", "value": PEGASUS},
                           SYSDIAGNOSE_PATH_ROTATED)]
