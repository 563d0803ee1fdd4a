"""The benchmark suite: spyglass beside MVT on generated acquisitions of growing size.

Run: .venv/bin/python -m benchmarks.suite [--quick] [--sizes 1,5,20] [--inputs backup,...]
         [--mvt-venv DIR | --no-mvt] [--repeat N] [--workdir DIR] [--out results.json]

Inputs, in the real formats and from the test builders (see benchmarks/README.md), at 1x, 5x
and 20x the size of issue 17 (1x: 20k messages, 40k Safari and 12k Chrome visits, 60k Manifest
rows; a 10k-file dump; an androidqf acquisition of 2k packages and a 50k-entry files.json):

  backup            iOS backup, unencrypted
  backup-noindex    the same, its databases without their usual indexes (sms.db's
                    chat_message_join(message_id) among them: a query that needs it is quadratic)
  encrypted         the same backup encrypted at the real key derivation counts, with camera-roll
                    media growing with the size (64 MB at 1x); MVT: decrypt-backup then check-backup
  dump              iOS filesystem dump, a folder        (MVT check-fs)
  dump-tgz          the same dump as a .tar.gz            (MVT check-fs on the folder)
  androidqf         androidqf folder                      (MVT check-androidqf)

For every input and size each tool runs in a fresh process, alternating spyglass and MVT
`--repeat` times (the median is kept): wall time, CPU time (user + system), peak RSS (GNU time),
records, findings, records per second, and the ratio MVT wall / spyglass wall. The floor is the
time to read every byte spyglass read (the files case.json lists under `inputs`, the Manifest and
the backup's plists, the tree listing; a .tar.gz read whole; an encrypted backup's key derivation
at its counts): spyglass's wall time over the floor says how close to it the check is.

Results: a table on stdout, --out (JSON), and a PNG plot of time and memory against size beside
it when matplotlib is installed (pip install -e '.[bench]'), or with --plot-python naming an
interpreter that has it. Never run this beside another benchmark: figures taken on a loaded
machine are only comparable within one run.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.builders.ios_artifacts_web import chrome_history_db
from tests.builders.ios_backup import BackupBuilder, BackupFile

from benchmarks import bench_androidqf, bench_dump
from benchmarks.generate_backup import HOSTS, START, _datausage_db, _history_db, _sms_db

REPO = Path(__file__).resolve().parents[1]
FEEDS_DIR = REPO / "src" / "spyglass" / "data" / "iocs"
TIME = Path("/usr/bin/time")
INPUTS = ("backup", "backup-noindex", "encrypted", "dump", "dump-tgz", "androidqf")
PASSWORD = "benchmark password"
REAL_DPIC, REAL_ITER = 10_000_000, 10_000       # what iOS writes in a modern backup's keybag
BASE = {"messages": 20_000, "safari_visits": 40_000, "chrome_visits": 12_000, "manifest_rows": 60_000,
        "media_mb": 64, "dump_files": 10_000, "aqf_packages": 2_000, "aqf_files": 50_000}
CHROME = ("AppDomain-com.google.chrome.ios", "Library/Application Support/Google/Chrome/Default/History")


# -- inputs ------------------------------------------------------------------------------------
def _chrome_db(count: int, rng: random.Random) -> bytes:
    urls = [{"id": n, "url": f"https://{rng.choice(HOSTS)}/c/{n}", "title": f"page {n}", "last_visit": START}
            for n in range(1, count // 4 + 2)]
    visits = [{"id": n, "url_id": rng.randint(1, len(urls)), "visited": START + timedelta(seconds=n * 20),
               "transition": 1} for n in range(1, count + 1)]
    return chrome_history_db(urls, visits)


def without_indexes(database: bytes) -> bytes:
    """The same SQLite database with every index dropped (as an attacker or a tool may leave it)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "db.sqlite"
        path.write_bytes(database)
        connection = sqlite3.connect(path)
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")]
        for name in names:
            connection.execute(f'DROP INDEX "{name}"')
        connection.commit()
        connection.execute("VACUUM")
        connection.close()
        return path.read_bytes()


