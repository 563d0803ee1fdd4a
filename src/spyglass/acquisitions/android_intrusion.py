"""Android Intrusion Logging (Advanced Protection, Android 16+): the decrypted logs a person
downloads, as a folder or a zip (or tar) of them.

Google's Intrusion Logging keeps the device's IntrusionDetectionEvents (AOSP
frameworks/base/core/java/android/security/intrusiondetection/IntrusionDetectionEvent.java:
a SecurityEvent, a DnsEvent or a ConnectEvent) end-to-end encrypted for a year; the download
is date-named .txt files of newline-delimited JSON, one event per line, each an object with
one key: `dns_event`, `connect_event` or `security_event` (MVT docs/android/intrusion_logs.md,
mvt-project/mvt#788, #813, #831; ALEAPP scripts/artifacts/intrusion_logging.py). androidqf
stores the same files under intrusion_logs/ of its own acquisition (mvt-project/androidqf#92),
which the androidqf kind answers.

Probe: a log file (.txt, .json, .jsonl, .ndjson) at the top or one folder down whose first
line, within 64 KiB, is a JSON object with one of those keys holding an object.
Modules name the files relative to the folder or archive root (`**/*.txt`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spyglass.acquisitions.base import ANDROID_INTRUSION
from spyglass.acquisitions.containers import FILE, Container, Member, open_container, probe_members
from spyglass.acquisitions.named import NamedFilesAcquisition
from spyglass.errors import EvidenceError

EVENT_KEYS = ("dns_event", "connect_event", "security_event")
LOG_SUFFIXES = (".txt", ".json", ".jsonl", ".ndjson")
PROBE_BYTES = 64 * 1024
PROBE_FILES = 20
PROBE_MEMBERS = 5_000
MAX_PROBE_BRACKETS = 64   # an event line has a handful; few brackets bound the nesting json.loads meets


class AndroidIntrusionLogs(NamedFilesAcquisition):
    """A folder or archive of decrypted Intrusion Logging files."""

    kind = ANDROID_INTRUSION

    def __init__(self, root: Path, secrets: Any = None) -> None:
        super().__init__(root, secrets)
        self.container = open_container(root)
        self.prefix = ""
        self._relative = sorted(m.path for m in self.container.members())
        for refusal in self.container.refused:
            self.warnings.append(f"{self.root.name}: {refusal}")
        self.device = {"os": "Android"}

    @classmethod
    def probe(cls, path: Path) -> bool:
        try:
            if not any(_may_be_log(member) for member in probe_members(path, PROBE_MEMBERS)):
                return False        # no log file among the first members: nothing to open
            container = open_container(path)
        except (EvidenceError, OSError):
            return False
        try:
            return _holds_logs(container)
        except (EvidenceError, OSError):
            return False
        finally:
            container.close()


def _may_be_log(member: Member) -> bool:
    return member.kind == FILE and member.path.count("/") <= 1 and member.path.lower().endswith(LOG_SUFFIXES)


def _holds_logs(container: Container) -> bool:
    tried = 0
    for count, member in enumerate(container.scan()):
        if count >= PROBE_MEMBERS or tried >= PROBE_FILES:
            return False
        if not _may_be_log(member):
            continue
        tried += 1
        # The first bytes only: a day's log is megabytes. _read stops one byte past its limit.
        head = container._read(member, PROBE_BYTES)[:PROBE_BYTES]
        if is_event_line(head.split(b"\n", 1)[0]):
            return True
    return False


def is_event_line(line: bytes) -> bool:
    """Whether `line` is one Intrusion Logging event: an object keyed by an event type."""
    line = line.strip()
    if not line.startswith(b"{") or line.count(b"{") + line.count(b"[") > MAX_PROBE_BRACKETS:
        return False
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, dict) and any(isinstance(value.get(key), dict) for key in EVENT_KEYS)
