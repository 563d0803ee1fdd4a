"""Intrusion Logging security events: app process starts, adb shell commands and file
transfers, certificate installs, package changes, lock screen and integrity events.

Reads:   the decrypted Intrusion Logging download (Android 16+ Advanced Protection), or
         androidqf's intrusion_logs/: `security_event` lines (see modules/android/_intrusion.py).
         Each holds event_id, event_time (Unix ns) and one key naming the event, the
         snake_case form of Android's SecurityLog TAG_* (mvt-project/mvt#813, #814, #831), with
         its payload: app_process_start {process, uid, pid, seinfo, sha256 (of the APK)},
         adb_shell_cmd {command}, adb_sync_recv_file / adb_sync_send_file {path},
         cert_authority_installed / _removed {subject, success, user_id}, package_installed /
         _updated / _uninstalled {package_name, version_code, user_id},
         keyguard_dismiss_auth_attempt {success, method_strength}, keyguard_dismissed {},
         os_startup {verified_boot_state, dm_verity_mode}, key_integrity_violation {key_id,
         uid}, ... Names Google adds later are kept as they are.
Yields:  one record per event (fields event_type, event_id, details: the payload, and the
         CONTRACT process fields for a process start), timestamped with it; observables process
         and app_id (process starts), sha256 (the APK), file_path (adb transfers), app_id
         (package events), and what the shared extractor finds in adb shell commands.
Seen:    Android 16-17 (Pixel).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.extract import extract
from spyglass.modules import Artifact
from spyglass.modules.android._intrusion import FILES, OS_VERSIONS, events, package
from spyglass.records import Record, observables, scalar_field, text_field
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="android_intrusion_security",
    description="Security events from Android Intrusion Logging",
    platform="android",
    extra=FILES,
    os_versions=OS_VERSIONS,
)
ENVELOPE = frozenset({"event_id", "event_time"})
DESCRIPTIONS = {
    "adb_shell_interactive": "adb interactive shell opened",
    "adb_shell_cmd": "adb shell command",
    "adb_sync_recv_file": "file pulled over adb",
    "adb_sync_send_file": "file pushed over adb",
    "app_process_start": "app process started",
    "keyguard_dismissed": "lock screen dismissed",
    "keyguard_dismiss_auth_attempt": "unlock attempt",
    "keyguard_secured": "device locked",
    "os_startup": "Android started",
    "os_shutdown": "Android shut down",
    "cert_authority_installed": "certificate authority installed",
    "cert_authority_removed": "certificate authority removed",
    "cert_validation_failure": "certificate validation failed",
    "key_integrity_violation": "key integrity violation",
    "crypto_self_test_completed": "cryptographic self test completed",
    "package_installed": "package installed",
    "package_updated": "package updated",
    "package_uninstalled": "package uninstalled",
    "media_mount": "removable media mounted",
    "media_unmount": "removable media unmounted",
    "logging_started": "security logging started",
    "logging_stopped": "security logging stopped",
    "log_buffer_size_critical": "security log buffer nearly full",
}
# The payload value shown after the description in the message, per event type.
SHOWN = {"adb_shell_cmd": "command", "adb_sync_recv_file": "path", "adb_sync_send_file": "path",
         "app_process_start": "process", "cert_authority_installed": "subject",
         "cert_authority_removed": "subject", "package_installed": "package_name",
         "package_updated": "package_name", "package_uninstalled": "package_name",
         "key_integrity_violation": "key_id", "keyguard_dismiss_auth_attempt": "success",
         "os_startup": "verified_boot_state"}


def parse(file: EvidenceFile) -> Iterator[Record]:
    for line, event in events(file, "security_event"):
        event_type = next((k for k in event if k not in ENVELOPE), None)
        payload = event.get(event_type) if event_type is not None else None
        detail = payload if isinstance(payload, dict) else {}
        fields: dict[str, Any] = {"event_type": text_field(event_type, 200), "event_id": scalar_field(event.get("event_id")),
                                  "event_time": scalar_field(event.get("event_time")), "details": payload, "line": line}
        found: list[Any] = []
        if event_type == "app_process_start":
            process = text_field(detail.get("process"), 1024)
            fields.update(process_name=process, pid=scalar_field(detail.get("pid")), uid=scalar_field(detail.get("uid")),
                          seinfo=text_field(detail.get("seinfo"), 1024), sha256=text_field(detail.get("sha256"), 200))
            found += [("process", process), ("app_id", package(process)), ("sha256", fields["sha256"])]
        elif event_type in ("adb_sync_recv_file", "adb_sync_send_file"):
            fields["file_path"] = text_field(detail.get("path"), 4096)
            found.append(("file_path", fields["file_path"]))
        elif event_type == "adb_shell_cmd":
            fields["command"] = text_field(detail.get("command"))
            found += extract(fields["command"])
        elif isinstance(event_type, str) and event_type.startswith("package_"):
            fields["package_name"] = text_field(detail.get("package_name"), 1024)
            found.append(("app_id", package(fields["package_name"])))
        elif event_type in ("cert_authority_installed", "cert_authority_removed"):
            fields.update(subject=text_field(detail.get("subject"), 4096), success=scalar_field(detail.get("success")))
        name = DESCRIPTIONS.get(event_type or "", f"security event {text_field(event_type, 200) or '(unnamed)'}")
        shown = scalar_field(detail.get(SHOWN.get(event_type or "", "")), 300) if event_type in SHOWN else None
        yield Record(
            timestamp=unix_time(event.get("event_time")),
            timestamp_desc=name,
            message=name[:1].upper() + name[1:] + (f": {shown}" if shown is not None else ""),
            fields=fields,
            observables=observables(*found),
        )
