"""Custody windows (spyglass/custody.py): what a real check of a built bug report records in a
span, which sources cover it; `--custody` on check, recheck and report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from spyglass.check import check
from spyglass.cli import main
from spyglass.custody import custody, parse_window
from spyglass.indicators import IndicatorIndex, load_paths
from tests.builders.custody import WINDOW, custody_bugreport, custody_feed

PARIS = timezone(timedelta(hours=2))


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("custody")
    feed = custody_feed(root / "feed.stix2")
    check(custody_bugreport(root / "in"), root / "case", [], IndicatorIndex(load_paths([feed])))
    return root / "case"


def test_parse_window_with_offsets() -> None:
    assert parse_window(WINDOW) == (datetime(2024, 5, 30, 10, 0, tzinfo=PARIS), datetime(2024, 5, 30, 18, 0, tzinfo=PARIS))
    assert parse_window(" 2024-10-03T07:00Z .. 2024-10-03T16:30:00.5+00:00 ") == (
        datetime(2024, 10, 3, 7, 0, tzinfo=UTC), datetime(2024, 10, 3, 16, 30, 0, 500000, tzinfo=UTC))


@pytest.mark.parametrize(("text", "message"), [
    ("2024-10-03T09:00+02:00", r"give the window as START\.\.END"),
    ("2024-10-03T09:00..2024-10-03T18:30+02:00", r"start '2024-10-03T09:00' has no UTC offset: add"),
    ("2024-10-03T09:00+02:00..2024-10-03T18:30", r"end '2024-10-03T18:30' has no UTC offset"),
    ("2024-10-03T18:30+02:00..2024-10-03T09:00+02:00", r"ends \(2024-10-03T09:00\+02:00\) before it starts"),
    ("2024-10-03T09:00+02:00..2024-10-03T09:00+02:00", r"ends .* before it starts"),
    ("yesterday..today", r"start 'yesterday' is not an ISO 8601 time"),
    ("2024-10-03..2024-10-04", r"start '2024-10-03' is a date: give a time with its offset"),
])
def test_parse_window_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_window(text)


def test_custody_exact_membership(case: Path) -> None:
    document = custody(case, *parse_window(WINDOW), WINDOW)
    assert document["window"] == {"given": WINDOW, "start": "2024-05-30T08:00:00Z", "end": "2024-05-30T16:00:00Z",
                                  "start_local": "2024-05-30T10:00:00+02:00", "end_local": "2024-05-30T18:00:00+02:00"}
    # inside: the install and the accessibility use of com.spy.helper, both findings; outside: the rest
    assert [(e["time_local"], e["category"], e["module"], e["message"], bool(e["findings"]))
            for e in document["events"]] == [
        ("2024-05-30T11:26:18+02:00", "app", "dumpsys_package_events",
         "Package com.spy.helper installed (version 120034)", True),
        ("2024-05-30T14:00:00+02:00", "accessibility", "dumpsys_appops",
         "com.spy.helper: ACCESS_ACCESSIBILITY (allow)", True),
    ]
    assert (document["events_total"], document["events_left_out"]) == (2, 0)
    assert document["by_category"] == {"accessibility": 1, "app": 1}
    text = json.dumps(document["events"])
    assert "com.old.game" not in text and "com.music.player" not in text and "com.other.reader" not in text
    assert [(f["time_local"], f["module"], f["kind"]) for f in document["findings"]] == [
        ("2024-05-30T11:26:18+02:00", "dumpsys_package_events", "indicator"),
        ("2024-05-30T14:00:00+02:00", "dumpsys_appops", "indicator")]
    assert [e["findings"] for e in document["events"]] == [[f["id"]] for f in document["findings"]]
    # the enabled accessibility service has no time: said apart, never placed in the window
    assert [(u["category"], u["module"], u["message"]) for u in document["undated"]] == [
        ("accessibility", "dumpsys_accessibility", "Accessibility service com.spy.helper/com.spy.helper.KeyService (enabled)")]


def test_custody_coverage_statement(case: Path) -> None:
    document = custody(case, *parse_window(WINDOW), WINDOW)
    coverage = {c["module"]: c for c in document["coverage"]}
    assert coverage["dumpsys_package_events"] == {
        "module": "dumpsys_package_events", "records": 3, "timed": 3, "earliest": "2024-05-29T08:30:00Z",
        "latest": "2024-05-31T09:00:00Z", "coverage": "covers"}
    assert coverage["dumpsys_appops"] == {
        "module": "dumpsys_appops", "records": 2, "timed": 2, "earliest": "2024-05-28T07:00:00Z",
        "latest": "2024-05-30T12:00:00Z", "coverage": "partly", "from": "2024-05-30T08:00:00Z",
        "to": "2024-05-30T12:00:00Z", "latest_only": True}
    assert coverage["android_acquisition"]["coverage"] == "after"
    assert coverage["dumpsys_accessibility"]["coverage"] == "no times"
    assert coverage["dumpsys_adb"]["coverage"] == "not present"
    absent = sum(1 for c in document["coverage"] if c["coverage"] in ("not present", "no records", "missing", "error"))
    assert document["statement"] == [
        "From 2024-05-30T10:00:00+02:00 to 2024-05-30T18:00:00+02:00 (8 hours), the acquisition records 2 events "
        "from 2 sources; 2 findings among them.",
        "Sources whose records span the whole window: dumpsys_package_events.",
        "Sources whose records span part of it: dumpsys_appops (from 2024-05-30T10:00:00+02:00 to "
        "2024-05-30T14:00:00+02:00).",
        "Sources that begin after the window, so could not have seen it: android_acquisition.",
        "Sources with no times, which cannot say when anything happened: android_getprop and dumpsys_accessibility.",
        "Only the latest time of each thing is kept by dumpsys_appops: an earlier event in the window may have "
        "been overwritten.",
        f"{absent} other sources had nothing to read in this acquisition or could not read it (custody.json lists "
        "them).",
        "1 setting in force when the acquisition was made (accessibility services, device administrators, "
        "debugging keys, profiles) has no time: whether it began in the window cannot be told.",
    ]


def test_custody_nothing_seen_where_nothing_could_be_seen(case: Path) -> None:
    window = "2019-01-01T00:00+00:00..2019-01-02T00:00+00:00"
    document = custody(case, *parse_window(window), window)
    assert document["events"] == [] and document["findings"] == []
    assert document["statement"][0] == ("From 2019-01-01T00:00:00+00:00 to 2019-01-02T00:00:00+00:00 (24 hours), "
                                        "the acquisition records nothing.")
    assert "No source of this acquisition has records around the window: that nothing is listed does not mean " \
           "that nothing happened." in document["statement"]
    # a window every timed source spans but where nothing was recorded: those sources are named
    window = "2024-05-29T12:00+02:00..2024-05-29T13:00+02:00"
    document = custody(case, *parse_window(window), window)
    assert "These could have seen the window and recorded nothing in it: dumpsys_appops and " \
           "dumpsys_package_events." in document["statement"]


def test_custody_deterministic(case: Path) -> None:
    start, end = parse_window(WINDOW)
    assert json.dumps(custody(case, start, end, WINDOW)) == json.dumps(custody(case, start, end, WINDOW))


def test_cli_custody_on_check_recheck_report(case: Path, tmp_path: Path) -> None:
    evidence = next((case.parent / "in").iterdir())
    feed = case.parent / "feed.stix2"
    out = tmp_path / "case"
    result = CliRunner().invoke(main, ["check", str(evidence), "--iocs", str(feed), "-o", str(out), "--no-html",
                                       "--custody", WINDOW], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    written = json.loads((out / "custody.json").read_text())
    assert written == custody(out, *parse_window(WINDOW), WINDOW)
    assert "FINDING" in result.output and "com.spy.helper" in result.output and "2024-05-30 11:26:18" in result.output
    assert "Sources whose records span the whole window: dumpsys_package_events." in result.output
    (out / "custody.json").unlink()
    result = CliRunner().invoke(main, ["recheck", str(out), "--iocs", str(feed), "--no-html", "--custody", WINDOW],
                                catch_exceptions=False)
    assert result.exit_code == 1 and json.loads((out / "custody.json").read_text()) == written
    (out / "custody.json").unlink()
    result = CliRunner().invoke(main, ["report", str(out), "--custody", WINDOW], catch_exceptions=False)
    assert result.exit_code == 0 and json.loads((out / "custody.json").read_text()) == written
    assert "HTML report" not in result.output


def test_cli_custody_on_a_folder_of_acquisitions_and_of_cases(case: Path, tmp_path: Path) -> None:
    import shutil

    evidence = next((case.parent / "in").iterdir())
    feed = case.parent / "feed.stix2"
    folder = tmp_path / "phones"
    folder.mkdir()
    for name in ("first", "second"):
        shutil.copy(evidence, folder / f"{name}{evidence.suffix}")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["check", str(folder), "--iocs", str(feed), "-o", str(out), "--no-html",
                                       "--custody", WINDOW], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    cases = sorted(path.parent for path in out.glob("*/case.json"))
    assert [path.name for path in cases] == ["first.zip", "second.zip"]
    for case_dir in cases:
        assert json.loads((case_dir / "custody.json").read_text()) == custody(case_dir, *parse_window(WINDOW), WINDOW)
        (case_dir / "custody.json").unlink()
    assert result.output.count("Custody window: ") == 2
    result = CliRunner().invoke(main, ["recheck", str(out), "--iocs", str(feed), "--no-html", "--custody", WINDOW],
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output
    for case_dir in cases:
        assert json.loads((case_dir / "custody.json").read_text()) == custody(case_dir, *parse_window(WINDOW), WINDOW)


def test_cli_custody_malformed_refused_before_the_check(case: Path, tmp_path: Path) -> None:
    evidence = next((case.parent / "in").iterdir())
    out = tmp_path / "never"
    result = CliRunner().invoke(main, ["check", str(evidence), "-o", str(out), "--custody",
                                       "2024-10-03T09:00..2024-10-03T18:30"])
    assert result.exit_code == 2 and "has no UTC offset" in result.output
    assert not out.exists()
    result = CliRunner().invoke(main, ["report", str(case), "--custody",
                                       "2024-10-03T18:30+02:00..2024-10-03T09:00+02:00"])
    assert result.exit_code == 2 and "before it starts" in result.output


@pytest.mark.parametrize(("module", "description", "fields", "expected"), [
    ("android_intrusion_security", "lock screen dismissed", {"event_type": "keyguard_dismissed"}, "unlock"),
    ("android_intrusion_security", "adb shell command", {"event_type": "adb_shell_cmd"}, "usb_adb"),
    ("android_intrusion_security", "package installed", {"event_type": "package_installed"}, "app"),
    ("android_intrusion_security", "Android started", {"event_type": "os_startup"}, "reboot"),
    ("android_intrusion_security", "app process started", {"event_type": "app_process_start"}, "process"),
    ("android_intrusion_security", "certificate authority installed", {"event_type": "cert_authority_installed"},
     "profile"),
    ("android_intrusion_security", "DNS lookup", {"event_type": "something_else"}, None),
    ("mobile_installation", "app installation log entry", {"event": "reboot"}, "reboot"),
    ("mobile_installation", "app installation log entry", {"event": "install_succeeded"}, "app"),
    ("dumpsys_adb", "last connected", {}, "usb_adb"),
    ("dumpsys_device_admin", "", {}, "device_admin"),
    ("configuration_profile_events", "profile install", {}, "profile"),
    ("shutdown_log", "shutdown (reboot)", {}, "reboot"),
    ("shutdown_log", "shutdown: client still running", {}, None),
    ("datausage", "process first used the network", {}, "process"),
    ("datausage", "process last used the network", {}, None),
    ("manifest", "file created", {"device_path": "/private/var/db/com.apple.xpc.roleaccountd.staging/x"},
     "system_file"),
    ("manifest", "file accessed", {"device_path": "/private/var/db/x"}, None),
    ("manifest", "file modified", {"device_path": "/private/var/mobile/Media/DCIM/1.JPG"}, None),
    ("android_files", "file modified", {"file_path": "/data/local/tmp/implant"}, "system_file"),
    ("dumpsys_appops", "last access", {"op": "READ_SMS"}, None),
    ("safari_history", "visited", {}, None),
])
def test_custody_categories(module: str, description: str, fields: dict, expected: str | None) -> None:
    from spyglass.custody import category
    from spyglass.records import Record

    record = Record(timestamp=None, timestamp_desc=description, message="", fields=fields, module=module)
    assert category(record, description) == expected
