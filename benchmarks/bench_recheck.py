"""Benchmark `spyglass recheck` on a case folder of N records, against all bundled feeds.

Run: .venv/bin/python -m benchmarks.bench_recheck [--records 1000000]
The case is written with the real case writer (records/*.jsonl, case.json), as `check` does.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from spyglass.case import CaseWriter, prepare_output
from spyglass.check import recheck
from spyglass.feeds import feeds_for_check
from spyglass.records import Observable, Record

HOSTS = ["www.example.org", "news.example.com", "cdn.example.io", "mail.example.net"]


def write_case(out: Path, count: int) -> None:
    writer = CaseWriter(prepare_output(out, force=False))
    start = datetime(2021, 1, 1, tzinfo=UTC)
    per_module = count // 3
    modules = {
        "sms": lambda n: Record(start + timedelta(seconds=n), "received", f"SMS {n}: https://{HOSTS[n % 4]}/p/{n}",
                                {"text": f"https://{HOSTS[n % 4]}/p/{n}", "handle": f"+4179{n % 9999999:07d}"},
                                (Observable("url", f"https://{HOSTS[n % 4]}/p/{n}"),
                                 Observable("phone", f"+4179{n % 9999999:07d}")), "sms", "sms.db"),
        "safari_history": lambda n: Record(start + timedelta(seconds=n), "visited", f"Visited page {n}",
                                           {"url": f"https://{HOSTS[n % 4]}/v/{n}"},
                                           (Observable("url", f"https://{HOSTS[n % 4]}/v/{n}"),),
                                           "safari_history", "History.db"),
        "manifest": lambda n: Record(start + timedelta(seconds=n), "file modified", f"file Media/{n}",
                                     {"domain": "MediaDomain", "relative_path": f"Media/{n}"},
                                     (Observable("file_path", f"/private/var/mobile/Media/{n}"),
                                      Observable("file_name", str(n))), "manifest", "Manifest.db"),
    }
    for name, make in modules.items():
        writer.begin_module(name)
        for number in range(per_module):
            writer.write_record(make(number))
    writer.finish({"tool": {"name": "spyglass"}, "command": "check", "modules": {
        name: {"status": "ok", "records": per_module, "description": name} for name in modules}}, [])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        case_dir = Path(temporary) / "case"
        started = time.perf_counter()
        write_case(case_dir, args.records)
        written = time.perf_counter() - started
        feeds, index, info, warnings = feeds_for_check(None)
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        outcome = recheck(case_dir, index, feed_info=info)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        print(json.dumps({"records": args.records, "indicators": len(index), "write_case_s": round(written, 1),
                          "recheck_wall_s": round(wall, 2),
                          "recheck_cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
                          "records_per_s": round(args.records / wall), "detections": len(outcome.detections),
                          "peak_rss_mb": round(after.ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
