from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from spyglass.cli import main
from tests.builders.ios_artifacts_core import add_datausage, add_safari_history, add_sms
from tests.builders.ios_backup import BackupBuilder

FEED = {
    "type": "bundle", "id": "bundle--6d1c2c57-3f28-4bb5-9d1d-6e7bd2b0a001", "objects": [
        {"type": "malware", "spec_version": "2.1", "id": "malware--6d1c2c57-3f28-4bb5-9d1d-6e7bd2b0a002",
         "created": "2021-07-18T00:00:00.000Z", "modified": "2021-07-18T00:00:00.000Z", "name": "Pegasus",
         "is_family": False},
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--6d1c2c57-3f28-4bb5-9d1d-6e7bd2b0a003",
         "created": "2021-07-18T00:00:00.000Z", "modified": "2021-07-18T00:00:00.000Z",
         "pattern": "[domain-name:value = 'free247downloads.com']", "pattern_type": "stix",
         "valid_from": "2021-07-18T00:00:00Z"},
        {"type": "relationship", "spec_version": "2.1", "id": "relationship--6d1c2c57-3f28-4bb5-9d1d-6e7bd2b0a004",
         "created": "2021-07-18T00:00:00.000Z", "modified": "2021-07-18T00:00:00.000Z",
         "relationship_type": "indicates", "source_ref": "indicator--6d1c2c57-3f28-4bb5-9d1d-6e7bd2b0a003",
         "target_ref": "malware--6d1c2c57-3f28-4bb5-9d1d-6e7bd2b0a002"},
    ]}
OTHER_FEED = {"type": "bundle", "id": "bundle--6d1c2c57-3f28-4bb5-9d1d-6e7bd2b0a101", "objects": [
    {"type": "indicator", "spec_version": "2.1", "id": "indicator--6d1c2c57-3f28-4bb5-9d1d-6e7bd2b0a103",
     "created": "2021-07-18T00:00:00.000Z", "modified": "2021-07-18T00:00:00.000Z",
     "pattern": "[domain-name:value = 'example.org']", "pattern_type": "stix", "valid_from": "2021-07-18T00:00:00Z"}]}


