"""Received Messages attachment stored under /var/tmp: where FORCEDENTRY left its payloads.

Reads the `sms_attachments` records. Attachments Messages receives are kept under
~/Library/SMS/Attachments; the FORCEDENTRY exploit chain (Pegasus, 2021) left received
attachments under /private/var/tmp instead. An outgoing attachment staged in a temporary
folder is ordinary and not reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="attachment_var_tmp",
    description="Received attachment stored under /var/tmp",
    modules=frozenset({"sms_attachments"}),
)

TEMPORARY_FOLDERS = ("/var/tmp/", "/private/var/tmp/")


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("sms_attachments", ()):
        fields = record.fields
        filename = str(fields.get("filename") or "")
        if fields.get("is_outgoing") is not False or not filename.startswith(TEMPORARY_FOLDERS):
            continue
        yield suspicious(
            HEURISTIC, record,
            f"A received attachment is stored under a temporary folder ({filename}), as with the "
            "FORCEDENTRY iMessage exploit",
            severity="high" if fields.get("service") == "iMessage" else "medium",
            observable=Observable("file_path", filename))
