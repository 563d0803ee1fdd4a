"""Crash reporter preferences: settings that decide whether crash reports are written and sent.

Reads:   com.apple.CrashReporter.plist, RootDomain Library/Preferences/com.apple.CrashReporter.plist
         (/private/var/root/Library/Preferences/) and the mobile user's copy, HomeDomain
         Library/Preferences/com.apple.CrashReporter.plist. Normal devices keep
         ExcResourceDiagInfo_<process> dates, NANDTaskScheduler_Priority and defTS there.
         Amnesty's Pegasus methodology (2021) found Pegasus writing this file to stop crash
         reports, which could otherwise expose its exploits.
Yields:  one record per file, without a timestamp: its keys, the keys a normal device does not
         have (`unexpected_keys`), and among those the ones whose name and value turn crash
         reporting off (`disabling_keys`: a "disable" key set true, an "enable"/"submit" key
         set false, a DialogType of none). The crash_reporter_disabled heuristic reads them.
Seen:    normal key names from iOS 17-18 devices; the Pegasus-era (iOS 14) content is
         not public.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import plist_scalar
from spyglass.records import Record

ARTIFACT = Artifact(
    name="crash_reporter_prefs",
    description="Crash reporter preferences",
    paths=('/private/var/root/Library/Preferences/com.apple.CrashReporter.plist',
           '/private/var/mobile/Library/Preferences/com.apple.CrashReporter.plist'),
    os_versions="iOS 14-18",
)

NORMAL_KEYS = frozenset({"NANDTaskScheduler_Priority", "defTS"})
NORMAL_PREFIXES = ("ExcResourceDiagInfo_",)
MAX_KEYS = 1000
MAX_TEXT = 256


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.plist_dict()
    if not data:
        return
    keys = [str(k)[:MAX_TEXT] for k in list(data)[:MAX_KEYS]]
    unexpected = [k for k in keys if k not in NORMAL_KEYS and not k.startswith(NORMAL_PREFIXES)]
    disabling = [k for k in unexpected if turns_reporting_off(k, data.get(k))]
    yield Record(
        timestamp=None,
        timestamp_desc="",
        message=f"Crash reporter preferences with {len(keys)} keys"
                + (f", turning reports off: {', '.join(disabling)}" if disabling else ""),
        fields={
            "keys": keys,
            "unexpected_keys": unexpected,
            "unexpected_values": {k: _scalar(data.get(k)) for k in unexpected},
            "disabling_keys": disabling,
        },
    )


def turns_reporting_off(key: str, value: Any) -> bool:
    """Whether a setting's name and value read as "crash reports off"."""
    name = key.lower()
    if isinstance(value, bool):
        if "disable" in name:
            return value
        if "enable" in name or "submit" in name:
            return not value
    if name == "dialogtype" and isinstance(value, str):
        return value.lower() == "none"
    return False


def _scalar(value: Any) -> Any:
    scalar = plist_scalar(value, MAX_TEXT)
    return scalar if scalar is not None else type(value).__name__
