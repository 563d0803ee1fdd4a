"""The same records and findings before and after a speed change.

Run: .venv/bin/python -m benchmarks.compare --reference OLD_SRC [--workdir DIR]

OLD_SRC is the `src` folder of the reference tree (a copy taken before the change, or a
`git worktree` of the commit before it). Both trees check the full-artifact backup (every
iOS backup module's artifact, tests/builders/full_backup.py) and the demo backup; records/*.jsonl
must be the same file for file and detections.jsonl the same lines in any order. Exits 1 on a
difference, printing where.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "spyglass" / "data" / "demo" / "backup" / "00008110-000A1B2C3D4E5F60"


def full_backup(root: Path) -> Path:
    from tests.builders.full_backup import add_everything
    from tests.builders.ios_backup import BackupBuilder

    builder = BackupBuilder()
    add_everything(builder)
    return builder.build(root / "00008030-001A2B3C4D5E802E")


def check(src: Path, evidence: Path, out: Path) -> None:
    environment = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run([sys.executable, "-c", "from spyglass.cli import main; main()", "check", str(evidence),
                           "-o", str(out), "--force", "--no-html"], capture_output=True, text=True, env=environment)
    if done.returncode not in (0, 1):
        raise SystemExit(f"check by {src} failed on {evidence}: {done.stderr[-2000:]}")


def differences(before: Path, after: Path) -> list[str]:
    found: list[str] = []
    names = sorted({p.name for p in (before / "records").glob("*.jsonl")} | {p.name for p in (after / "records").glob("*.jsonl")})
    for name in names:
        old, new = before / "records" / name, after / "records" / name
        if not old.exists() or not new.exists() or not filecmp.cmp(old, new, shallow=False):
            found.append(f"records/{name}")
    old_lines = sorted((before / "detections.jsonl").read_text(encoding="utf-8").splitlines())
    new_lines = sorted((after / "detections.jsonl").read_text(encoding="utf-8").splitlines())
    if old_lines != new_lines:
        found.append(f"detections.jsonl ({len(old_lines)} lines before, {len(new_lines)} after)")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, required=True, help="the src folder of the reference tree")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="spyglass-compare-") as temporary:
        work = args.workdir or Path(temporary)
        inputs = {"full": full_backup(work / "full"), "demo": DEMO}
        status = 0
        for name, evidence in inputs.items():
            check(args.reference, evidence, work / f"before-{name}")
            check(REPO / "src", evidence, work / f"after-{name}")
            found = differences(work / f"before-{name}", work / f"after-{name}")
            print(f"{name}: " + ("same records and findings" if not found else "DIFFERENT: " + ", ".join(found)))
            status = status or (1 if found else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
