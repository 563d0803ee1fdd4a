"""End to end: `spyglass check` on a backup holding every artifact, plain and encrypted.

Planted traces (tests/builders/full_backup.py) must each be found, in the module that holds
them, and no look-alike decoy may match.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from spyglass.cli import main
from tests.builders.full_backup import DECOYS, PLANTED, add_everything, e2e_feed
from tests.builders.ios_backup import BackupBuilder
from tests.builders.ios_backup_encrypted import build_encrypted

PASSWORD = "correct horse battery staple"

EXPECTED_INDICATOR_HITS = {
    ("backup_info", "app_id", "com.spy.agent"),
    ("datausage", "process", "bh"),
    ("idstatuscache", "email", "bogus.attacker@icloud.com"),
    ("manifest", "file_name", "roleaccountd.plist"),
    ("configuration_profiles", "profile_id", "9a2f0a6b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"),
    ("safari_history", "domain", "free247downloads.com"),
} | {(module, "domain", "evil-cdn.com") for module in (
    "sms", "safari_browser_state", "safari_favicons", "chrome_history", "chrome_favicons", "firefox_history",
    "firefox_favicons", "firefox_places", "shortcuts", "whatsapp", "webkit_resource_load_statistics", "webkit_session_resource_log",
    "webkit_website_data")}

EXPECTED_SUSPICIOUS = {
    ("idstatuscache", "idstatus_nul", "high"),
    ("datausage", "datausage_erased", "high"),
    ("datausage", "datausage_erased", "medium"),
    ("sms", "threat_notification", "high"),
    ("backup_info", "apps_outside_store", "medium"),
    ("backup_info", "apps_outside_store", "low"),
    ("sms_attachments", "attachment_var_tmp", "medium"),
    ("safari_history", "safari_redirect", "medium"),
    # The planted process and its decoy are names iOS ships no program under.
    ("datausage", "unknown_process", "medium"),
}


def run_check(backup: Path, case: Path, feed: Path, env: dict[str, str] | None = None, *extra: str) -> int:
    # --only-iocs: the planted traces are those the e2e feed names, and no decoy may match it; the
    # bundled feeds beside it (what --iocs would add) are not what this test is about.
    result = CliRunner().invoke(main, ["check", str(backup), "--only-iocs", str(feed), "-o", str(case), *extra],
                                env=env, catch_exceptions=False)
    return result.exit_code


def findings(case: Path) -> tuple[set[tuple[str, str, str]], set[tuple[str, str, str]], list[dict]]:
    rows = [json.loads(line) for line in (case / "detections.jsonl").read_text().splitlines()]
    indicator_hits = {(d["module"], d["indicator"]["type"], d["indicator"]["value"])
                      for d in rows if d["kind"] == "indicator"}
    suspicious = {(d["module"], d["heuristic"], d["severity"]) for d in rows if d["kind"] == "suspicious"}
    return indicator_hits, suspicious, rows


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("feed") / "e2e.stix2"
    path.write_text(json.dumps(e2e_feed()))
    return path


def test_every_planted_trace_found_and_no_decoy(tmp_path: Path, feed: Path) -> None:
    backup = add_everything(BackupBuilder()).build(tmp_path / "backup")
    assert run_check(backup, tmp_path / "case", feed) == 1
    indicator_hits, suspicious, rows = findings(tmp_path / "case")
    assert indicator_hits == EXPECTED_INDICATOR_HITS
    assert suspicious == EXPECTED_SUSPICIOUS
    for decoy in DECOYS:
        assert not [d for d in rows if d["kind"] == "indicator" and d["observable"]["value"] == decoy], decoy
    case = json.loads((tmp_path / "case" / "case.json").read_text())
    statuses = {name: module["status"] for name, module in case["modules"].items()}
    assert [name for name, status in statuses.items() if status != "ok"] == ["crash_reporter_prefs"]
    assert statuses["crash_reporter_prefs"] == "not present"
    assert case["verdict"].startswith("Traces of known spyware were found (E2E Spyware)")
    assert all(len(digest["sha256"]) == 64 for digest in case["inputs"].values())


def test_encrypted_backup_gives_the_same_findings(tmp_path: Path, feed: Path) -> None:
    builder = add_everything(BackupBuilder())
    build_encrypted(builder, tmp_path / "encrypted", PASSWORD)
    env = {"SPYGLASS_BACKUP_PASSWORD": PASSWORD}
    assert run_check(tmp_path / "encrypted", tmp_path / "case", feed, env) == 1
    indicator_hits, suspicious, _ = findings(tmp_path / "case")
    assert indicator_hits == EXPECTED_INDICATOR_HITS
    assert suspicious == EXPECTED_SUSPICIOUS
    case_text = (tmp_path / "case" / "case.json").read_text()
    assert json.loads(case_text)["acquisition"]["encrypted"] is True
    for path in (tmp_path / "case").rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_encrypted_backup_wrong_password_exit_2(tmp_path: Path, feed: Path) -> None:
    build_encrypted(add_everything(BackupBuilder()), tmp_path / "encrypted", PASSWORD)
    result = CliRunner().invoke(main, ["check", str(tmp_path / "encrypted"), "--only-iocs", str(feed), "-o",
                                       str(tmp_path / "case")], env={"SPYGLASS_BACKUP_PASSWORD": "wrong"})
    assert result.exit_code == 2
    assert "wrong backup password" in result.output and "Traceback" not in result.output


def test_encrypted_backup_damaged_keybag_exit_2(tmp_path: Path, feed: Path) -> None:
    import plistlib
    root = tmp_path / "encrypted"
    build_encrypted(add_everything(BackupBuilder()), root, PASSWORD)
    manifest = plistlib.loads((root / "Manifest.plist").read_bytes())
    manifest["BackupKeyBag"] = manifest["BackupKeyBag"][:37]
    (root / "Manifest.plist").write_bytes(plistlib.dumps(manifest, fmt=plistlib.FMT_BINARY))
    result = CliRunner().invoke(main, ["check", str(root), "--only-iocs", str(feed), "-o", str(tmp_path / "case")],
                                env={"SPYGLASS_BACKUP_PASSWORD": PASSWORD})
    assert result.exit_code == 2
    assert result.output.startswith("Error:") and "Traceback" not in result.output


def test_key_file_round_trip(tmp_path: Path, feed: Path) -> None:
    root = tmp_path / "encrypted"
    build_encrypted(add_everything(BackupBuilder()), root, PASSWORD)
    password_file = tmp_path / "pw.txt"
    password_file.write_text(PASSWORD + "\n")
    key_file = tmp_path / "backup.key"
    result = CliRunner().invoke(main, ["ios", "derive-key", str(root), "-o", str(key_file),
                                       "--password-file", str(password_file)])
    assert result.exit_code == 0, result.output
    if os.name == "posix":
        assert key_file.stat().st_mode & 0o777 == 0o600
    assert run_check(root, tmp_path / "case", feed, None, "--key-file", str(key_file)) == 1
    indicator_hits, _, _ = findings(tmp_path / "case")
    assert indicator_hits == EXPECTED_INDICATOR_HITS
    case = json.loads((tmp_path / "case" / "case.json").read_text())
    assert "key_file" in json.dumps(case["acquisition"])
    assert key_file.read_text().strip() not in (tmp_path / "case" / "case.json").read_text()


def test_decrypted_copy_checks_like_the_original(tmp_path: Path, feed: Path) -> None:
    root = tmp_path / "encrypted"
    build_encrypted(add_everything(BackupBuilder()), root, PASSWORD)
    result = CliRunner().invoke(main, ["ios", "decrypt", str(root), "-o", str(tmp_path / "plain")],
                                env={"SPYGLASS_BACKUP_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert run_check(tmp_path / "plain", tmp_path / "case", feed) == 1
    assert findings(tmp_path / "case")[0] == EXPECTED_INDICATOR_HITS


def test_planted_values_are_what_the_feed_names() -> None:
    values = json.dumps(e2e_feed())
    for key in ("domain", "safari_domain", "process", "email", "file_name", "app_id", "profile_id"):
        assert PLANTED[key] in values
