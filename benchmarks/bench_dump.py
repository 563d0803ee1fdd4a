"""Benchmark `spyglass check` on generated iOS filesystem dumps: a folder against the same dump as
a .tar.gz, at growing sizes, and side by side with MVT's `check-fs` on the folder.

Run: .venv/bin/python -m benchmarks.bench_dump [--files 10000,100000] [--mvt]
With --mvt, MVT is installed from PyPI into its own virtualenv under the work folder (once) and
timed on the same folder with the same indicator file. Prints one JSON line per measurement:
wall seconds and peak memory of the whole process (GNU time's accounting on Linux, else the
child's own rusage).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.builders.ios_fs import FilesystemBuilder, system_version

from benchmarks.generate_backup import _datausage_db, _history_db, _sms_db

REPO = Path(__file__).resolve().parents[1]
FEED = REPO / "src" / "spyglass" / "data" / "iocs" / "amnesty" / "pegasus.stix2"
TIME = Path("/usr/bin/time")


def generate(root: Path, files: int, seed: int = 7) -> FilesystemBuilder:
    """A dump with real sms.db, History.db and DataUsage.sqlite and `files` small files."""
    rng = random.Random(seed)
    dump = FilesystemBuilder()
    dump.add("System/Library/CoreServices/SystemVersion.plist", system_version())
    dump.add("private/var/mobile/Library/SMS/sms.db", _sms_db(20_000, rng))
    dump.add("private/var/mobile/Library/Safari/History.db", _history_db(40_000, rng))
    dump.add("private/var/wireless/Library/Databases/DataUsage.sqlite", _datausage_db(rng))
    dump.add("private/var/db/com.apple.xpc.roleaccountd.staging/roleaccountd.plist", b"<plist/>")   # Pegasus 2021
    apps = [dump.container("private/var/mobile/Containers/Data/Application", f"com.example.app{n}") for n in range(40)]
    for number in range(files):
        folder = apps[number % len(apps)]
        dump.add(f"{folder}/Library/Caches/c{number // 500:03d}/f{number:06d}.dat", b"x" * (number % 300))
    return dump


def measure(command: list[str]) -> dict[str, float]:
    started = time.perf_counter()
    if TIME.exists():
        done = subprocess.run([str(TIME), "-f", "%M", *command], capture_output=True, text=True, cwd=REPO)
        peak_kb = int(done.stderr.strip().splitlines()[-1])
    else:
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        peak_kb = 0
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed: {done.stderr[-2000:]}")
    return {"wall_s": round(time.perf_counter() - started, 2), "peak_rss_mb": round(peak_kb / 1024, 1)}


def mvt(workdir: Path) -> Path:
    venv = workdir / "mvt-venv"
    if not (venv / "bin" / "mvt-ios").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "mvt"], check=True)
    return venv / "bin" / "mvt-ios"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", default="10000,100000")
    parser.add_argument("--mvt", action="store_true", help="also time MVT's check-fs (installed from PyPI)")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = args.workdir or Path(temporary)
        spyglass = [sys.executable, "-m", "spyglass.cli"]
        for files in (int(n) for n in args.files.split(",")):
            dump = generate(work, files)
            folder = dump.build_folder(work / f"dump-{files}")
            archive = dump.build_tar(work / f"dump-{files}.tar.gz")
            for form, path in (("folder", folder), ("tar.gz", archive)):
                case = work / f"case-{files}-{form}"
                figures = measure([*spyglass, "check", str(path), "--iocs", str(FEED), "-o", str(case), "--force"])
                print(json.dumps({"tool": "spyglass", "files": files, "form": form, **figures}), flush=True)
            if args.mvt:
                out = work / f"mvt-{files}"
                figures = measure([str(mvt(work)), "check-fs", "--iocs", str(FEED), "-o", str(out), str(folder)])
                print(json.dumps({"tool": "mvt check-fs", "files": files, "form": "folder", **figures}), flush=True)


if __name__ == "__main__":
    main()
