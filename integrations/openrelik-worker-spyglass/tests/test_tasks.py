"""The tasks run in this process (Celery's `apply`, no broker): inputs as OpenRelik hands them,
outputs and task results as OpenRelik reads them, the task config, secrets and the attempt
folder. The tasks over a real Redis with killed workers: test_integration.py."""

from __future__ import annotations

import base64
import json
import logging
import tarfile
from pathlib import Path

import generated_inputs as G
import pytest
from openrelik_worker_spyglass import app, casework, tasks

from conftest import SECRET_NAME
from spyglass.check import check as local_check
from spyglass.indicators import IndicatorIndex
from spyglass.secrets import Secrets


def decode(result: str) -> dict:
    return json.loads(base64.b64decode(result))


def run(task, input_files: list[dict], output: Path, config: dict | None = None, task_id: str = "t-1") -> dict:
    outcome = task.apply(kwargs={"input_files": input_files, "output_path": str(output), "workflow_id": "wf-1",
                                 "task_config": config or {}}, task_id=task_id)
    if outcome.failed():
        raise outcome.result
    return decode(outcome.result)


def by_name(result: dict) -> dict[str, dict]:
    return {item["display_name"]: item for item in result["output_files"]}


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    return G.write_feed(tmp_path / "lab-feed.stix2")


def test_metadata_names_and_queue():
    assert tasks.check.name == "openrelik-worker-spyglass.tasks.check"
    assert tasks.recheck.name == "openrelik-worker-spyglass.tasks.recheck"
    assert tasks.check.name.split(".")[0] == app.QUEUE == "openrelik-worker-spyglass"
    assert [field["name"] for field in tasks.CHECK_METADATA["task_config"]] == [
        "feeds", "only_given_feeds", "incident_gap_minutes", "password_secret", "key_secret", "age_identity_secret"]
    assert {field["type"] for field in tasks.CHECK_METADATA["task_config"]} <= {"text", "textarea", "checkbox"}
    assert tasks.RECHECK_METADATA["display_name"] == "spyglass recheck"


def test_reliability_settings():
    conf = app.celery.conf
    assert tasks.check.acks_late and tasks.check.reject_on_worker_lost
    assert tasks.recheck.acks_late and tasks.recheck.reject_on_worker_lost
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.broker_transport_options["visibility_timeout"] == app.VISIBILITY_TIMEOUT == 3 * 3600
    assert conf.broker_transport_options["unacked_restore_throttle"] == 1


def test_check_outputs_match_a_local_check(tmp_path, feed):
    acquisition = G.fs_dump(tmp_path / "in")
    output = tmp_path / "out"
    result = run(tasks.check, [G.as_openrelik_input(acquisition, tmp_path / "storage"),
                               G.as_openrelik_input(feed, tmp_path / "storage")], output)

    files = by_name(result)
    label = "iphone-dump.tar"
    for name in ("case.json", "detections.jsonl", "incidents.json", "report.html", "sightings.stix2",
                 "timeline.jsonl", "timeline.csv", "misp_event.json", "records.sms.jsonl"):
        item = files[f"{label}.{name}"]
        assert Path(item["path"]).parent == output
        assert Path(item["path"]).name == item["uuid"] + Path(name).suffix
        assert Path(item["path"]).is_file()
    assert files[f"{label}.timeline.jsonl"]["data_type"] == "spyglass:timesketch:jsonl"
    assert files[f"{label}.records.sms.jsonl"]["original_path"] == f"{label}/records/sms.jsonl"
    assert files[f"{label}.spyglass-case.tar.gz"]["data_type"] == "spyglass:case:archive"
    assert not list(output.glob(".spyglass-*"))        # the attempt folder is gone
    assert sorted(p.name for p in output.iterdir()) == sorted(Path(i["path"]).name for i in files.values())

    feeds, warnings = G.local_feeds(feed)
    expected = local_check(acquisition, tmp_path / "local", [], IndicatorIndex(feeds),
                           feed_info=[f.to_dict() for f in feeds], warnings=warnings)
    case = json.loads(Path(files[f"{label}.case.json"]["path"]).read_text())
    assert G.comparable_case(case) == G.comparable_case(expected.case)
    assert Path(files[f"{label}.detections.jsonl"]["path"]).read_bytes() == (tmp_path / "local/detections.jsonl").read_bytes()
    (cased,) = result["meta"]["cases"]
    assert cased["input"] == label and cased["kind"] == "ios-fs"
    assert cased["verdict"] == expected.case["verdict"]
    assert cased["findings"] == expected.case["findings"] and cased["findings"]["total"] == 28
    assert cased["exit_status"] == 1
    assert "lab-feed" in result["meta"]["feeds"]
    assert result["task_report"]["priority"] == 40