def backup_builder(scale: int, indexes: bool = True, media_mb: int = 0) -> BackupBuilder:
    rng = random.Random(7)
    keep = (lambda data: data) if indexes else without_indexes
    builder = BackupBuilder()
    builder.add_file("HomeDomain", "Library/SMS/sms.db", keep(_sms_db(BASE["messages"] * scale, rng)))
    builder.add_file("HomeDomain", "Library/Safari/History.db", keep(_history_db(BASE["safari_visits"] * scale, rng)))
    builder.add_file(*CHROME, keep(_chrome_db(BASE["chrome_visits"] * scale, rng)))
    builder.add_file("WirelessDomain", "Library/Databases/DataUsage.sqlite", keep(_datausage_db(rng)))
    chunk = bytes(range(256)) * 4096          # 1 MiB
    for start in range(0, media_mb, 32):
        builder.add_file("CameraRollDomain", f"Media/DCIM/100APPLE/IMG_{start:05d}.MOV",
                         chunk * min(32, media_mb - start), protection_class=2)
    domains = ["HomeDomain", "MediaDomain", "AppDomain-net.whatsapp.WhatsApp", "CameraRollDomain"]
    for number in range(max(0, BASE["manifest_rows"] * scale - len(builder.files))):
        # Folder rows: the Manifest is full size without writing hundreds of thousands of blobs.
        builder.files.append(BackupFile(domains[number % 4], f"Media/DCIM/{number // 1000:03d}APPLE/{number:06d}",
                                        None, mode=0o40755))
    return builder


@dataclass
class Input:
    name: str
    scale: int
    path: Path            # what spyglass checks
    mvt_path: Path        # what MVT checks (the folder for a .tar.gz dump)
    generate_s: float
    size_mb: float


def generate(name: str, scale: int, work: Path) -> Input:
    started = time.perf_counter()
    folder = work / f"{name}-{scale}x"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if name in ("backup", "backup-noindex"):
        path = backup_builder(scale, indexes=name == "backup").build(folder / "00008030-001A2B3C4D5E802E")
        mvt_path = path
    elif name == "encrypted":
        from tests.builders.ios_backup_encrypted import build_encrypted

        builder = backup_builder(scale, media_mb=BASE["media_mb"] * scale)
        path = folder / "00008030-001A2B3C4D5E802F"
        build_encrypted(builder, path, PASSWORD, dpic=REAL_DPIC, iterations=REAL_ITER)
        mvt_path = path
    elif name in ("dump", "dump-tgz"):
        dump = bench_dump.generate(folder, BASE["dump_files"] * scale)
        mvt_path = dump.build_folder(folder / "dump")
        path = dump.build_tar(folder / "dump.tar.gz") if name == "dump-tgz" else mvt_path
    elif name == "androidqf":
        path = mvt_path = bench_androidqf.generate(folder, BASE["aqf_packages"] * scale, BASE["aqf_files"] * scale)
    else:
        raise SystemExit(f"unknown input {name}")
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size
    return Input(name, scale, path, mvt_path, round(time.perf_counter() - started, 1), round(size / 1e6, 1))


# -- measuring ---------------------------------------------------------------------------------
@dataclass
class Run:
    tool: str
    input: str
    scale: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    records: int | None = None
    findings: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


TIMEOUT_S = 1800.0


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, subprocess.CompletedProcess]:
    """(wall, cpu, peak RSS in MB, the process) of one fresh process; a process past TIMEOUT_S
    is stopped and reported as failed."""
    environment = {**os.environ, **(env or {})}
    try:
        return _timed(command, environment)
    except subprocess.TimeoutExpired:
        return TIMEOUT_S, 0.0, 0.0, subprocess.CompletedProcess(command, -9, "", f"stopped after {TIMEOUT_S:.0f} s")


def _timed(command: list[str], environment: dict[str, str]) -> tuple[float, float, float, subprocess.CompletedProcess]:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        wrapped = [str(TIME), "-o", report.name, "-f", "%e %U %S %M", *command] if TIME.exists() else command
        before = os.times()
        started = time.perf_counter()
        done = _run(wrapped, environment)
        wall = time.perf_counter() - started
        after = os.times()
        lines = report.read().strip().splitlines()
    if TIME.exists() and lines and len(lines[-1].split()) == 4:
        fields = lines[-1].split()
        return wall, float(fields[1]) + float(fields[2]), int(fields[3]) / 1024, done
    cpu = after.children_user - before.children_user + after.children_system - before.children_system
    return wall, cpu, 0.0, done


