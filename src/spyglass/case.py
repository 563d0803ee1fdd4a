"""The case folder: the output contract other tools read (see ARCHITECTURE.md, section 5).

OUT/case.json, OUT/detections.jsonl, OUT/records/MODULE.jsonl, OUT/timeline.csv (a row per distinct time
of a record, findings tagged), OUT/timeline_detected.csv. Reports are rendered from this folder alone.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import json
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from spyglass.detections import Detection

try:
    import orjson
except ImportError:  # optional: the standard library writes the same JSON, more slowly
    orjson = None
from spyglass.errors import SpyglassError
from spyglass.records import Record, iso_utc

# The first five columns are those of earlier versions; `timestamp` is microseconds since the epoch
# and `tag` a JSON list (Timesketch's CSV importer reads a value in brackets as JSON; an empty cell
# would become the tag "nan" there, so a row without findings holds []).
TIMELINE_COLUMNS = ["datetime", "timestamp_desc", "message", "module", "source", "timestamp", "tag"]
DETECTED_COLUMNS = ["datetime", "timestamp_desc", "message", "module", "source", "severity", "kind"]
NO_TAGS = "[]"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
MAX_TIMELINE_MESSAGE = 2000
TIMELINE_RUN = 50_000
SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def dumps(value: Any) -> str:
    """One JSON line. orjson, where installed, is several times faster on millions of records."""
    if orjson is not None:
        try:
            return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:  # integers beyond 64 bits and other values orjson refuses
            pass
    # ASCII escapes keep lone surrogates (hostile text) writable as UTF-8. The leading space (JSON
    # allows it) marks the line for `loads`.
    return " " + json.dumps(value, ensure_ascii=True, default=_json_default, separators=(",", ":"))


def loads(line: str | bytes) -> Any:
    """One JSON value as `dumps` wrote it (records, rows, findings read back from a case).

    orjson reads a line orjson wrote several times faster than the standard library. A line the
    standard library wrote (marked by its leading space) may hold an integer of more than 64
    bits, which orjson would read as a float without a word: it is read by the standard library,
    as is a line orjson refuses (lone surrogates, NaN). Each line reads back as it was written."""
    if orjson is not None and line[:1] not in (" ", b" "):
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass
    return json.loads(line.decode("utf-8") if isinstance(line, bytes) else line)


INCOMPLETE = ".spyglass-incomplete"   # in a case folder while a check writes it


def check_output(out: Path, force: bool, evidence: Path | None = None) -> Path:
    """Refuse an output folder that cannot be used, before anything is written.

    A folder that a check left marked incomplete (interrupted) may be written again without
    --force: it holds nothing but that check's partial output."""
    out = out.expanduser()
    if evidence is not None:
        resolved_out, resolved_evidence = out.resolve(), evidence.resolve()
        if resolved_out == resolved_evidence or resolved_evidence in resolved_out.parents:
            raise SpyglassError(f"{out}: the output folder must not be inside the evidence")
    if out.exists():
        if not out.is_dir():
            raise SpyglassError(f"{out}: exists and is not a folder")
        if any(out.iterdir()) and not force and not (out / INCOMPLETE).exists():
            raise SpyglassError(f"{out}: output folder is not empty (use --force to write into it)")
    return out


def prepare_output(out: Path, force: bool, evidence: Path | None = None) -> Path:
    """Make sure `out` is a usable folder not inside the evidence, marked incomplete until the
    case is written (`finish_output`)."""
    out = check_output(out, force, evidence)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / "records").mkdir(exist_ok=True)
        remove_strays(out)
        (out / INCOMPLETE).write_text("a check was writing this case and did not finish\n", encoding="utf-8")
    except OSError as exc:
        raise SpyglassError(f"{out}: cannot create the output folder ({exc.strerror or exc})") from exc
    return out


def finish_output(out: Path) -> None:
    (out / INCOMPLETE).unlink(missing_ok=True)


def discard_output(out: Path, existed: bool) -> None:
    """Remove what a check that could not run wrote: the folder itself when the check made it."""
    import shutil

    if not existed:
        shutil.rmtree(out, ignore_errors=True)
        return
    for name in ("records", INCOMPLETE):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
    remove_strays(out)


def remove_strays(out: Path) -> None:
    """The sorted timeline runs and worker reports (spyglass/parallel.py) of a check that stopped."""
    for pattern in (".timeline-run-*.tmp", ".worker-*.jsonl"):
        for stray in out.glob(pattern):
            stray.unlink(missing_ok=True)


