"""Benchmark `spyglass check` on generated androidqf acquisitions of growing size (thousands of
packages, a files.json of up to 500k entries), side by side with MVT's `check-androidqf`.

Run: .venv/bin/python -m benchmarks.bench_androidqf [--packages 2000] [--files 50000,500000] [--mvt]
With --mvt, MVT is installed from PyPI into its own virtualenv under the work folder (once) and
timed on the same folder with the same indicator file. Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

from tests.builders.android import AndroidQFBuilder
from tests.builders.androidqf_artifacts import (
    GETPROP,
    SETTINGS_GLOBAL,
    SETTINGS_SECURE,
    file_info,
    package_file,
)

from benchmarks.bench_dump import FEED, measure, mvt


def generate(parent: Path, packages: int, files: int) -> Path:
    builder = AndroidQFBuilder(name=f"androidqf-{packages}-{files}")
    entries = []
    for number in range(packages):
        name = f"com.example.app{number:05d}"
        digest = hashlib.sha256(name.encode()).hexdigest()
        entries.append({"name": name, "files": [package_file(f"/data/app/~~x{number}==/{name}-1/base.apk", digest)],
                        "installer": "com.android.vending" if number % 50 else "null", "uid": 10000 + number,
                        "disabled": False, "system": number % 4 == 0, "third_party": number % 4 != 0})
    builder.add("packages.json", json.dumps(entries).encode())
    listing = [file_info(f"/sdcard/DCIM/Camera/IMG_{number:07d}.jpg", size=number % 4_000_000) for number in range(files)]
    builder.add("files.json", json.dumps(listing).encode())
    builder.add("getprop.txt", GETPROP).add("settings_global.txt", SETTINGS_GLOBAL).add("settings_secure.txt", SETTINGS_SECURE)
    builder.add("processes.txt", b"USER PID PPID VSZ RSS WCHAN ADDR S NAME\n" + b"".join(
        f"u0_a{n} {1000 + n} 845 100 100 0 0 S com.example.app{n:05d}\n".encode() for n in range(min(packages, 800))))
    return builder.build_folder(parent)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--files", default="50000,500000")
    parser.add_argument("--mvt", action="store_true")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = args.workdir or Path(temporary)
        for files in (int(n) for n in args.files.split(",")):
            folder = generate(work, args.packages, files)
            figures = measure([sys.executable, "-m", "spyglass.cli", "check", str(folder), "--iocs", str(FEED),
                               "-o", str(work / f"case-{files}"), "--force", "--no-html"])
            print(json.dumps({"tool": "spyglass", "packages": args.packages, "files": files, **figures}), flush=True)
            if args.mvt:
                figures = measure([str(mvt(work).with_name("mvt-android")), "check-androidqf", "--iocs", str(FEED),
                                   "-o", str(work / f"mvt-{files}"), str(folder)])
                print(json.dumps({"tool": "mvt check-androidqf", "packages": args.packages, "files": files, **figures}),
                      flush=True)


if __name__ == "__main__":
    main()