def _run(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess:
    """One process in a session of its own, so that a timeout stops it and all it started."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                               env=environment, start_new_session=True)
    try:
        out, err = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def run_spyglass(item: Input, feeds: list[Path], work: Path) -> Run:
    case = work / f"case-{item.name}-{item.scale}x"
    command = [sys.executable, "-m", "spyglass.cli", "check", str(item.path), "-o", str(case), "--force"]
    for feed in feeds:
        command += ["--only-iocs", str(feed)]
    env = {"SPYGLASS_BACKUP_PASSWORD": PASSWORD} if item.name == "encrypted" else None
    wall, cpu, peak, done = timed(command, env)
    if done.returncode not in (0, 1) or not (case / "case.json").exists():
        print(f"  spyglass exited {done.returncode} on {item.name} {item.scale}x: {done.stderr[-1500:]}",
              file=sys.stderr)
        return Run("spyglass", item.name, item.scale, round(wall, 2), round(cpu, 2), round(peak, 1),
                   extra={"case": str(case), "error": done.stderr[-500:]})
    data = json.loads((case / "case.json").read_text(encoding="utf-8"))
    records = sum(module.get("records", 0) for module in data["modules"].values())
    with (case / "detections.jsonl").open(encoding="utf-8") as handle:
        findings = sum(1 for line in handle if line.strip())
    return Run("spyglass", item.name, item.scale, round(wall, 2), round(cpu, 2), round(peak, 1), records, findings,
               {"case": str(case)})


def mvt_findings(out: Path) -> int:
    found = 0
    for path in out.glob("*_detected.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        found += len(data) if isinstance(data, list) else 1
    return found


def run_mvt(item: Input, feeds: list[Path], work: Path, venv: Path) -> Run:
    out = work / f"mvt-{item.name}-{item.scale}x"
    shutil.rmtree(out, ignore_errors=True)
    iocs = [part for feed in feeds for part in ("--iocs", str(feed))]
    ios, android = str(venv / "bin" / "mvt-ios"), str(venv / "bin" / "mvt-android")
    steps: list[list[str]] = []
    if item.name in ("backup", "backup-noindex"):
        steps = [[ios, "check-backup", *iocs, "-o", str(out), str(item.mvt_path)]]
    elif item.name == "encrypted":
        decrypted = work / f"mvt-decrypted-{item.scale}x"
        shutil.rmtree(decrypted, ignore_errors=True)
        steps = [[ios, "decrypt-backup", "-p", PASSWORD, "-d", str(decrypted), str(item.mvt_path)],
                 [ios, "check-backup", *iocs, "-o", str(out), str(decrypted)]]
    elif item.name in ("dump", "dump-tgz"):
        steps = [[ios, "check-fs", *iocs, "-o", str(out), str(item.mvt_path)]]
    elif item.name == "androidqf":
        steps = [[android, "check-androidqf", *iocs, "-o", str(out), str(item.mvt_path)]]
    wall = cpu = peak = 0.0
    for step in steps:
        step_wall, step_cpu, step_peak, done = timed(step)
        if done.returncode != 0:
            print(f"  MVT {' '.join(step[1:2])} exited {done.returncode}: {done.stderr[-500:]}", file=sys.stderr)
        wall, cpu, peak = wall + step_wall, cpu + step_cpu, max(peak, step_peak)
    tool = "mvt " + " + ".join(step[1] for step in steps)
    return Run(tool, item.name, item.scale, round(wall, 2), round(cpu, 2), round(peak, 1), None, mvt_findings(out))


def read_all(paths: list[Path]) -> int:
    read = 0
    for path in paths:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                read += len(chunk)
    return read


def floor(item: Input, case_dir: Path) -> dict[str, float]:
    """Seconds to read every byte spyglass read for `item` (see the module docstring)."""
    started = time.perf_counter()
    inputs = json.loads((case_dir / "case.json").read_text(encoding="utf-8")).get("inputs", {})
    files: list[Path] = []
    if item.path.is_file():           # an archive is read whole to be listed
        files = [item.path]
    elif item.name in ("backup", "backup-noindex", "encrypted"):
        for name in ("Manifest.db", "Manifest.plist", "Info.plist", "Status.plist"):
            if (item.path / name).exists():
                files.append(item.path / name)
        for key in inputs:
            domain, _, relative = key.partition("/")
            file_id = hashlib.sha1(f"{domain}-{relative}".encode()).hexdigest()
            for candidate in (item.path / file_id[:2] / file_id, item.path / file_id):
                if candidate.exists():
                    files.append(candidate)
                    break
        for folder in item.path.iterdir():    # the listing a backup reader makes
            if folder.is_dir():
                list(os.scandir(folder))
    else:
        for _ in os.walk(item.path):          # the tree listing
            pass
        for key in inputs:
            candidate = item.path / key.lstrip("/")
            if candidate.is_file():
                files.append(candidate)
    read = read_all(files)
    if item.path.is_file() and item.path.name.endswith((".tar.gz", ".tgz")):   # and decompressed whole
        import gzip

        with gzip.open(item.path, "rb") as stream:
            while chunk := stream.read(1 << 20):
                read += len(chunk)
    if item.name == "encrypted":              # the key derivation the check must do
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

        key = PBKDF2HMAC(hashes.SHA256(), 32, b"s" * 20, REAL_DPIC).derive(PASSWORD.encode())
        PBKDF2HMAC(hashes.SHA1(), 32, b"t" * 20, REAL_ITER).derive(key)
    bytes_s = time.perf_counter() - started
    return {"floor_s": round(bytes_s, 3), "floor_mb": round(read / 1e6, 1), "floor_files": len(files),
            "scan_floor_s": None if item.name == "encrypted" or item.path.is_file() else
            round(bytes_s + scan(files), 3)}


def scan(files: list[Path]) -> float:
    """Seconds to read every row of every table of the SQLite files and parse the plists: what
    reading them costs through the formats' own libraries, with no query planning at all."""
    import plistlib

    started = time.perf_counter()
    for path in files:
        head = path.read_bytes()[:16] if path.stat().st_size >= 16 else b""
        if head.startswith(b"SQLite format 3"):
            connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
            try:
                tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
                for table in tables:
                    for _ in connection.execute(f'SELECT * FROM "{table}"'):
                        pass
            except sqlite3.DatabaseError:
                pass
            finally:
                connection.close()
        elif head.startswith((b"bplist00", b"<?xml")):
            with contextlib.suppress(Exception):   # a floor, not a check: an odd file is skipped
                plistlib.loads(path.read_bytes())
    return time.perf_counter() - started


# -- the suite ---------------------------------------------------------------------------------
def find_mvt(args: argparse.Namespace, work: Path) -> Path | None:
    if args.no_mvt:
        return None
    venv = args.mvt_venv or work / "mvt-venv"
    if not (venv / "bin" / "mvt-ios").exists():
        print(f"installing MVT into {venv} (pip install mvt)", file=sys.stderr)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "mvt"], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"MVT not available ({exc}): spyglass alone", file=sys.stderr)
            return None
    return venv


