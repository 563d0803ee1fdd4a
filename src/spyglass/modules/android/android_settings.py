"""Android settings: the global, secure and system settings tables.

Reads:   androidqf settings_global.txt, settings_secure.txt and settings_system.txt, the output of
         `cmd settings list <namespace>` (androidqf modules/settings.go, since 2022): one
         `key=value` line per setting, the value `null` when unset. The namespace is the file
         name's suffix. Settings such as package_verifier_enable (Play Protect) and
         adb_install_need_confirm say whether the phone's defences were turned off.
Yields:  one record per setting (fields `namespace`, `key`, `value`), without a timestamp.
Seen:    Android 7-16 (androidqf 1.2-1.7).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from spyglass.acquisitions.base import ANDROIDQF, EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.modules import Artifact
from spyglass.records import Record

ARTIFACT = Artifact(
    name="android_settings",
    description="Global, secure and system settings (androidqf settings_*.txt)",
    platform="android",
    extra={ANDROIDQF: ("settings_*.txt",)},
    os_versions="Android 7-16",
)


def parse(file: EvidenceFile) -> Iterator[Record]:
    namespace = PurePosixPath(file.source).stem.removeprefix("settings_")
    seen_any = False
    for line in file.lines():
        if not line.strip():
            continue
        key, equals, value = line.partition("=")
        if not equals or not key.strip() or " " in key.strip():
            if not seen_any:
                raise EvidenceError(f"{file.source}: not `settings list` output (no key=value line)")
            continue   # a value that spanned lines: its tail, not a setting
        seen_any = True
        key = key.strip()
        yield Record(
            timestamp=None,
            timestamp_desc="",
            message=f"Setting {namespace}/{key} = {value}",
            fields={"namespace": namespace, "key": key, "value": value},
        )
