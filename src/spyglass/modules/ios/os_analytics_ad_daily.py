"""OS analytics daily network baseline: data each process moved over Wi-Fi and cellular.

Reads:   com.apple.osanalytics.addaily.plist, HomeDomain
         Library/Preferences/com.apple.osanalytics.addaily.plist
         (/private/var/mobile/Library/Preferences/). Its `netUsageBaseline` maps a process
         name (sometimes "process/subsystem", e.g. "powerd/com.apple.datausage.diagnostics")
         to [date, wifiIn, wifiOut, wwanIn, wwanOut]; the date is a plist date (UTC).
Yields:  one record per process, timestamped with its baseline date; observables are the
         process name and, for "process/subsystem" names, the process part alone.
         Kaspersky's triangle_check reads it: BackupAgent here is an Operation Triangulation
         trace.
Seen:    iOS 14 to 16 (MVT, Kaspersky triangle_check).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import plist_date, plist_member, process_part
from spyglass.records import Record, iso_utc, observables

ARTIFACT = Artifact(
    name="os_analytics_ad_daily",
    description="Per-process network use baseline (osanalytics addaily)",
    paths=('/private/var/mobile/Library/Preferences/com.apple.osanalytics.addaily.plist',),
    os_versions="iOS 14-16",
)

COUNTERS = ("wifi_in", "wifi_out", "wwan_in", "wwan_out")


def parse(file: EvidenceFile) -> Iterator[Record]:
    baseline = plist_member(file, "netUsageBaseline", dict)
    for process_name, values in (baseline or {}).items():
        yield _record(str(process_name), values if isinstance(values, list) else [])


def _record(process_name: str, values: list[Any]) -> Record:
    stamp = values[0] if values else None
    moment = plist_date(stamp)
    counters = {name: _number(values[index + 1]) if len(values) > index + 1 else None
                for index, name in enumerate(COUNTERS)}
    total = sum(value for value in counters.values() if value is not None)
    return Record(
        timestamp=moment,
        timestamp_desc="network use baseline",
        message=(f"{process_name} network use: Wi-Fi in {counters['wifi_in']}, out {counters['wifi_out']}; "
                 f"cellular in {counters['wwan_in']}, out {counters['wwan_out']}"),
        fields={
            "process_name": process_name,
            "baseline_date": iso_utc(moment),
            **counters,
            "total_bytes": total,
            "raw_date": None if moment or stamp is None else str(stamp),
        },
        observables=observables(("process", process_name), ("process", process_part(process_name))),
    )


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value
