"""Call history: phone, FaceTime and third-party app (CallKit) calls.

Reads:   CallHistory.storedata, HomeDomain Library/CallHistoryDB/CallHistory.storedata
         (/private/var/mobile/Library/CallHistoryDB/), Core Data table ZCALLRECORD: ZADDRESS
         (phone number or email; declared VARCHAR but often stored as a UTF-8 blob), ZDATE
         (Apple time), ZDURATION (seconds), ZORIGINATED (1 outgoing), ZANSWERED, ZCALLTYPE
         (1 phone, 8 FaceTime video, 16 FaceTime audio, 0 third-party app),
         ZSERVICE_PROVIDER (bundle id of the calling service, iOS 10+), ZHANDLE_TYPE (CallKit:
         2 phone number, 3 email), ZLOCATION, ZISO_COUNTRY_CODE, ZNAME. Columns absent from older
         releases are skipped.
Yields:  one record per call, timestamped at its start; observables are the other party
         (phone or email) and the service provider's bundle id.
Seen:    iOS 12 to 18 (iLEAPP sample data).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import handle_observables
from spyglass.records import Record, flag, iso_utc, observables
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="call_history",
    description="Phone, FaceTime and app calls",
    paths=('/private/var/mobile/Library/CallHistoryDB/CallHistory.storedata',),
    tables={"ZCALLRECORD": {"Z_PK", "ZDATE", "ZADDRESS"}},
    os_versions="iOS 12-18",
)

CALL_COLUMNS = {
    "ZDATE": "date_raw", "ZADDRESS": "address", "ZDURATION": "duration", "ZORIGINATED": "originated",
    "ZANSWERED": "answered", "ZCALLTYPE": "call_type", "ZSERVICE_PROVIDER": "service_provider",
    "ZHANDLE_TYPE": "handle_type", "ZLOCATION": "location", "ZISO_COUNTRY_CODE": "country_code",
    "ZNAME": "name", "ZUNIQUE_ID": "unique_id", "ZDISCONNECTED_CAUSE": "disconnected_cause",
    "ZREAD": "read", "ZCALL_CATEGORY": "call_category",
}
CALL_TYPES = {0: "third-party app", 1: "phone", 8: "FaceTime video", 16: "FaceTime audio"}
MAX_ADDRESS_CHARS = 512


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    selected = ", ".join(db.present("ZCALLRECORD", CALL_COLUMNS))
    for row in db.rows(f"SELECT Z_PK AS call_id, {selected} FROM ZCALLRECORD ORDER BY ZDATE, Z_PK"):
        yield _record(dict(row))


def _record(row: dict[str, Any]) -> Record:
    started = apple_time(row.get("date_raw"))
    address = _address(row.get("address"))
    duration = row.get("duration") if isinstance(row.get("duration"), int | float) else None
    outgoing = flag(row.get("originated"))
    answered = flag(row.get("answered"))
    call_type = CALL_TYPES.get(row.get("call_type"), row.get("call_type"))
    provider = row.get("service_provider") if isinstance(row.get("service_provider"), str) else None
    ended = started + timedelta(seconds=duration) if started and duration else None
    direction = "outgoing" if outgoing else "incoming" if outgoing is False else "call"
    missed = " (not answered)" if answered is False else ""
    return Record(
        timestamp=started,
        timestamp_desc="call started",
        message=f"{str(call_type or 'call').capitalize()} {direction} {'to' if outgoing else 'from'} "
                f"{address or 'unknown'}, {duration or 0:g} s{missed}",
        fields={
            "call_id": row.get("call_id"),
            "address": address,
            "direction": direction,
            "answered": answered,
            "call_type": call_type,
            "service_provider": provider,
            "handle_type": row.get("handle_type"),
            "duration": duration,
            "date": iso_utc(started),
            "end_date": iso_utc(ended),
            "location": row.get("location"),
            "country_code": row.get("country_code"),
            "name": row.get("name"),
            "unique_id": row.get("unique_id"),
            "disconnected_cause": row.get("disconnected_cause"),
            "raw_date": row.get("date_raw"),
        },
        observables=handle_observables(address) + observables(("app_id", provider)),
    )


def _address(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value[:MAX_ADDRESS_CHARS * 4].decode("utf-8", errors="replace")
    if value is None:
        return None
    text = str(value).strip().strip("\x00")[:MAX_ADDRESS_CHARS]
    return text or None