def median_run(runs: list[Run]) -> Run:
    chosen = sorted(runs, key=lambda run: run.wall_s)[len(runs) // 2]
    chosen.extra["walls"] = [run.wall_s for run in runs]
    chosen.wall_s = round(statistics.median(run.wall_s for run in runs), 2)
    return chosen


def measure(item: Input, feeds: list[Path], work: Path, venv: Path | None, repeat: int) -> list[dict[str, Any]]:
    ours: list[Run] = []
    theirs: list[Run] = []
    for _ in range(repeat):               # alternating: both see the same load
        ours.append(run_spyglass(item, feeds, work))
        if venv is not None:
            theirs.append(run_mvt(item, feeds, work, venv))
    spyglass = median_run(ours)
    case = Path(spyglass.extra["case"])
    figures = floor(item, case) if (case / "case.json").exists() else {"floor_s": None, "scan_floor_s": None}
    rows = [{**asdict(spyglass), **figures}]
    rows[0]["records_per_s"] = round(spyglass.records / spyglass.wall_s) if spyglass.records else None
    rows[0]["floor_ratio"] = round(spyglass.wall_s / rows[0]["floor_s"], 1) if rows[0]["floor_s"] else None
    scan_floor = rows[0]["scan_floor_s"]
    rows[0]["scan_floor_ratio"] = round(spyglass.wall_s / scan_floor, 1) if scan_floor else None
    if theirs:
        mvt = median_run(theirs)
        rows.append({**asdict(mvt), "ratio": round(mvt.wall_s / spyglass.wall_s, 2) if spyglass.wall_s else None})
        rows[0]["ratio"] = rows[1]["ratio"]
    for row in rows:
        row.update({"generate_s": item.generate_s, "input_mb": item.size_mb})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| input | size | tool | wall s | CPU s | peak MB | records | records/s | findings | floor s (x) "
             "| scan floor s (x) | MVT/spyglass |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        floor_text = f"{row['floor_s']} ({row['floor_ratio']}x)" if row.get("floor_s") is not None else ""
        scan_text = f"{row['scan_floor_s']} ({row['scan_floor_ratio']}x)" if row.get("scan_floor_s") else ""
        lines.append(f"| {row['input']} | {row['scale']}x | {row['tool']} | {row['wall_s']} | {row['cpu_s']} | "
                     f"{row['peak_rss_mb']} | {row.get('records') or ''} | {row.get('records_per_s') or ''} | "
                     f"{row.get('findings')} | {floor_text} | {scan_text} | {row.get('ratio') or ''} |")
    return "\n".join(lines)


def plot(results: Path, picture: Path, python: str | None) -> str:
    try:
        from benchmarks.plot import draw
    except ImportError:
        draw = None
    if draw is not None:
        try:
            draw(results, picture)
            return f"plot: {picture}"
        except ImportError:
            pass
    if python:
        done = subprocess.run([python, str(REPO / "benchmarks" / "plot.py"), str(results), str(picture)],
                              capture_output=True, text=True)
        if done.returncode == 0:
            return f"plot: {picture}"
        return f"no plot: {done.stderr.strip()[-300:]}"
    return "no plot: matplotlib is not installed (pip install -e '.[bench]', or --plot-python)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1x only")
    parser.add_argument("--sizes", default="1,5,20", help="scales, comma-separated (default 1,5,20)")
    parser.add_argument("--inputs", default=",".join(INPUTS), help=f"comma-separated, of {', '.join(INPUTS)}")
    parser.add_argument("--feeds", type=Path, nargs="*", default=None,
                        help="STIX files given to both tools (default: every STIX file bundled with spyglass)")
    parser.add_argument("--mvt-venv", type=Path, default=None, help="a virtualenv with MVT (else one is made)")
    parser.add_argument("--no-mvt", action="store_true", help="spyglass alone")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool, alternating; the median is kept")
    parser.add_argument("--workdir", type=Path, default=None, help="kept after the run (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=Path("benchmark-results.json"))
    parser.add_argument("--plot-python", default=None, help="an interpreter with matplotlib, for the PNG")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds one run may take (default 1800)")
    args = parser.parse_args(argv)
    globals()["TIMEOUT_S"] = args.timeout
    sizes = [1] if args.quick else [int(size) for size in args.sizes.split(",")]
    names = [name.strip() for name in args.inputs.split(",") if name.strip()]
    feeds = args.feeds or sorted(FEEDS_DIR.rglob("*.stix2"))
    # Both tools as installed: pip compiles an installed package's bytecode, and MVT's venv has
    # it; an editable spyglass checkout (or PYTHONDONTWRITEBYTECODE) would compile its sources
    # anew in every process, its workers included.
    compileall.compile_dir(str(REPO / "src" / "spyglass"), quiet=1)
    with tempfile.TemporaryDirectory(prefix="spyglass-suite-") as temporary:
        work = args.workdir or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        venv = find_mvt(args, work)
        rows: list[dict[str, Any]] = []
        for scale in sizes:
            for name in names:
                item = generate(name, scale, work)
                print(f"{name} {scale}x: {item.size_mb} MB generated in {item.generate_s} s", file=sys.stderr, flush=True)
                rows += measure(item, feeds, work, venv, args.repeat)
                print(table(rows[-2:] if venv else rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
                shutil.rmtree(item.path.parent, ignore_errors=True)   # inputs of 20x are large
        results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform},
                   "sizes": sizes, "feeds": [str(feed.relative_to(REPO)) if feed.is_relative_to(REPO) else str(feed)
                                             for feed in feeds],
                   "base": BASE, "rows": rows}
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(table(rows))
        print(f"results: {args.out}; {plot(args.out, args.out.with_suffix('.png'), args.plot_python)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