class Timeline:
    """The rows of OUT/timeline.csv: one per distinct time of a record (the time table of
    spyglass/reports/timesketch.py, the same as timeline.jsonl's), sorted by time, each row of a
    record that is a finding tagged as in the JSONL.

    Rows are sorted in runs of TIMELINE_RUN rows, each run written to a temporary file in the
    case folder, and the runs merged at the end: a case of millions of records is written in
    bounded memory. A row keeps a digest of its record's JSON line until the end, when the
    findings are known and their records' digests say which rows they tag.
    """

    def __init__(self, out: Path, prefix: str = "") -> None:
        from spyglass.reports.timesketch import record_times

        self.out = out
        self.prefix = prefix        # a worker process's runs are named apart (spyglass/parallel.py)
        self.rows: list[tuple[Any, ...]] = []
        self.runs: list[Path] = []
        self.spilled = 0
        self._times = record_times

    def add(self, record: Record, line: str | None = None) -> None:
        times = self._times(record)
        if not times:
            return
        digest = record_digest(record, line)
        message, module, source, append = record.message[:MAX_TIMELINE_MESSAGE], record.module, record.source, \
            self.rows.append
        for moment, description in times:
            append(((moment - EPOCH) // MICROSECOND, moment.isoformat(), description, message, module, source, digest))
        if len(self.rows) >= TIMELINE_RUN:
            self._spill()

    def _spill(self) -> None:
        self.rows.sort()
        run = self.out / f".timeline-run-{self.prefix}{self.spilled}.tmp"
        self.spilled += 1
        with run.open("w", encoding="utf-8", errors="backslashreplace", newline="\n") as handle:
            for row in self.rows:
                handle.write(dumps(row) + "\n")
        self.runs.append(run)
        self.rows = []

    def spill_all(self) -> list[Path]:
        """Every row written to sorted runs (a worker's, handed to the check that merges them)."""
        if self.rows:
            self._spill()
        runs, self.runs = self.runs, []
        return runs

    def adopt(self, runs: list[Path]) -> None:
        """Sorted runs another process wrote in this case folder (`spill_all`), merged here."""
        self.runs.extend(runs)

    def _sorted_rows(self) -> Iterator[tuple[Any, ...]]:
        self.rows.sort()
        handles = [run.open(encoding="utf-8") for run in self.runs]
        try:
            streams = [(tuple(loads(line)) for line in handle) for handle in handles]
            yield from heapq.merge(self.rows, *streams)
        finally:
            for handle in handles:
                handle.close()

    def write(self, detections: list[Detection]) -> None:
        """OUT/timeline.csv, then the temporary runs removed."""
        try:
            self.write_tagged(timeline_tags(detections))
        finally:
            self.discard()

    def write_tagged(self, tags: dict[str, str]) -> None:
        """OUT/timeline.csv from the rows and runs, each row of a finding tagged (`timeline_tags`);
        the runs are left (a worker process writes the file from runs the check removes)."""
        write_csv(self.out / "timeline.csv", TIMELINE_COLUMNS,
                  ((when, description, message, module, source, micros, tags.get(digest, NO_TAGS))
                   for micros, when, description, message, module, source, digest in self._sorted_rows()))

    def size(self) -> int:
        """About how many bytes the rows take (those in runs as written)."""
        return sum(run.stat().st_size for run in self.runs if run.exists()) + 200 * len(self.rows)

    def discard(self) -> None:
        for run in self.runs:
            run.unlink(missing_ok=True)
        self.rows, self.runs = [], []


def timeline_tags(detections: list[Detection]) -> dict[str, str]:
    """The tag cell of each record that is a finding, by record digest: all that a check's
    findings change in timeline.csv."""
    from spyglass.reports.timesketch import finding_fields

    by_record: dict[str, list[Detection]] = {}
    for detection in detections:
        by_record.setdefault(record_digest(detection.record), []).append(detection)
    return {digest: json.dumps(finding_fields(found)["tag"], ensure_ascii=False) for digest, found in by_record.items()}


def timeline_current(case_dir: Path) -> bool:
    """Whether the case's timeline.csv is in this version's columns (a recheck may keep it)."""
    try:
        with (case_dir / "timeline.csv").open(encoding="utf-8", newline="") as handle:
            return next(csv.reader([handle.readline()]), []) == TIMELINE_COLUMNS
    except (OSError, UnicodeDecodeError):
        return False


def record_digest(record: Record, line: str | None = None) -> str:
    """Names a record by its JSON line as written in records/MODULE.jsonl."""
    text = line if line is not None else dumps(record.to_dict())
    return hashlib.blake2b(text.encode("utf-8", "backslashreplace"), digest_size=12).hexdigest()


class CaseWriter:
    """Streams records to records/MODULE.jsonl and their times to the timeline (`Timeline`)."""

    def __init__(self, out: Path, prefix: str = "") -> None:
        self.out = out
        self.timeline = Timeline(out, prefix)
        self._handle: IO[str] | None = None

    def records_path(self, name: str) -> Path:
        return self.out / "records" / f"{SAFE_NAME.sub('_', name)}.jsonl"

    def begin_module(self, name: str, path: Path | None = None) -> None:
        """Records from now on go to records/NAME.jsonl (or `path`: a worker's slice of it)."""
        self.end_module()
        self._handle = (path or self.records_path(name)).open("w", encoding="utf-8", newline="\n")

    def write_record(self, record: Record) -> None:
        line = dumps(record.to_dict())
        assert self._handle is not None
        self._handle.write(line + "\n")
        self.timeline.add(record, line)

    def end_module(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def finish(self, case: dict[str, Any], detections: list[Detection], timeline_written: bool = False) -> None:
        """The rest of the case; timeline.csv unless a worker process wrote it (`timeline_written`)."""
        self.end_module()
        write_detections(self.out, detections)
        if timeline_written:
            self.timeline.discard()
        else:
            self.timeline.write(detections)
        write_case_json(self.out, case)
        finish_output(self.out)     # case.json written last: only now is the case complete


def write_detections(out: Path, detections: list[Detection]) -> None:
    with _atomic(out / "detections.jsonl") as handle:
        for detection in detections:
            handle.write(dumps(detection.to_dict()) + "\n")
    rows = sorted((iso_utc(d.timestamp) or "", d.record.timestamp_desc, d.message[:MAX_TIMELINE_MESSAGE],
                   d.module, d.source, d.severity, d.kind) for d in detections)
    write_csv(out / "timeline_detected.csv", DETECTED_COLUMNS, rows)


def write_incidents(out: Path, incidents: dict[str, Any]) -> None:
    """OUT/incidents.json: findings joined in time (see spyglass/incidents.py)."""
    with _atomic(out / "incidents.json") as handle:
        handle.write(json.dumps(incidents, ensure_ascii=False, indent=2, default=_json_default) + "\n")


def write_csv(path: Path, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    with _atomic(path, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)


def write_case_json(out: Path, case: dict[str, Any]) -> None:
    with _atomic(out / "case.json") as handle:
        handle.write(json.dumps(case, ensure_ascii=False, indent=2, default=_json_default) + "\n")


class _atomic:
    """Write to a temporary name beside the target, then rename: a case is never half-written."""

    def __init__(self, path: Path, newline: str | None = "\n") -> None:
        self.path, self.newline = path, newline
        self.temporary = path.with_name(f".{path.name}.tmp")

    def __enter__(self) -> IO[str]:
        self.handle = self.temporary.open("w", encoding="utf-8", errors="backslashreplace", newline=self.newline)
        return self.handle

    def __exit__(self, kind: Any, *_: Any) -> None:
        self.handle.close()
        if kind is None:
            os.replace(self.temporary, self.path)
        else:
            self.temporary.unlink(missing_ok=True)


# -- reading a case back -----------------------------------------------------------------------
def read_case(case_dir: Path) -> dict[str, Any]:
    path = case_dir / "case.json"
    try:
        case = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SpyglassError(f"{case_dir}: not a spyglass case folder (no case.json)") from exc
    except (OSError, ValueError) as exc:
        raise SpyglassError(f"{path}: cannot be read ({exc})") from exc
    if not isinstance(case, dict):
        raise SpyglassError(f"{path}: not a spyglass case file")
    return case


def read_detections(case_dir: Path) -> list[Detection]:
    path = case_dir / "detections.jsonl"
    if not path.exists():
        return []
    detections = []
    for number, line in enumerate(_lines(path), start=1):
        try:
            detections.append(Detection.from_dict(loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise SpyglassError(f"{path}:{number}: not a spyglass finding ({exc})") from exc
    return detections


def records_file(case_dir: Path, module: str) -> Path:
    return case_dir / "records" / f"{SAFE_NAME.sub('_', module)}.jsonl"


def iter_records(case_dir: Path, module: str) -> Iterator[Record]:
    path = records_file(case_dir, module)
    if path.exists():
        yield from read_records(path)


def read_records(path: Path, start: int = 0, stop: int | None = None) -> Iterator[Record]:
    """The records of a records file, or of the lines that begin in its bytes [start, stop)
    (`start` at a line's beginning: spyglass/parallel.py cuts a file among processes)."""
    with path.open("rb") as handle:
        handle.seek(start)
        position = start
        for number, line in enumerate(handle, start=1):
            if stop is not None and position >= stop:
                return
            position += len(line)
            if not line.strip():
                continue
            try:
                yield Record.from_dict(loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                where = f"{path}:{number}" if start == 0 else f"{path} (line {number} after byte {start})"
                raise SpyglassError(f"{where}: not a spyglass record ({exc})") from exc


def _lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield line