def test_every_kind_with_a_password_secret(tmp_path, feed, caplog):
    caplog.set_level(logging.DEBUG)
    inputs = [G.as_openrelik_input(path, tmp_path / "storage") for path in G.six(tmp_path / "in")]
    result = run(tasks.check, [*inputs, G.as_openrelik_input(feed, tmp_path / "storage")], tmp_path / "out",
                 {"password_secret": SECRET_NAME})
    kinds = {case["input"]: (case["kind"], case["findings"]["total"]) for case in result["meta"]["cases"]}
    assert kinds == {
        "iphone-dump.tar": ("ios-fs", 28),
        "sysdiagnose_2024.01.05_10-00-00-0800_iPhone-OS_iPhone_21F90_sysdiagnose.tar.gz": ("sysdiagnose", 2),
        "androidqf.zip": ("androidqf", 3),
        "bugreport-panther-UQ1A-bugreport.zip": ("android-bugreport", 2),
        "backup.ab": ("android-backup", 1),
        "encrypted.ab": ("android-backup", 1),
    }
    text = json.dumps(result) + caplog.text + "".join(
        Path(item["path"]).read_text(errors="replace") for item in result["output_files"]
        if not item["path"].endswith(".gz"))
    assert G.BACKUP_PASSWORD not in text and G.BACKUP_PASSWORD.encode("unicode_escape").decode() not in text


def test_encrypted_ios_backup_zip_with_a_password_secret(tmp_path, feed):
    backup = G.ios_backup_zip(tmp_path / "in", "iphone-backup", G.BACKUP_PASSWORD)
    result = run(tasks.check, [G.as_openrelik_input(backup, tmp_path / "s"), G.as_openrelik_input(feed, tmp_path / "s")],
                 tmp_path / "out", {"password_secret": SECRET_NAME})
    (cased,) = result["meta"]["cases"]
    assert (cased["input"], cased["kind"], cased["exit_status"]) == ("iphone-backup.zip", "ios-backup", 1)
    assert cased["findings"]["by_kind"]["indicator"] == 21
    case = json.loads(Path(by_name(result)["iphone-backup.zip.case.json"]["path"]).read_text())
    assert case["acquisition"]["encrypted"] is True
    assert G.BACKUP_PASSWORD not in json.dumps(result) + json.dumps(case)


def test_encrypted_backup_without_secret_is_reported_and_others_go_on(tmp_path):
    inputs = [G.as_openrelik_input(G.adb_backup(tmp_path, "encrypted", G.BACKUP_PASSWORD), tmp_path / "s"),
              G.as_openrelik_input(G.androidqf(tmp_path), tmp_path / "s")]
    result = run(tasks.check, inputs, tmp_path / "out")
    failed, done = result["meta"]["cases"]
    assert failed == {"input": "encrypted.ab", "input_uuid": inputs[0]["uuid"],
                      "error": "backup is encrypted: give --password-file, --key-file or SPYGLASS_BACKUP_PASSWORD"}
    assert done["kind"] == "androidqf"
    assert {Path(i["display_name"]).name.split(".")[0] for i in result["output_files"]} == {"androidqf"}


