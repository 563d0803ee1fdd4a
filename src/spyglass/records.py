"""The one record type every module yields, and the observables pulled out for matching."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from spyglass.limits import MAX_FIELD_CHARS

# Observable types understood by the matcher. Modules use these names verbatim.
OBSERVABLE_TYPES = frozenset({
    "domain", "url", "ip", "email", "phone", "process", "file_name", "file_path",
    "app_id", "sha256", "sha1", "md5", "cert_sha256", "cert_sha1", "cert_md5",
    "android_property", "profile_id",
})


@dataclass(frozen=True, slots=True)
class Observable:
    """A typed value pulled out of a record for matching (`domain`, `url`, `process`...)."""

    type: str
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "value": self.value}


@dataclass(frozen=True, slots=True)
class Record:
    """One thing a module found: a visit, a message, a process row, a file entry.

    `module` and `source` are filled in by the runner when a module leaves them empty.
    `timestamp` is timezone-aware UTC or None; raw values that could not be converted stay
    in `fields`.
    """

    timestamp: datetime | None
    timestamp_desc: str
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    observables: tuple[Observable, ...] = ()
    module: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "source": self.source,
            "timestamp": iso_utc(self.timestamp),
            "timestamp_desc": self.timestamp_desc,
            "message": self.message,
            "fields": self.fields,
            "observables": [o.to_dict() for o in self.observables],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        stamp = data.get("timestamp")
        return cls(
            timestamp=parse_iso(stamp) if stamp else None,
            timestamp_desc=data.get("timestamp_desc", ""),
            message=data.get("message", ""),
            fields=data.get("fields") or {},
            observables=tuple(Observable(o["type"], o["value"]) for o in data.get("observables") or ()),
            module=data.get("module", ""),
            source=data.get("source", ""),
        )


def text_field(value: Any, limit: int = MAX_FIELD_CHARS) -> str | None:
    """A text value from evidence as a record keeps it: bytes decoded (bad UTF-8 replaced), cut
    at `limit` characters; anything that is not text gives None."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return value[:limit] if isinstance(value, str) else None


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a trailing Z, seconds precision unless there are microseconds."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is several times faster than strftime; this runs for every record.
    return moment.replace(tzinfo=None).isoformat() + "Z"


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def observables(*pairs: tuple[str, Any] | Observable) -> tuple[Observable, ...]:
    """Build observables from (type, value) pairs or Observables (as `extract()` gives them),
    skipping empty values and duplicates."""
    seen: dict[tuple[str, str], None] = {}
    for pair in pairs:
        kind, value = (pair.type, pair.value) if isinstance(pair, Observable) else pair
        if value is None:
            continue
        text = str(value).strip()
        if text:
            seen.setdefault((kind, text), None)
    return tuple(Observable(kind, value) for kind, value in seen)
