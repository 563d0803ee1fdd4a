"""The worker as deployed: a real redis-server on loopback, two Celery worker processes of this
package, six checks submitted as OpenRelik submits them (send_task to the worker's queue with
input_files, output_path, workflow_id, task_config), one worker killed with SIGKILL while it runs
a check. Every case must come out complete and identical to a local `spyglass.check.check` of the
same input; nothing half-written may be left or taken for a result. Then a worker whose pool
process alone is killed: the check goes back on the queue at once (reject_on_worker_lost).

Bounded: the visibility timeout is 20 s here, every wait has a deadline, and everything started
is stopped in `finally` blocks (workers by their process group, Redis by the fixture)."""

from __future__ import annotations

import ast
import base64
import gc
import json
import os
import re
import signal
import time
from pathlib import Path

import generated_inputs as G
import pytest
from celery import Celery
from services import QUEUE, redis_server, redis_server_binary, start_worker, stop, wait_for_workers

from conftest import SECRET_NAME
from spyglass.check import check as local_check
from spyglass.indicators import IndicatorIndex
from spyglass.secrets import Secrets

CHECK = f"{QUEUE}.tasks.check"
VISIBILITY_TIMEOUT = 20
DEADLINE = 240


def wait_for(condition, what: str, deadline: float, step: float = 0.05):
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}", pytrace=False)
        time.sleep(step)


def registered_as_openrelik_reads_them(client: Celery) -> dict[str, tuple[str, str]]:
    """The tasks with metadata, parsed as OpenRelik's server does (src/lib/celery_utils.py:
    `registered("metadata")`, the dict literal in each line, the queue the name's first part)."""
    found = {}
    for lines in (client.control.inspect(timeout=2).registered("metadata") or {}).values():
        for line in lines:
            match = re.search("({.+})", line)
            if match:
                metadata = ast.literal_eval(match.group(0))
                name = line.split()[0]
                found[name] = (name.split(".")[0], metadata["display_name"])
    return found


def case_files(result: dict, label: str) -> dict[str, Path]:
    """The case folder's files of one input, by their path in the case folder."""
    return {item["original_path"].split("/", 1)[1]: Path(item["path"]) for item in result["output_files"]
            if item["original_path"].startswith(f"{label}/")}


