"""Crash reporting turned off through com.apple.CrashReporter.plist.

Reads the `crash_reporter_prefs` records and, as a fallback, the `manifest` records. Amnesty's
Pegasus forensic methodology (2021) found Pegasus writing com.apple.CrashReporter.plist so that
crashes of its exploits would not produce reports that could reach Apple. A normal device keeps
only ExcResourceDiagInfo_<process> dates, NANDTaskScheduler_Priority and defTS in that file.
  - a setting that reads as "crash reports off" (a Disable... key set true, an Enable.../
    ...Submit key set false, DialogType none): high;
  - other keys a normal device does not have: low, for review;
  - the file listed in the backup but no setting read from it by crash_reporter_prefs: low.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="crash_reporter_disabled",
    description="Crash reporting disabled through the crash reporter preferences",
    modules=frozenset({"crash_reporter_prefs", "manifest"}),
    # Of the Manifest, only the crash reporter's own file matters.
    keep=lambda record: record.module != "manifest" or record.fields.get("relative_path") == RELATIVE_PATH,
)

FILE_NAME = "com.apple.CrashReporter.plist"
RELATIVE_PATH = "Library/Preferences/com.apple.CrashReporter.plist"


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    preferences = list(records.get("crash_reporter_prefs", ()))
    observable = Observable("file_name", FILE_NAME)
    for record in preferences:
        disabling = record.fields.get("disabling_keys") or []
        unexpected = record.fields.get("unexpected_keys") or []
        if disabling:
            yield suspicious(
                HEURISTIC, record,
                f"The crash reporter settings turn crash reports off ({', '.join(disabling)}), "
                "as Pegasus spyware did to hide its traces",
                severity="high", observable=observable)
        elif unexpected:
            yield suspicious(
                HEURISTIC, record,
                f"The crash reporter settings hold keys a normal iPhone does not have ({', '.join(unexpected[:5])}); "
                "worth a closer look",
                severity="low", observable=observable)
    if preferences:
        return
    for record in records.get("manifest", ()):
        fields = record.fields
        if fields.get("relative_path") == RELATIVE_PATH and fields.get("kind") == "file":
            yield suspicious(
                HEURISTIC, record,
                f"A crash reporter settings file is in the backup ({fields.get('domain')}) but no setting "
                "could be read from it; check by hand that it does not turn crash reports off",
                severity="low", observable=observable)
