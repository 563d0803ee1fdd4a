"""Per-app compatibility overrides (dumpsys platform_compat): they outlive the app.

Reads:   the "platform_compat" section of androidqf's dumpsys.txt or of a bug report's
         dumpstate text (see _dumpsys). AOSP CompatChange.toString, one line per change, as in
         MVT's tests/artifacts/android_data/dumpsys_platform_compat.txt:
         "ChangeId(168419799; name=DOWNSCALED; disabled; packageOverrides={com.a=false};
         rawOverrides={com.b=false}; overridable)". rawOverrides are kept for packages that are
         no longer (or not yet) installed: MVT reads DOWNSCALED's rawOverrides as a trace of
         removed apps.
Yields:  one record per change and overridden package: `change_id` (int), `change_name`,
         `package_name`, `override` ("package" or "raw"), `value` (the override's text,
         "true"/"false" or a range); observables app_id. No timestamp.
Seen:    Android 11-16.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.android._dumpsys import DUMPSYS_FILES, sections
from spyglass.records import Record, observables

ARTIFACT = Artifact(
    name="dumpsys_platform_compat",
    description="Per-app compatibility overrides (dumpsys platform_compat)",
    platform="android",
    extra=DUMPSYS_FILES,
    os_versions="Android 11-16",
)

CHANGE = re.compile(r"ChangeId\((\d{1,20})(?:; name=([A-Za-z0-9_]{1,200}))?")
OVERRIDES = re.compile(r"(packageOverrides|rawOverrides)=\{([^{}]{0,60000})\}")
ENTRY = re.compile(r"\s*([A-Za-z0-9_.]{1,300})=([^,]{0,200})")
MAX_RECORDS = 200_000


def parse(file: EvidenceFile) -> Iterator[Record]:
    count = 0
    for section in sections(file, ("platform_compat",)):
        for line in section.lines:
            change = CHANGE.match(line.strip())
            if not change:
                continue
            for kind, body in OVERRIDES.findall(line):
                for package, value in ENTRY.findall(body):
                    if count >= MAX_RECORDS:
                        return
                    count += 1
                    override = "package" if kind == "packageOverrides" else "raw"
                    name = change.group(2)
                    yield Record(timestamp=None, timestamp_desc="",
                                 message=f"Compatibility override {name or change.group(1)} for {package} ({override})",
                                 fields={"change_id": int(change.group(1)), "change_name": name,
                                         "package_name": package, "override": override, "value": value.strip()},
                                 observables=observables(("app_id", package)))