def test_six_checks_survive_a_killed_worker(tmp_path):
    redis_server_binary()   # fails plainly when Redis is missing
    started = time.monotonic()
    deadline = started + DEADLINE
    inputs_folder, storage, logs = tmp_path / "in", tmp_path / "storage", tmp_path / "logs"
    logs.mkdir()
    # Six kinds; the dump is big enough (40,000 files) for its check to be caught running.
    acquisitions = [G.fs_dump(inputs_folder, "big-dump", noise=40_000),
                    G.ios_backup_zip(inputs_folder, "iphone-backup", G.BACKUP_PASSWORD),
                    G.sysdiagnose(inputs_folder), G.androidqf(inputs_folder), G.bugreport(inputs_folder),
                    G.adb_backup(inputs_folder, "encrypted", G.BACKUP_PASSWORD)]
    feed = G.write_feed(tmp_path / "lab-feed.stix2")
    feed_input = G.as_openrelik_input(feed, storage)
    config = {"password_secret": SECRET_NAME}

    with redis_server(tmp_path / "redis") as redis_url:
        client = Celery(broker=redis_url, backend=redis_url)
        client.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
        workers = {name: start_worker(name, redis_url, logs / f"{name}.log",
                                      SPYGLASS_WORKER_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT))
                   for name in ("w1", "w2")}
        submitted: list = []
        victim = result = None
        try:
            wait_for_workers(client, 2, deadline)
            assert registered_as_openrelik_reads_them(client) == {
                CHECK: (QUEUE, "spyglass check"), f"{QUEUE}.tasks.recheck": (QUEUE, "spyglass recheck")}
            for number, path in enumerate(acquisitions):
                output = tmp_path / "out" / str(number)
                result = client.send_task(CHECK, queue=QUEUE, kwargs={
                    "input_files": [G.as_openrelik_input(path, storage), feed_input], "output_path": str(output),
                    "workflow_id": f"workflow-{number}", "task_config": config})
                submitted.append((path, output, result))

            # The big dump's check is running: STARTED in the result backend, its attempt folder there.
            path, output, victim = submitted[0]
            wait_for(lambda: victim.state == "STARTED" and list(output.glob(".spyglass-*.partial")),
                     "the first check to be running", deadline)
            killed = victim.info["hostname"].split("@")[0]
            os.killpg(workers[killed].pid, signal.SIGKILL)
            workers[killed].wait(timeout=15)
            killed_at = time.monotonic()
            survivor = next(name for name in workers if name != killed)

            results = []
            for _, _, result in submitted:
                remaining = max(1.0, deadline - time.monotonic())
                results.append(json.loads(base64.b64decode(result.get(timeout=remaining))))
            recovered_after = time.monotonic() - killed_at
            victim_id = victim.id
        finally:
            for process in workers.values():
                stop(process)
            # AsyncResults unsubscribe from Redis when collected: before Redis stops, not after.
            submitted = [(path, output, None) for path, output, _ in submitted]
            victim = result = None
            gc.collect()
            client.close()

    survivor_log = (logs / f"{survivor}.log").read_text(errors="replace")
    assert f"{CHECK}[{victim_id}] received" in survivor_log   # the killed check ran again, on the other worker
    assert recovered_after < DEADLINE
    # A local check of each input, with the same feeds and secret, to compare against.
    feeds, warnings = G.local_feeds(feed)
    index, feed_info = IndicatorIndex(feeds), [f.to_dict() for f in feeds]
    secret_file = Path(os.environ["SPYGLASS_WORKER_SECRETS_DIR"]) / SECRET_NAME
    for (path, output, _), result in zip(submitted, results, strict=True):
        assert not list(output.glob(".spyglass-*")), "an attempt folder was left behind"
        assert sorted(p.name for p in output.iterdir()) == sorted(Path(i["path"]).name for i in result["output_files"])
        local = local_check(path, tmp_path / "local" / path.name, [], index, feed_info=feed_info, warnings=warnings,
                            secrets=Secrets(password_file=secret_file, environ={}, interactive=False))
        files = case_files(result, path.name)
        expected = {p.relative_to(local.case_dir).as_posix() for p in local.case_dir.rglob("*") if p.is_file()}
        assert expected <= set(files), f"{path.name}: case files missing"
        worker_case = json.loads(files["case.json"].read_text(encoding="utf-8"))
        assert G.comparable_case(worker_case) == G.comparable_case(local.case), path.name
        assert files["detections.jsonl"].read_bytes() == (local.case_dir / "detections.jsonl").read_bytes(), path.name
        for name in sorted(expected):
            if name.startswith("records/"):
                assert files[name].read_bytes() == (local.case_dir / name).read_bytes(), f"{path.name}: {name}"
        (case_meta,) = result["meta"]["cases"]
        assert case_meta["verdict"] == local.case["verdict"]
        assert case_meta["findings"] == local.case["findings"]
        assert case_meta["findings"]["total"] > 0
    assert time.monotonic() - started < DEADLINE + 60


def test_killed_pool_process_puts_the_check_back_at_once(tmp_path):
    """reject_on_worker_lost: the pool process running a check dies, the worker itself lives; the
    message goes back on the queue at once, long before the visibility timeout (120 s here)."""
    redis_server_binary()
    deadline = time.monotonic() + 120
    acquisition = G.fs_dump(tmp_path / "in", "big-dump", noise=40_000)
    output = tmp_path / "out"
    with redis_server(tmp_path / "redis") as redis_url:
        client = Celery(broker=redis_url, backend=redis_url)
        client.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
        worker = start_worker("solo", redis_url, tmp_path / "solo.log", SPYGLASS_WORKER_VISIBILITY_TIMEOUT="120")
        result = None
        try:
            wait_for_workers(client, 1, deadline)
            result = client.send_task(CHECK, queue=QUEUE, kwargs={
                "input_files": [G.as_openrelik_input(acquisition, tmp_path / "storage"),
                                G.as_openrelik_input(G.write_feed(tmp_path / "lab-feed.stix2"), tmp_path / "storage")],
                "output_path": str(output), "workflow_id": "workflow-solo", "task_config": {}})
            wait_for(lambda: result.state == "STARTED" and list(output.glob(".spyglass-*.partial")),
                     "the check to be running", deadline)
            pool_process = result.info["pid"]
            assert pool_process != worker.pid
            killed_at = time.monotonic()
            os.kill(pool_process, signal.SIGKILL)
            outcome = json.loads(base64.b64decode(result.get(timeout=max(1.0, deadline - time.monotonic()))))
            recovered_after = time.monotonic() - killed_at
            task_id = result.id
        finally:
            stop(worker)
            result = None
            gc.collect()
            client.close()
    assert recovered_after < 60
    assert (tmp_path / "solo.log").read_text(errors="replace").count(f"{CHECK}[{task_id}] received") == 2
    assert outcome["meta"]["cases"][0]["findings"]["total"] == 28
    assert not list(output.glob(".spyglass-*"))
