"""What the three Intrusion Logging modules share: the files they read and the reading of
one event type's lines.

Format (MVT docs/android/intrusion_logs.md and mvt-project/mvt#788, #813, #831; ALEAPP
scripts/artifacts/intrusion_logging.py): date-named .txt files of newline-delimited JSON, one
event per line, `{"dns_event": {...}}`, `{"connect_event": {...}}` or `{"security_event":
{...}}`. Every event holds `event_id` and `event_time`: Unix milliseconds for DNS and connect
events, nanoseconds for security events (converted by magnitude). Addresses are Java
InetAddress strings, `/203.0.113.9` or `host/203.0.113.9`.
"""

from __future__ import annotations

import io
import ipaddress
from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import ANDROID_INTRUSION, ANDROIDQF, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_LINE_CHARS, MAX_TEXT_BYTES
from spyglass.modules.android._json import load_json
from spyglass.records import scalar_field

# A decrypted download at the root of the folder or archive, or one folder down; androidqf
# keeps them under intrusion_logs/ (MVT's docs write intrusion-logs/).
FILES = {ANDROID_INTRUSION: ("**/*.txt",),
         ANDROIDQF: ("intrusion_logs/**/*.txt", "intrusion-logs/**/*.txt")}
OS_VERSIONS = "Android 16-17"
MAX_EVENT_BYTES = MAX_LINE_CHARS     # one event line
MAX_EVENT_DEPTH = 8                  # an event nests three or four deep


def events(file: EvidenceFile, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, event object) for every `key` event in the file. Other event types are
    left to their modules; lines that name `key` but are not a JSON event are counted and
    said once the good ones are yielded."""
    marker = f'"{key}"'.encode()
    bad, first_bad = 0, ""
    for number, raw in enumerate(io.BytesIO(file.read_bytes(MAX_TEXT_BYTES)), start=1):
        if marker not in raw:
            continue
        try:
            if len(raw) > MAX_EVENT_BYTES:
                raise EvidenceError(f"{len(raw)} bytes, over the {MAX_EVENT_BYTES} byte bound")
            value = load_json(raw, f"line {number}", "the event", MAX_EVENT_DEPTH)
            event = value.get(key) if isinstance(value, dict) else None
            if not isinstance(event, dict):
                raise EvidenceError(f"line {number}: not an object keyed {key}")
        except EvidenceError as exc:
            bad += 1
            first_bad = first_bad or (str(exc) if str(exc).startswith("line") else f"line {number}: {exc}")
            continue
        yield number, event
    if bad:
        raise EvidenceError(f"{file.source}: {bad} {key} line(s) could not be read (first: {first_bad})"[:400])


def address(value: Any) -> str | None:
    """The IP literal of a Java InetAddress string (`/1.2.3.4`, `host/1.2.3.4`), or None."""
    text = scalar_field(value)
    if not isinstance(text, str):
        return None
    literal = text.rpartition("/")[2].strip()
    try:
        return str(ipaddress.ip_address(literal))
    except ValueError:
        return None


def package(value: Any) -> str | None:
    """The package of a package or process name (`com.example.app:remote`) as an app id; None
    for a shared user id (`android.uid.system:1000`, as Android names a uid's lookups)."""
    text = scalar_field(value)
    if not isinstance(text, str) or "." not in text or " " in text:
        return None
    name, _, suffix = text.partition(":")
    return None if suffix.isdigit() else name
