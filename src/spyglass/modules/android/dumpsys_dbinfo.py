"""SQLite databases apps had open and the statements they ran last (dumpsys dbinfo).

Reads:   the "dbinfo" section of androidqf's dumpsys.txt or of a bug report's dumpstate text
         (see _dumpsys). AOSP SQLiteDebug / SQLiteConnectionPool.dump, as in MVT's
         tests/artifacts/android_data/dumpsys_dbinfo.txt: "** Database info for pid 8817
         [com.a] **" per process, "Connection pool for /data/user/0/com.a/databases/x.db:" per
         database, then under "Most recently executed operations:" lines
         '0: [2023-07-27 12:21:44.097] [Pid:(8817)]executeForLong took 0ms - succeeded,
         sql="PRAGMA page_size;", path=...' (older builds: "[07-27 12:21:44.097]" without the
         year, and no "[Pid:(n)]"). Times are the device's local time: UTC only where its zone
         is known (a bug report's persist.sys.timezone).
Yields:  one record per operation, and one per database with none listed: `process_name`,
         `pid`, `package_name`, `database_path`, `operation`, `sql`, `status`,
         `executed_local`, `executed_at` (ISO UTC or None); timestamped when known;
         observables process, app_id, file_path.
Seen:    Android 10-16.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.android._dumpsys import DUMPSYS_FILES, local_time, sections
from spyglass.records import Record, iso_utc, observables

ARTIFACT = Artifact(
    name="dumpsys_dbinfo",
    description="Databases apps had open and their last statements (dumpsys dbinfo)",
    platform="android",
    extra=DUMPSYS_FILES,
    os_versions="Android 10-16",
)

PROCESS = re.compile(r"\*\* Database info for pid (\d{1,10}) \[([^\]]{1,300})\] \*\*")
POOL = re.compile(r"Connection pool for (.{1,4000}):\s*$")
OPERATION = re.compile(r"\s+\d{1,6}: \[((?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]\s*(?:\[Pid:\((\d{1,10})\)\])?"
                       r"\s*([A-Za-z]{1,60})(?: took [^,]{0,40}?)?(?: - ([a-z]{1,20}))?(?:, sql=\"(.*?)\")?(?:, path=|$)")
MAX_RECORDS = 500_000


def parse(file: EvidenceFile) -> Iterator[Record]:
    for section in sections(file, ("dbinfo",)):
        yield from _records(section.lines, section.timezone)


def _records(lines: list[str], timezone: str | None) -> Iterator[Record]:
    process: tuple[int, str] | None = None
    path: str | None = None
    pool_ops = 0
    count = 0
    for line in lines:
        if count >= MAX_RECORDS:
            return
        if match := PROCESS.search(line):
            if path is not None and not pool_ops:
                count += 1
                yield _record(process, path, None, timezone)
            process, path, pool_ops = (int(match.group(1)), match.group(2)), None, 0
        elif match := POOL.match(line):
            if path is not None and not pool_ops:
                count += 1
                yield _record(process, path, None, timezone)
            path, pool_ops = match.group(1), 0
        elif path is not None and (op := OPERATION.match(line)):
            pool_ops += 1
            count += 1
            yield _record(process, path, op, timezone)
    if path is not None and not pool_ops:
        yield _record(process, path, None, timezone)


def _record(process: tuple[int, str] | None, path: str, op: re.Match[str] | None, timezone: str | None) -> Record:
    name = process[1] if process else None
    package = name.split(":", 1)[0] if name else None
    local = op.group(1) if op else None
    moment = local_time(local, "%Y-%m-%d %H:%M:%S.%f", timezone) if local and len(local) > 18 else None
    fields: dict[str, Any] = {
        "process_name": name, "pid": process[0] if process else None, "package_name": package,
        "database_path": path, "operation": op.group(3) if op else None, "sql": op.group(5) if op else None,
        "status": op.group(4) if op else None, "executed_local": local, "executed_at": iso_utc(moment),
    }
    message = f"{name or 'unknown process'}: {fields['operation']} on {path}" if op else f"{name}: database {path}"
    return Record(timestamp=moment, timestamp_desc="statement executed" if moment else "", message=message,
                  fields=fields, observables=observables(("process", name), ("app_id", package), ("file_path", path)))
