"""Timesketch timeline of a case: OUT/timeline.jsonl, one JSON object per event.

Its time table (`record_times`, RECORD_TIMES) and tags (`finding_fields`) also make the rows of
OUT/timeline.csv, which the case writer keeps sorted as it writes a case (spyglass/case.py).

Rendered from the case folder alone (records/MODULE.jsonl, detections.jsonl), streamed: a case of
millions of records is written in bounded memory, module by module (file name order), each in the
order its records were written. Rows are not sorted: Timesketch orders them itself.

Format facts (Timesketch, docs/guides/user/import-from-json-csv.md and the server's
`read_and_validate_jsonl` in timesketch/lib/utils.py; the importer library's
`ImportStreamer._fix_dict` in timesketch_import_client/importer.py):
- every line needs `message`, `datetime` (ISO 8601, e.g. 2015-07-24T19:01:01+00:00) and
  `timestamp_desc`; `timestamp` is microseconds since the epoch (the server derives it from
  `datetime` when absent; we write both, from the same moment);
- `tag` is a list of labels shown on the event;
- keys starting with `_` are dropped by the importer, so no key written here starts with one.

One row per distinct time a record holds: its own `timestamp` (with its `timestamp_desc`), and
the other times its fields name, as RECORD_TIMES declares per module (a file's modified, status changed,
created and accessed times; a process's first and last network use; a message's delivery and
read times); times on the same moment share one row, their descriptions joined with "; ". A
record with no time at all has no row: Timesketch cannot place it.

Each row carries the record's fields flattened to dotted keys (`raw_times.modified`,
`addresses.0.address`), at most MAX_FLAT_FIELDS of them, each value text of at most
MAX_FLAT_VALUE characters. Values are written as text because one Timesketch index holds the
fields of every module, and a name holding a number in one module and text in another would
make the index refuse rows. A field whose name is one of the row's own keys is written as
`record.<name>`. Rows of records that are findings also carry `tag` (["spyglass", severity,
malware...]), `severity` (the most severe), `indicator`, `feed`, `finding` and `heuristic`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from spyglass.case import MAX_TIMELINE_MESSAGE, dumps, loads, read_detections
from spyglass.detections import INDICATOR, SEVERITY_RANK, Detection
from spyglass.errors import SpyglassError
from spyglass.records import Record, iso_utc

FILE_TIMES = (("modified", "file modified"), ("status_changed", "file status changed"),
              ("changed", "file status changed"), ("created", "file created"), ("born", "file created"),
              ("accessed", "file accessed"))
USAGE_TIMES = (("first_seen", "process first used the network"), ("last_seen", "process last used the network"))

# Module -> (field, timestamp_desc) of every time its records hold besides their own timestamp.
# A field that holds the record's own timestamp under the same description gives no second row.
RECORD_TIMES: dict[str, tuple[tuple[str, str], ...]] = {
    "manifest": FILE_TIMES,
    "android_files": FILE_TIMES,
    # The bug report's zip keeps the phone's local time: the record's own description says so.
    "android_fs_timeline": (("modified", "file modified (phone's local time)"),),
    "datausage": USAGE_TIMES,
    "netusage": USAGE_TIMES,
    "sms": (("date_delivered", "message delivered"), ("date_read", "message read"),
            ("date_edited", "message edited"), ("date_retracted", "message unsent")),
    "android_sms": (("date_sent", "message sent by the sender's phone"),),
}

MAX_FLAT_FIELDS = 256
MAX_FLAT_VALUE = 4096
MAX_FLAT_KEY = 200
RESERVED = frozenset({"message", "datetime", "timestamp", "timestamp_desc", "module", "source", "tag",
                      "severity", "indicator", "feed", "finding", "heuristic", "fields_truncated"})
JOINED = "; "      # between the descriptions of times that fall on one moment
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def write_timesketch(case_dir: Path, out: Path | None = None) -> Path:
    """Write the Timesketch JSONL of `case_dir` to `out` (default: case_dir/timeline.jsonl)."""
    target = out if out is not None else case_dir / "timeline.jsonl"
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with temporary.open("w", encoding="utf-8", newline="\n", errors="backslashreplace") as handle:
            write_rows(handle, timesketch_rows(case_dir))
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise SpyglassError(f"{target}: cannot write the Timesketch timeline ({exc.strerror or exc})") from exc
    return target


def write_rows(handle: IO[str], rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        handle.write(dumps(row) + "\n")


def timesketch_rows(case_dir: Path) -> Iterator[dict[str, Any]]:
    """Every row of the case: the records of records/*.jsonl, then the findings whose record is
    in no records file (a finding written by a check that kept no records of its module)."""
    findings = _Findings(read_detections(case_dir))
    folder = case_dir / "records"
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
        for number, line in _numbered_lines(path):
            try:
                raw = loads(line)
                record = Record.from_dict(raw)
            except (ValueError, KeyError, TypeError) as exc:
                raise SpyglassError(f"{path}:{number}: not a spyglass record ({exc})") from exc
            yield from record_rows(record, findings.take(record))
    for record, detections in findings.left():
        yield from record_rows(record, detections)


def record_rows(record: Record, detections: list[Detection] | None = None) -> Iterator[dict[str, Any]]:
    """The rows of one record: one per time it holds."""
    times = record_times(record)
    if not times:
        return
    base: dict[str, Any] = {
        "message": (record.message or f"{record.module} record")[:MAX_TIMELINE_MESSAGE],
        "module": record.module,
        "source": record.source,
    }
    base.update(flatten(record.fields))
    if detections:
        base.update(finding_fields(detections))
    for moment, description in times:
        yield {"message": base["message"], "datetime": moment.isoformat(),
               "timestamp": (moment - EPOCH) // MICROSECOND, "timestamp_desc": description, **base}


def record_times(record: Record) -> list[tuple[datetime, str]]:
    """(moment in UTC, description) of every distinct time of `record`, its own timestamp first.

    Times that fall on the same moment make one row, their descriptions joined with "; " in
    the table's order ("file modified; file status changed; file created"): most files are
    written once, so their three times are one, and three rows would say it three times (and
    count one record three times in the report's chart)."""
    found: dict[datetime, str] = {}
    if record.timestamp is not None:
        found[record.timestamp.astimezone(UTC)] = record.timestamp_desc or "time recorded"
    table = RECORD_TIMES.get(record.module)
    if table and isinstance(record.fields, dict):
        fields = record.fields
        for name, description in table:
            moment = _moment(fields.get(name))
            if moment is None:
                continue
            said = found.get(moment)
            if said is None:
                found[moment] = description
            elif description not in said.split(JOINED):
                found[moment] = said + JOINED + description
    return list(found.items())


def flatten(fields: Any) -> dict[str, str]:
    """A record's fields as dotted keys and text values, bounded; `fields_truncated` when cut."""
    flat: dict[str, str] = {}
    cut = False
    stack: list[tuple[str, Any]] = [("", fields)]
    while stack:
        prefix, value = stack.pop()
        if isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            children = [(f"{prefix}.{key}" if prefix else str(key), item) for key, item in items]
            stack.extend(reversed(children))   # reversed: popped in the fields' own order
            continue
        if value is None:
            continue
        if len(flat) >= MAX_FLAT_FIELDS:
            cut = True
            break
        key = prefix[:MAX_FLAT_KEY]
        if key in RESERVED or key.startswith("_") or not key:
            key = f"record.{key}"
        text = _text(value)
        if len(text) > MAX_FLAT_VALUE:
            text, cut = text[:MAX_FLAT_VALUE], True
        flat[key] = text
    if cut:
        flat["fields_truncated"] = "true"
    return flat


def finding_fields(detections: list[Detection]) -> dict[str, Any]:
    """What the findings of one record add to its rows."""
    ordered = sorted(detections, key=lambda item: SEVERITY_RANK.get(item.severity, 9))
    tags = ["spyglass", ordered[0].severity]
    indicators, feeds, heuristics, messages = [], [], [], []
    for detection in ordered:
        indicator = detection.indicator if isinstance(detection.indicator, dict) else {}
        tags += [str(name) for name in indicator.get("malwares") or [indicator.get("malware")] if name]
        if detection.kind == INDICATOR and indicator.get("value"):
            indicators.append(f"{indicator.get('value')} ({indicator.get('type')})")
        feeds += [str(name) for name in (indicator.get("feeds") or [indicator.get("feed")]) if name]
        if detection.heuristic:
            heuristics.append(detection.heuristic)
        messages.append(detection.message)
    data: dict[str, Any] = {"tag": _unique(tags), "severity": ordered[0].severity,
                            "finding": "; ".join(_unique(messages))[:MAX_TIMELINE_MESSAGE]}
    for key, values in (("indicator", indicators), ("feed", feeds), ("heuristic", heuristics)):
        if values:
            data[key] = ", ".join(_unique(values))[:MAX_FLAT_VALUE]
    return data


class _Findings:
    """The findings of a case by the record they were found in, taken as the records stream by."""

    def __init__(self, detections: list[Detection]) -> None:
        self.by_record: dict[tuple[str, str, str, str], dict[str, tuple[Record, list[Detection]]]] = {}
        for detection in detections:
            record = detection.record
            entry = self.by_record.setdefault(_short_key(record), {}).setdefault(
                _full_key(record), (record, []))
            entry[1].append(detection)

    def take(self, record: Record) -> list[Detection]:
        candidates = self.by_record.get(_short_key(record))
        if not candidates:
            return []
        entry = candidates.pop(_full_key(record), None)
        return entry[1] if entry else []

    def left(self) -> Iterator[tuple[Record, list[Detection]]]:
        for candidates in self.by_record.values():
            yield from candidates.values()


def _short_key(record: Record) -> tuple[str, str, str, str]:
    return (record.module, record.source, iso_utc(record.timestamp) or "", record.message)


def _full_key(record: Record) -> str:
    return json.dumps(record.to_dict(), sort_keys=True, ensure_ascii=True, default=str)


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)    # Python 3.11 reads a trailing Z
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    if moment.tzinfo is UTC:
        return moment
    try:
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return str(value)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line