@pytest.fixture(autouse=True)
def no_stored_feeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The feeds in use are the bundled ones: no set stored by `iocs update` on this machine counts."""
    monkeypatch.setenv("SPYGLASS_IOCS_DIR", str(tmp_path / "iocs-store"))


@pytest.fixture
def evidence(tmp_path: Path) -> tuple[Path, Path, Path]:
    builder = BackupBuilder()
    add_sms(builder)
    add_safari_history(builder)
    add_datausage(builder)
    backup = builder.build(tmp_path / "00008030-001A2B3C4D5E802E")
    feed = tmp_path / "feed.stix2"
    feed.write_text(json.dumps(FEED))
    other = tmp_path / "other.stix2"
    other.write_text(json.dumps(OTHER_FEED))
    return backup, feed, other


# Tests of the check itself name their feeds with --only-iocs, so that what they expect holds
# whatever feeds this machine has stored; --iocs (beside the feeds in use) is tested on its own.
def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_check_writes_the_case_contract(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    backup, feed, _ = evidence
    before = sorted((p.relative_to(backup), p.stat().st_mtime_ns) for p in backup.rglob("*"))
    code, output = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "case"))
    assert code == 1, output
    case_dir = tmp_path / "case"
    assert sorted(p.name for p in case_dir.iterdir()) == [
        "case.json", "detections.jsonl", "incidents.json", "records", "report.html", "sightings.stix2",
        "timeline.csv", "timeline_detected.csv"]
    case = json.loads((case_dir / "case.json").read_text())
    assert case["acquisition"]["kind"] == "ios-backup"
    assert case["modules"]["sms"]["status"] == "ok"
    assert case["modules"]["call_history"]["status"] == "not present"
    assert "HomeDomain/Library/SMS/sms.db" in case["inputs"]
    assert [f["name"] for f in case["feeds"]] == ["feed"]
    assert case["findings"]["by_kind"]["indicator"] >= 1
    detections = [json.loads(line) for line in (case_dir / "detections.jsonl").read_text().splitlines()]
    indicator_hits = {(d["module"], d["indicator"]["value"]) for d in detections if d["kind"] == "indicator"}
    assert ("safari_history", "free247downloads.com") in indicator_hits
    assert (case_dir / "timeline.csv").read_text().splitlines()[0] == \
        "datetime,timestamp_desc,message,module,source,timestamp,tag"
    # The evidence is untouched: same files, same modification times.
    assert sorted((p.relative_to(backup), p.stat().st_mtime_ns) for p in backup.rglob("*")) == before


def test_check_refuses_non_empty_output(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    backup, feed, _ = evidence
    (tmp_path / "case").mkdir()
    (tmp_path / "case" / "keep.txt").write_text("x")
    code, output = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "case"))
    assert code == 2
    assert "not empty" in output and "Traceback" not in output


def test_check_refuses_output_inside_evidence(evidence: tuple[Path, Path, Path]) -> None:
    backup, feed, _ = evidence
    code, output = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(backup / "case"))
    assert code == 2
    assert "must not be inside the evidence" in output
    assert not (backup / "case").exists()


@pytest.mark.parametrize("damage", ["manifest", "missing"])
def test_check_bad_input_exit_2_without_traceback(evidence: tuple[Path, Path, Path], tmp_path: Path,
                                                  damage: str) -> None:
    backup, feed, _ = evidence
    target = backup
    if damage == "manifest":
        (backup / "Manifest.db").write_bytes(b"\x00" * 1000)
    else:
        target = tmp_path / "nothing-here"
    code, output = invoke("check", str(target), "--only-iocs", str(feed), "-o", str(tmp_path / "case"))
    assert code == 2
    assert output.startswith("Error:") and "Traceback" not in output


def test_check_damaged_info_plist_warns_and_goes_on(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    # The databases hold the evidence; a damaged plist beside them is said, not the end.
    backup, feed, _ = evidence
    (backup / "Info.plist").write_bytes(b"bplist00\xff")
    code, output = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "case"))
    assert code == 1 and "Traceback" not in output
    assert "Warning: Info.plist: not a valid plist" in " ".join(output.split())


def test_corrupt_feed_exit_2(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    backup, _, _ = evidence
    bad = tmp_path / "bad.stix2"
    bad.write_text("{not json")
    code, output = invoke("check", str(backup), "--iocs", str(bad), "-o", str(tmp_path / "case"))
    assert code == 2 and "bad.stix2" in output


def test_recheck_with_other_feed_equals_fresh_check(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    backup, feed, other = evidence
    invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "a"))
    code, _ = invoke("recheck", str(tmp_path / "a"), "--only-iocs", str(other))
    invoke("check", str(backup), "--only-iocs", str(other), "-o", str(tmp_path / "b"))

    def findings(case: str) -> list[tuple[str, str, str]]:
        rows = [json.loads(line) for line in (tmp_path / case / "detections.jsonl").read_text().splitlines()]
        return sorted((d["kind"], d["message"], d["timestamp"] or "") for d in rows)

    assert code == 1
    assert findings("a") == findings("b")
    indicator_messages = [message for kind, message, _ in findings("a") if kind == "indicator"]
    assert indicator_messages and all("example.org" in message for message in indicator_messages)
    case = json.loads((tmp_path / "a" / "case.json").read_text())
    assert case["command"] == "recheck" and len(case["history"]) == 1
    assert [f["name"] for f in case["history"][0]["feeds"]] == ["feed"]


def test_recheck_of_non_case_exit_2(tmp_path: Path) -> None:
    code, output = invoke("recheck", str(tmp_path))
    assert code == 2 and "not a spyglass case folder" in output


@pytest.mark.parametrize("damage", ["missing", "unsupported", "manifest"])
def test_check_that_cannot_run_leaves_nothing(evidence: tuple[Path, Path, Path], tmp_path: Path, damage: str) -> None:
    backup, feed, _ = evidence
    target = {"missing": tmp_path / "nothing-here", "unsupported": tmp_path / "notes.txt", "manifest": backup}[damage]
    if damage == "unsupported":
        target.write_text("a shopping list\n")
    if damage == "manifest":
        (backup / "Manifest.db").write_bytes(b"\x00" * 1000)
    code, _ = invoke("check", str(target), "--only-iocs", str(feed), "-o", str(tmp_path / "case"))
    assert code == 2
    assert not (tmp_path / "case").exists()
    # So the same command, once the input is fixed, runs without --force.


def test_interrupted_check_marked_incomplete_then_replaced(evidence: tuple[Path, Path, Path], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from spyglass.modules.ios import sms

    backup, feed, _ = evidence
    case = tmp_path / "case"

    def interrupted(file):
        raise KeyboardInterrupt
        yield  # a generator, as modules are

    monkeypatch.setattr(sms, "parse", interrupted)
    result = CliRunner().invoke(main, ["check", str(backup), "--only-iocs", str(feed), "-o", str(case)])
    assert result.exit_code == 130
    assert (case / ".spyglass-incomplete").exists() and not (case / "case.json").exists()
    monkeypatch.undo()
    code, _ = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(case))   # no --force needed
    assert code == 1
    assert (case / "case.json").exists() and not (case / ".spyglass-incomplete").exists()
    code, output = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(case))   # a finished case is kept
    assert code == 2 and "not empty" in output


def test_check_with_files_missing_from_the_backup_says_incomplete(evidence: tuple[Path, Path, Path],
                                                                  tmp_path: Path) -> None:
    from spyglass.acquisitions.ios_backup import file_id

    backup, feed, _ = evidence
    fid = file_id("HomeDomain", "Library/SMS/sms.db")
    (backup / fid[:2] / fid).unlink()
    code, output = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "case"))
    case = json.loads((tmp_path / "case" / "case.json").read_text())
    assert (case["modules"]["sms"]["status"], case["modules"]["sms_attachments"]["status"]) == ("missing", "missing")
    text = " ".join(output.split())
    assert ("This check is incomplete: files that 2 checks read are missing from the backup (sms, sms_attachments), "
            "so what they hold could not be looked at. Make a new, encrypted backup and check that one.") in text


def test_check_says_where_the_report_is_and_who_can_help(evidence: tuple[Path, Path, Path], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    backup, feed, _ = evidence
    monkeypatch.setenv("SPYGLASS_LOCAL_HELPLINE", "Digital Defenders Geneva: +41 22 000 00 00")
    code, output = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "case"))
    text = " ".join(output.split())
    assert code == 1
    # The path may be wrapped at the terminal's width: compared without white space.
    assert f"Readthereport:{tmp_path / 'case' / 'report.html'}" in "".join(output.split())
    assert ("Where to get help: Digital Defenders Geneva: +41 22 000 00 00; Access Now's Digital Security Helpline: "
            "help@accessnow.org, www.accessnow.org/help; Amnesty International's Security Lab: "
            "securitylab.amnesty.org") in text
    page = (tmp_path / "case" / "report.html").read_text()
    assert "<li>A helpline near you: Digital Defenders Geneva: +41 22 000 00 00.</li>" in page


def test_check_output_short_unless_verbose(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    backup, feed, _ = evidence
    _, short = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "short"))
    _, verbose = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "long"), "--verbose")
    assert "Modules" not in short and "Modules" in verbose     # the module table, only when asked
    assert " UTC" in short                                     # every time says its zone
    assert len(short.splitlines()) < len(verbose.splitlines())


def test_check_counts_indicators_once(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    # The same indicator in two feeds is one indicator: the summary and case.json count it once.
    backup, feed, _ = evidence
    copy = tmp_path / "copy.stix2"
    copy.write_bytes(feed.read_bytes())
    _, output = invoke("check", str(backup), "--only-iocs", str(feed), "--only-iocs", str(copy), "-o", str(tmp_path / "case"))
    case = json.loads((tmp_path / "case" / "case.json").read_text())
    one = sum(f["count"] for f in case["feeds"]) // 2
    assert case["indicators"] == one
    assert f"Indicators: {one} from 2 feeds" in " ".join(output.split())


# -- feeds: --iocs beside the feeds in use, --only-iocs instead ----------------------------------
def indicator_values(case_dir: Path) -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in (case_dir / "detections.jsonl").read_text().splitlines()]
    return sorted({(d["module"], d["indicator"]["value"]) for d in rows if d["kind"] == "indicator"})


def test_iocs_adds_to_the_bundled_feeds_only_iocs_replaces(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    from spyglass.indicators.manifest import bundled_feeds

    backup, _, other = evidence
    bundled = [feed.name for feed in bundled_feeds()]
    code, _ = invoke("check", str(backup), "--iocs", str(other), "-o", str(tmp_path / "added"))
    case = json.loads((tmp_path / "added" / "case.json").read_text())
    assert code == 1
    assert [f["name"] for f in case["feeds"]] == [*bundled, "other"]
    # the Pegasus domain of the bundled Amnesty feed, and the given feed's domain, both found
    assert ("safari_history", "free247downloads.com") in indicator_values(tmp_path / "added")
    assert ("safari_history", "example.org") in indicator_values(tmp_path / "added")
    code, _ = invoke("check", str(backup), "--only-iocs", str(other), "-o", str(tmp_path / "only"))
    case = json.loads((tmp_path / "only" / "case.json").read_text())
    assert [f["name"] for f in case["feeds"]] == ["other"]
    assert {value for _, value in indicator_values(tmp_path / "only")} == {"example.org"}


def test_iocs_and_only_iocs_together_refused(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    backup, feed, other = evidence
    code, output = invoke("check", str(backup), "--iocs", str(feed), "--only-iocs", str(other),
                          "-o", str(tmp_path / "case"))
    assert code == 2 and "give one of the two" in " ".join(output.split())
    assert not (tmp_path / "case").exists()


def test_check_iocs_dir_names_the_stored_feeds(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    # a feed added with `iocs add --iocs-dir D` is used by `check --iocs-dir D`
    backup, _, _ = evidence
    listing = tmp_path / "watch_domains.txt"
    listing.write_text("news.example.com\n")
    store = tmp_path / "store"
    assert invoke("iocs", "--iocs-dir", str(store), "add", str(listing))[0] == 0
    code, _ = invoke("check", str(backup), "--iocs-dir", str(store), "-o", str(tmp_path / "case"), "--no-html")
    case = json.loads((tmp_path / "case" / "case.json").read_text())
    assert code == 1 and case["feeds"][-1]["name"] == "watch_domains" and case["feeds"][-1]["origin"] == "added"
    assert ("safari_history", "news.example.com") in indicator_values(tmp_path / "case")


# -- exports at the end of check, --json ---------------------------------------------------------
def test_check_report_writes_the_exports(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    backup, feed, _ = evidence
    code, output = invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "case"),
                          "--report", "timesketch", "--report", "misp", "--no-html")
    assert code == 1
    names = sorted(p.name for p in (tmp_path / "case").iterdir())
    assert "timeline.jsonl" in names and "misp_event.json" in names and "sightings.stix2" in names
    assert "report.html" not in names
    assert f"Timesketchtimeline:{tmp_path / 'case' / 'timeline.jsonl'}" in "".join(output.split())


def test_check_json_one_object_on_stdout(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    backup, feed, _ = evidence
    result = CliRunner().invoke(main, ["check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "case"),
                                       "--json"], catch_exceptions=False)
    assert result.exit_code == 1
    summary = json.loads(result.stdout)        # the whole of stdout is one object
    case = json.loads((tmp_path / "case" / "case.json").read_text())
    assert summary["command"] == "check" and summary["case"] == str(tmp_path / "case")
    assert summary["exit_status"] == 1 and summary["verdict"] == case["verdict"]
    assert summary["counts"] == case["findings"] and summary["counts"]["by_kind"]["indicator"] >= 1
    assert summary["reports"] == {"html": str(tmp_path / "case" / "report.html"),
                                  "stix": str(tmp_path / "case" / "sightings.stix2")}
    assert "Verdict" in result.stderr           # the words for people, on stderr


def test_check_json_error_object(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path / "nothing"), "-o", str(tmp_path / "case"), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"command": "check", "exit_status": 2,
                                         "error": f"{tmp_path / 'nothing'}: no such file or folder"}


# -- a folder of several acquisitions -------------------------------------------------------------
def test_check_folder_of_acquisitions(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    import shutil

    backup, feed, _ = evidence
    folder = tmp_path / "phones"
    folder.mkdir()
    shutil.copytree(backup, folder / "alice")
    clean = BackupBuilder()
    add_sms(clean)
    clean.build(folder / "bob")
    (folder / "notes.txt").write_text("not an acquisition\n")
    broken = folder / "carol"
    shutil.copytree(backup, broken)
    (broken / "Manifest.db").write_bytes(b"\x00" * 1000)
    result = CliRunner().invoke(main, ["check", str(folder), "--only-iocs", str(feed), "-o", str(tmp_path / "out"),
                                       "--no-html", "--json"], catch_exceptions=False)
    assert result.exit_code == 2              # the worst: one could not be checked
    summary = json.loads(result.stdout)
    assert [(Path(item["acquisition"]).name, item["exit_status"]) for item in summary["acquisitions"]] == [
        ("alice", 1), ("bob", 0), ("carol", 2)]
    assert summary["acquisitions"][0]["case"] == str(tmp_path / "out" / "alice")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["alice", "bob"]
    assert json.loads((tmp_path / "out" / "bob" / "case.json").read_text())["acquisition"]["kind"] == "ios-backup"
    case = json.loads((tmp_path / "out" / "alice" / "case.json").read_text())
    lines = [line.strip() for line in result.stderr.splitlines()]   # soft-wrapped: a line each
    assert f"alice: 2 findings: {case['verdict']} -> {tmp_path / 'out' / 'alice'}" in lines
    assert any(line.startswith("bob: 0 findings: ") for line in lines)
    assert "carol: not checked: The backup's Manifest.db cannot be read: Manifest.db: not a SQLite database" in lines
    # without a broken one, the worst is "findings"
    shutil.rmtree(broken)
    code, _ = invoke("check", str(folder), "--only-iocs", str(feed), "-o", str(tmp_path / "out2"), "--no-html")
    assert code == 1


def test_check_folder_output_inside_it_refused(evidence: tuple[Path, Path, Path], tmp_path: Path) -> None:
    import shutil

    backup, feed, _ = evidence
    folder = tmp_path / "phones"
    for name in ("a", "b"):
        shutil.copytree(backup, folder / name)
    code, output = invoke("check", str(folder), "--only-iocs", str(feed), "-o", str(folder / "out"))
    assert code == 2 and "must not be inside the folder of acquisitions" in " ".join(output.split())


# -- report ---------------------------------------------------------------------------------------
@pytest.fixture
def finished_case(evidence: tuple[Path, Path, Path], tmp_path: Path) -> Path:
    backup, feed, _ = evidence
    assert invoke("check", str(backup), "--only-iocs", str(feed), "-o", str(tmp_path / "case"), "--no-html")[0] == 1
    return tmp_path / "case"


def test_report_exits_0_when_written_with_json(finished_case: Path, tmp_path: Path) -> None:
    html = tmp_path / "elsewhere.html"
    result = CliRunner().invoke(main, ["report", str(finished_case), "--html-file", str(html), "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert (summary["command"], summary["exit_status"], summary["reports"]) == ("report", 0, {"html": str(html)})
    assert summary["counts"]["total"] >= 1 and html.exists()
    # the spelling of earlier versions still works
    old = tmp_path / "old.stix2"
    code, _ = invoke("report", str(finished_case), "--stix", str(old))
    assert code == 0 and old.exists()


def test_report_error_in_words(finished_case: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "no-such-folder" / "report.html"
    code, output = invoke("report", str(finished_case), "--html-file", str(blocked))
    text = " ".join(output.split())
    assert code == 2
    assert f"Error: the report could not be written: {blocked}: no such file or directory" in text
    assert "Error:" in text and "FileNotFoundError" not in text and "Traceback" not in text


def test_report_interrupted_exits_130(finished_case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spyglass.reports import misp

    def interrupted(*_: object) -> Path:
        raise KeyboardInterrupt

    monkeypatch.setattr(misp, "write_misp", interrupted)
    result = CliRunner().invoke(main, ["report", str(finished_case), "-f", "misp"])
    assert result.exit_code == 130 and "Interrupted." in result.output


def test_check_nothing_readable_says_what_to_give(tmp_path: Path) -> None:
    # An androidqf holding only an encrypted backup.ab, checked without its password: exit 2, no
    # case, and the message says the password is what is missing.
    from tests.builders.android import AndroidQFBuilder, android_backup

    sms = {"apps/com.android.providers.telephony/d_f/000000_sms_backup": b"[]"}
    folder = AndroidQFBuilder().add("backup.ab", android_backup(sms, password="pw", rounds=10)).build_folder(tmp_path)
    for name in ("acquisition.json", "getprop.txt"):      # as MVT's androidqf_encrypted sample: backup.ab alone
        (folder / name).unlink()
    result = CliRunner().invoke(main, ["check", str(folder), "-o", str(tmp_path / "case")],
                                env={"SPYGLASS_BACKUP_PASSWORD": None}, catch_exceptions=False)
    assert result.exit_code == 2
    assert ("nothing in this androidqf acquisition could be read, so nothing was checked: backup.ab: backup is "
            "encrypted: give --password-file, --key-file or SPYGLASS_BACKUP_PASSWORD") in " ".join(result.output.split())
    assert not (tmp_path / "case").exists()
