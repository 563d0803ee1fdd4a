"""Intrusion Logging DNS lookups: which app resolved which host name, to which addresses.

Reads:   the decrypted Intrusion Logging download (Android 16+ Advanced Protection), or
         androidqf's intrusion_logs/: `dns_event` lines (see modules/android/_intrusion.py).
         Fields as the device writes them (mvt-project/mvt#813): event_id, event_time (Unix
         ms), package_name, hostname, ip_addresses (at most a few, as `/1.2.3.4`) and
         ip_addresses_count (how many the lookup returned), as in Android's DnsEvent.
Yields:  one record per lookup, timestamped with it; observables domain (the host name), ip
         (each address), app_id (the package).
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
    name="android_intrusion_dns",
    description="DNS lookups from Android Intrusion Logging",
    platform="android",
    extra=FILES,
    os_versions=OS_VERSIONS,
)
MAX_ADDRESSES = 256


def parse(file: EvidenceFile) -> Iterator[Record]:
    for line, event in events(file, "dns_event"):
        hostname = text_field(event.get("hostname"), 1024)
        raw = event.get("ip_addresses")
        addresses = [a for a in (address(v) for v in raw[:MAX_ADDRESSES]) if a] if isinstance(raw, list) else []
        package_name = text_field(event.get("package_name"), 1024)
        moment = unix_time(event.get("event_time"))
        shown = ", ".join(addresses[:5]) or "no address"
        yield Record(
            timestamp=moment,
            timestamp_desc="DNS lookup",
            message=f"DNS lookup of {hostname or 'an unnamed host'} by {package_name or 'an unknown app'}: {shown}",
            fields={"hostname": hostname, "ip_addresses": addresses,
                    "ip_addresses_count": scalar_field(event.get("ip_addresses_count")),
                    "package_name": package_name, "event_id": scalar_field(event.get("event_id")),
                    "event_time": scalar_field(event.get("event_time")), "line": line},
            observables=observables(("domain", hostname), *(("ip", a) for a in addresses),
                                    ("app_id", package(package_name))),
        )
