"""Throughput of the spyglass worker: acquisitions checked per minute with 1, 2 and 4 worker
processes (each `celery worker --concurrency=1`) over a real redis-server on loopback.

The same 40 generated acquisitions every round: 16 iOS filesystem dumps (.tar, the end-to-end
artifacts plus 5,000 media files each), 8 androidqf zips, 8 bug reports, 8 .ab backups; each a
task of its own as OpenRelik submits them, with the bundled feeds plus one. Time: from the first
submission to the last result, the workers already up. Run by hand, never as a test:

    python integrations/openrelik-worker-spyglass/benchmarks/throughput.py [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import generated_inputs as G  # noqa: E402
from services import QUEUE, redis_server, start_worker, stop, wait_for_workers  # noqa: E402

CHECK = f"{QUEUE}.tasks.check"


def acquisitions(folder: Path) -> list[Path]:
    made = []
    for number in range(16):
        made.append(G.fs_dump(folder, f"dump-{number:02d}", noise=5000))
    for number in range(8):
        made.append(G.androidqf(folder, f"androidqf-{number:02d}"))
        made.append(G.bugreport(folder, f"bugreport-{number:02d}"))
        made.append(G.adb_backup(folder, f"backup-{number:02d}"))
    return made


def one_round(workers: int, inputs: list[dict], feed_input: dict, work: Path) -> float:
    from celery import Celery

    with redis_server(work / f"redis-{workers}") as redis_url:
        client = Celery(broker=redis_url, backend=redis_url)
        client.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
        processes = [start_worker(f"bench{number}", redis_url, work / f"worker-{workers}-{number}.log")
                     for number in range(workers)]
        try:
            wait_for_workers(client, workers, time.monotonic() + 120)
            started = time.monotonic()
            pending = [client.send_task(CHECK, queue=QUEUE, kwargs={
                "input_files": [input_file, feed_input], "output_path": str(work / f"out-{workers}" / str(number)),
                "workflow_id": f"bench-{number}", "task_config": {}}) for number, input_file in enumerate(inputs)]
            for result in pending:
                outcome = json.loads(base64.b64decode(result.get(timeout=1800)))
                assert "error" not in outcome["meta"]["cases"][0], outcome["meta"]
            elapsed = time.monotonic() - started
        finally:
            for process in processes:
                stop(process)
            pending = result = None
            gc.collect()
            client.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spyglass-worker-bench-") as folder:
        work = Path(folder)
        os.environ["SPYGLASS_IOCS_DIR"] = str(work / "iocs-store")   # the bundled feeds, not this user's
        made = acquisitions(work / "in")
        inputs = [G.as_openrelik_input(path, work / "storage") for path in made]
        feed_input = G.as_openrelik_input(G.write_feed(work / "lab-feed.stix2"), work / "storage")
        print(f"{len(made)} acquisitions, {sum(p.stat().st_size for p in made) / 1e6:.1f} MB; "
              f"{os.cpu_count()} cores, Python {platform.python_version()}")
        print("workers  seconds  acquisitions/minute")
        for workers in arguments.workers:
            elapsed = one_round(workers, inputs, feed_input, work)
            print(f"{workers:>7}  {elapsed:7.1f}  {len(made) / elapsed * 60:19.1f}", flush=True)


if __name__ == "__main__":
    main()
