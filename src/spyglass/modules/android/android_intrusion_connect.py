"""Intrusion Logging connections: which app opened a TCP connection to which address and port.

Reads:   the decrypted Intrusion Logging download (Android 16+ Advanced Protection), or
         androidqf's intrusion_logs/: `connect_event` lines (see modules/android/_intrusion.py).
         Fields as the device writes them (mvt-project/mvt#813): event_id, event_time (Unix
         ms), package_name, ip_address (`/2606:4700::6812:a2f`), port, as in Android's
         ConnectEvent.
Yields:  one record per connection, timestamped with it; observables ip and app_id.
Seen:    Android 16-17 (Pixel).
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.android._intrusion import FILES, OS_VERSIONS, address, events, package
from spyglass.records import Record, observables, scalar_field, text_field
from spyglass.timestamps import unix_time

ARTIFACT = Artifact(
    name="android_intrusion_connect",
    description="Network connections from Android Intrusion Logging",
    platform="android",
    extra=FILES,
    os_versions=OS_VERSIONS,
)


def parse(file: EvidenceFile) -> Iterator[Record]:
    for line, event in events(file, "connect_event"):
        ip = address(event.get("ip_address"))
        port = scalar_field(event.get("port"))
        port = port if isinstance(port, int) and not isinstance(port, bool) else None
        package_name = text_field(event.get("package_name"), 1024)
        target = (f"[{ip}]:{port}" if ip and ":" in ip else f"{ip}:{port}") if port is not None else ip
        yield Record(
            timestamp=unix_time(event.get("event_time")),
            timestamp_desc="network connection",
            message=f"Connection to {target or 'an unknown address'} by {package_name or 'an unknown app'}",
            fields={"ip_address": ip, "raw_address": text_field(event.get("ip_address"), 1024), "port": port,
                    "package_name": package_name, "event_id": scalar_field(event.get("event_id")),
                    "event_time": scalar_field(event.get("event_time")), "line": line},
            observables=observables(("ip", ip), ("app_id", package(package_name))),
        )
