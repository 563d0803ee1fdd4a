"""Benchmark `spyglass check` on generated backups of growing size, with all public feeds.

Run: .venv/bin/python -m benchmarks.bench_check [--sizes small,medium,large]
Prints wall time, CPU time and peak memory (of a fresh child process) per size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.generate_backup import generate

REPO = Path(__file__).resolve().parents[1]
SHARED_IOCS = REPO.parent / "shared" / "iocs"
SIZES = {
    "small": (1_000, 2_000, 3_000),
    "medium": (10_000, 20_000, 30_000),
    "large": (100_000, 200_000, 300_000),
}
CHILD = """
import resource, sys, time
from pathlib import Path
from spyglass.check import check
from spyglass.feeds import feeds_for_check
started = time.perf_counter()
feeds, index, info, warnings = feeds_for_check([Path(p) for p in sys.argv[3:]])
loaded = time.perf_counter() - started
outcome = check(Path(sys.argv[1]), Path(sys.argv[2]), feeds, index, feed_info=info)
usage = resource.getrusage(resource.RUSAGE_SELF)
peak_kb = usage.ru_maxrss
status = Path("/proc/self/status")
if status.exists():  # VmHWM is this program's own peak; ru_maxrss also counts the parent's, from fork
    peak_kb = int(status.read_text().split("VmHWM:")[1].split()[0])
print(len(outcome.detections), sum(m["records"] for m in outcome.case["modules"].values()),
      usage.ru_utime + usage.ru_stime, peak_kb, loaded)
"""


def feed_paths() -> list[str]:
    paths = sorted(str(p) for p in SHARED_IOCS.rglob("*.stix2"))
    stalkerware = SHARED_IOCS / "stalkerware-indicators" / "ioc.yaml"
    return paths + ([str(stalkerware)] if stalkerware.exists() else [])


def run(size: str, workdir: Path) -> dict[str, object]:
    messages, visits, rows = SIZES[size]
    started = time.perf_counter()
    backup = generate(workdir / f"backup-{size}", messages, visits, rows)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(backup), str(workdir / f"case-{size}"), *feed_paths()],
                          capture_output=True, text=True, check=True, cwd=REPO)
    wall = time.perf_counter() - started
    # The child measures itself (see CHILD): the parent holds the generated backup's builder.
    detections, records, cpu, peak_kb, feeds_s = done.stdout.split()
    return {"size": size, "messages": messages, "visits": visits, "manifest_rows": rows,
            "records": int(records), "detections": int(detections), "generate_s": round(generated, 1),
            "feeds_load_s": round(float(feeds_s), 2), "wall_s": round(wall, 2), "cpu_s": round(float(cpu), 2),
            "peak_rss_mb": round(int(peak_kb) / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="small,medium,large")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        for size in args.sizes.split(","):
            print(json.dumps(run(size, Path(temporary))), flush=True)


if __name__ == "__main__":
    main()
