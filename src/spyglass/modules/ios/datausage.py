"""Network data usage per process: which processes used Wi-Fi or cellular data, and when.

Reads:   DataUsage.sqlite, WirelessDomain Library/Databases/DataUsage.sqlite
         (/private/var/wireless/Library/Databases/), and DataUsage-watch.sqlite (a paired
         Apple Watch's usage) beside it. Core Data tables: ZPROCESS (Z_PK, ZPROCNAME,
         ZBUNDLENAME, ZFIRSTTIMESTAMP, ZTIMESTAMP) and ZLIVEUSAGE (Z_PK, bytes in and out
         over Wi-Fi and WWAN, ZTIMESTAMP) pointing at its process through ZHASPROCESS (named
         ZPROCESS in some copies). Times are Apple seconds. Process names are as the kernel
         reports them, cut short (often 15 or 16 characters), so a match may be a prefix.
Yields:  one record per process row (first and last network use) and one per live-usage row;
         a live-usage row whose process row is gone is still yielded, marked
         `process_missing`: Pegasus deleted its own process rows but not their usage.
Seen:    iOS 12 to 18.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._usage import TABLES, usage_records
from spyglass.records import Record

ARTIFACT = Artifact(
    name="datausage",
    description="Network use per process",
    paths=('/private/var/wireless/Library/Databases/DataUsage.sqlite',
           '/private/var/wireless/Library/Databases/DataUsage-watch.sqlite'),
    tables=TABLES,
    os_versions="iOS 12-18",
)


def parse(file: EvidenceFile) -> Iterator[Record]:
    yield from usage_records(file.sqlite(), wired=False)