def test_all_inputs_failing_fails_the_task_and_writes_nothing(tmp_path):
    bad = tmp_path / "notes.bin"
    bad.write_bytes(b"not an acquisition")
    with pytest.raises(Exception, match=r"notes\.bin: .*"):
        run(tasks.check, [G.as_openrelik_input(bad, tmp_path / "s")], tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_password_in_the_config_is_refused_unquoted(tmp_path):
    with pytest.raises(casework.ConfigError, match=r"'password' field: a secret is never taken") as caught:
        run(tasks.check, [G.as_openrelik_input(G.androidqf(tmp_path), tmp_path / "s")], tmp_path / "out",
            {"password": "hunter2-secret"})
    assert "hunter2-secret" not in str(caught.value)


@pytest.mark.parametrize("name", ["../secrets/x", "/etc/passwd", "a/b", "..", ".hidden", "no-such-secret"])
def test_secret_names_stay_in_the_secrets_folder(name):
    with pytest.raises(casework.ConfigError, match=r"password_secret: "):
        casework.parse_config({"password_secret": name})


def test_config_values(worker_environment):
    (worker_environment / "worker-feeds" / "lab.stix2").write_text("{}")
    settings = casework.parse_config({"incident_gap_minutes": "2.5", "feeds": "lab.stix2\n", "only_given_feeds": True,
                                      "password_secret": SECRET_NAME})
    assert settings.incident_gap.total_seconds() == 150
    assert settings.feeds == [worker_environment / "worker-feeds" / "lab.stix2"]
    assert settings.only_given_feeds is True
    assert settings.password_file == worker_environment / "secrets" / SECRET_NAME
    assert repr(settings.secrets()).startswith("Secrets(password_file=")
    with pytest.raises(casework.ConfigError, match=r"incident_gap_minutes: between 0"):
        casework.parse_config({"incident_gap_minutes": "nan"})
    with pytest.raises(casework.ConfigError, match=r"feed 'missing.stix2': not in the worker's feed folder"):
        casework.parse_config({"feeds": "missing.stix2"})


def test_only_given_feeds_from_the_worker_feed_folder(tmp_path, worker_environment):
    G.write_feed(worker_environment / "worker-feeds" / "lab.stix2")
    result = run(tasks.check, [G.as_openrelik_input(G.androidqf(tmp_path), tmp_path / "s")], tmp_path / "out",
                 {"feeds": "lab.stix2", "only_given_feeds": True})
    assert result["meta"]["feeds"] == ["lab"]
    assert result["meta"]["cases"][0]["indicators"] == len(G.feed_bundle()["objects"]) // 2


def test_killed_attempt_leftovers_removed_and_never_published(tmp_path, monkeypatch):
    output = tmp_path / "out"
    stale = output / ".spyglass-t-9-abc.partial"
    (stale / "input-0/case").mkdir(parents=True)
    (stale / "input-0/case/case.json").write_text("{half")

    def fail(case_dir):
        raise KeyboardInterrupt   # as a worker stopped in the middle of writing the reports

    monkeypatch.setattr(casework, "write_reports", fail)
    with pytest.raises(KeyboardInterrupt):
        run(tasks.check, [G.as_openrelik_input(G.androidqf(tmp_path), tmp_path / "s")], output, task_id="t-9")
    assert list(output.iterdir()) == []   # the old attempt removed, this one's folder too, nothing published


def test_recheck_reports_what_a_new_feed_adds(tmp_path, feed):
    storage = tmp_path / "storage"
    first = run(tasks.check, [G.as_openrelik_input(G.androidqf(tmp_path), storage)], tmp_path / "out1")
    archive = by_name(first)["androidqf.zip.spyglass-case.tar.gz"]
    with tarfile.open(archive["path"]) as tar:
        assert "case/case.json" in tar.getnames() and "case/records/android_packages.jsonl" in tar.getnames()
    before = first["meta"]["cases"][0]["findings"]["total"]

    case_input = {"uuid": archive["uuid"], "display_name": archive["display_name"], "path": archive["path"],
                  "data_type": archive["data_type"]}
    result = run(tasks.recheck, [case_input, G.as_openrelik_input(feed, storage)], tmp_path / "out2")
    (cased,) = result["meta"]["cases"]
    assert cased["input"] == "androidqf.zip.spyglass-case.tar.gz"
    assert (cased["findings_before"], cased["findings_after"]) == (before, before + 1)
    assert (cased["added_count"], cased["removed_count"], cased["changed"]) == (1, 0, True)
    difference = json.loads(Path(by_name(result)["androidqf.zip.recheck.json"]["path"]).read_text())
    (added,) = difference["added"]
    assert (added["kind"], added["observable"], added["feed"]) == (
        "indicator", {"type": "app_id", "value": G.PLANTED_APP}, "lab-feed")
    assert difference["verdict_after"].startswith("Traces of known spyware were found")
    case = json.loads(Path(by_name(result)["androidqf.zip.case.json"]["path"]).read_text())
    assert case["command"] == "recheck" and len(case["history"]) == 1


def test_recheck_refuses_an_archive_that_climbs_out(tmp_path):
    import io

    archive = tmp_path / "evil.spyglass-case.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("case/../../escape.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(Exception, match=r"evil.spyglass-case.tar.gz: case archive: a member outside case/"):
        run(tasks.recheck, [{"uuid": "u", "display_name": archive.name, "path": str(archive)}], tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_secrets_object_gets_the_named_file(worker_environment):
    settings = casework.parse_config({"password_secret": SECRET_NAME})
    secrets = settings.secrets()
    assert isinstance(secrets, Secrets)
    assert secrets.password() == G.BACKUP_PASSWORD.encode()
    assert G.BACKUP_PASSWORD not in repr(secrets)
