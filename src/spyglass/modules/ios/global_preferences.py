"""Global preferences: Lockdown Mode, locale and languages.

Reads:   .GlobalPreferences.plist, HomeDomain Library/Preferences/.GlobalPreferences.plist
         (/private/var/mobile/Library/Preferences/). LDMGlobalEnabled (iOS 16+) is true when
         Lockdown Mode, Apple's hardening for people at risk of mercenary spyware, is on;
         AppleLocale and AppleLanguages say which languages the phone is set up for.
Yields:  one record for the file, without a timestamp; no observables. The lockdown_mode
         heuristic reports the Lockdown Mode state.
Seen:    iOS 12 to 18 (LDMGlobalEnabled from iOS 16).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import plist_bool, plist_scalar
from spyglass.records import Record

ARTIFACT = Artifact(
    name="global_preferences",
    description="Global preferences (Lockdown Mode, locale)",
    paths=('/private/var/mobile/Library/Preferences/.GlobalPreferences.plist',),
    os_versions="iOS 12-18",
)

MAX_SETTINGS = 500
MAX_TEXT = 1024


def parse(file: EvidenceFile) -> Iterator[Record]:
    data = file.plist_dict()
    if not data:
        return
    lockdown_mode = plist_bool(data.get("LDMGlobalEnabled"))
    languages = data.get("AppleLanguages")
    state = {True: "on", False: "off", None: "not recorded"}[lockdown_mode]
    yield Record(
        timestamp=None,
        timestamp_desc="",
        message=f"Lockdown Mode is {state}; locale {data.get('AppleLocale') or 'unknown'}",
        fields={
            "lockdown_mode": lockdown_mode,
            "locale": data.get("AppleLocale") if isinstance(data.get("AppleLocale"), str) else None,
            "languages": [x for x in languages if isinstance(x, str)] if isinstance(languages, list) else [],
            "settings": _scalars(data),
        },
    )


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    """The plain settings (strings, numbers, booleans), bounded, for the analyst."""
    kept: dict[str, Any] = {}
    for key, value in list(data.items())[:MAX_SETTINGS]:
        scalar = plist_scalar(value, MAX_TEXT)
        if scalar is not None:
            kept[str(key)] = scalar
    return kept
