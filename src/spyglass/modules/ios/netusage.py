"""Network use per process kept by networkd: which processes used Wi-Fi, cellular or wired data.

Reads:   /private/var/networkd/netusage.sqlite, and /private/var/networkd/db/netusage.sqlite
         where newer iOS versions keep it (MVT's Netusage module reads both). Full filesystem
         dumps only: backups do not carry it (mac4n6.com, "Network and Application Usage using
         netusage.sqlite & DataUsage.sqlite"). The Core Data schema of DataUsage.sqlite:
         ZPROCESS (Z_PK, ZPROCNAME, ZBUNDLENAME, ZFIRSTTIMESTAMP, ZTIMESTAMP) and ZLIVEUSAGE
         (Z_PK, ZHASPROCESS -> ZPROCESS.Z_PK, ZTIMESTAMP, ZKIND, ZWIFIIN/OUT, ZWWANIN/OUT, and
         ZWIREDIN/OUT since iOS 10; iOS 10-11 also ZXIN/ZXOUT) - APOLLO netusage_zliveusage,
         iLEAPP netusage. Times are Apple seconds. Process names are as the kernel reports
         them, cut short (often at 15 or 16 characters).
Yields:  the record shape of `datausage` (the same field names, so one heuristic reads both):
         one record per process row (first and last network use) and one per live-usage row,
         plus wired_in/wired_out. A live-usage row whose process row is gone is still yielded,
         marked `process_missing`: Pegasus process names (bh, roleaccountd, ...) were found
         here and its process rows deleted (Amnesty International, Forensic Methodology Report,
         2021). Observables: the process name, the part before a slash, the bundle id.
Seen:    iOS 10 to 18.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import IOS_FS, EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._usage import TABLES, usage_records
from spyglass.records import Record

ARTIFACT = Artifact(
    name="netusage",
    description="Network use per process (networkd)",
    paths=("/private/var/networkd/netusage.sqlite", "/private/var/networkd/db/netusage.sqlite"),
    tables=TABLES,
    # Backups do not carry it: a filesystem dump does.
    kinds=frozenset({IOS_FS}),
    os_versions="iOS 10-18",
)


def parse(file: EvidenceFile) -> Iterator[Record]:
    yield from usage_records(file.sqlite(), wired=True, label="netusage")
