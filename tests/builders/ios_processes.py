"""Process names as phones record them, for the unknown_process heuristic.

DataUsage.sqlite rows in the layouts real phones write (ZPROCNAME, ZBUNDLENAME): iOS 15 and
later name each process as `process/attribution` (a bundle id, a com.apple.datausage.*
category, or `UUID/bundle id` for an app's own traffic), cut at 16 or 32 characters; iOS 14 and
earlier name the process alone with its bundle id beside it. The names are those of the real
iOS 16/17 DataUsage.sqlite and netusage.sqlite in plaso's test data (log2timeline/plaso,
test_data/ios, Apache-2.0): facts about what phones write, not copies of the files.
Records of the other modules (netusage, ps, shutdown_log, crash_reports) are built directly,
with the fields and observables their CONTRACT gives them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from spyglass.records import Record, observables
from tests.builders.ios_artifacts_core import datausage_live, datausage_process

DAY = datetime(2023, 5, 15, 9, 0, tzinfo=UTC)

# (ZPROCNAME, ZBUNDLENAME) of a normal iOS 17 phone.
IOS17_DATAUSAGE = (
    ("1FB47783-A2FE-47D9-B256-DF50EF44BBA4/com.apple.mobilesafari", "com.apple.mobilesafari"),
    ("CumulativeUsageTracker", None),
    ("mDNSResponder/com.apple.datausage.dns", "com.apple.datausage.dns"),
    ("CommCenter/com.apple.datausage.telephony", "com.apple.datausage.telephony"),
    ("nsurlsessiond/com.apple.datausage.general", "com.apple.datausage.general"),
    ("apsd/com.apple.datausage.applepushservice", "com.apple.datausage.applepushservice"),
    ("icloud.searchpartyd/com.apple.icloud.searchpartyd", "com.apple.icloud.searchpartyd"),
    ("assistant.assistantd/com.apple.datausage.siri", "com.apple.datausage.siri"),
    ("system.diagnostics/com.apple.datausage.diagnostics", "com.apple.datausage.diagnostics"),
    ("_wifiassist_/com.apple.datausage.wifiassist", "com.apple.datausage.wifiassist"),
    ("com.apple.WebKit.Networking/com.apple.mobilesafari", "com.apple.mobilesafari"),
    ("com.apple.Safari.SafeBrowsing.Se/com.apple.datausage.security", "com.apple.datausage.security"),
    ("WeatherWidget/com.apple.weather", "com.apple.weather"),
    ("MobileSafari/com.apple.mobilesafari", "com.apple.mobilesafari"),
    ("IMTransferAgent/com.apple.MobileSMS", "com.apple.MobileSMS"),
    ("WhatsApp/net.whatsapp.WhatsApp", "net.whatsapp.WhatsApp"),
    ("ServiceExtension/net.whatsapp.WhatsApp", "net.whatsapp.WhatsApp"),
    ("TwitterNotificationServiceExtens/com.atebits.Tweetie2", "com.atebits.Tweetie2"),
    ("SnapchatNotifica/com.toyopagroup.picaboo", "com.toyopagroup.picaboo"),
    ("Client/org.mozilla.ios.Firefox", "org.mozilla.ios.Firefox"),
)

# (ZPROCNAME, ZBUNDLENAME) of a normal phone's netusage.sqlite: bare names cut at 16, Apple
# code-signing identifiers, apps by bundle id, and a paired watch's programs through terminusd.
NORMAL_NETUSAGE = (
    ("configd", None), ("CommCenterMobile", None), ("AssetCacheLocato", None), ("com.apple.mobileassetd", None),
    ("IMRemoteURLConne", None), ("com.apple.Diagno", None), ("mobileactivation", None), ("softwareupdatese", None),
    ("com.apple.siriknowledged", None), ("com.apple.migrat", None), ("com.apple.SafariBookmarksSyncAgent", None),
    ("com.apple.WebKit", None), ("terminusd/com.apple.NanoMusic", None), ("terminusd/com.apple.weather.watchapp", None),
    ("com.apple.Maps", "com.apple.Maps"), ("imgurmobile", "imgurmobile"), ("net.whatsapp.WhatsApp", "net.whatsapp.WhatsApp"),
    ("com.apple.CloudDocs.container-metadata", None), ("kernel_task", None),
)

# iOS 14 and earlier: the process alone, the bundle id beside it.
IOS14_DATAUSAGE = (
    ("MobileSafari", "com.apple.mobilesafari"), ("mobilesafari", "com.apple.mobilesafari"),
    ("nsurlsessiond", None), ("apsd", None), ("com.apple.WebKit.Networking", None),
    ("WhatsApp", "net.whatsapp.WhatsApp"), ("Instagram", "com.burbn.instagram"), ("fmflocatord", None),
    ("CommCenterMobileHelper", None), ("BackupAgent", None),
)


def datausage_rows_named(names: Sequence[tuple[str, str | None]], when: datetime = DAY) -> dict[str, list[Mapping[str, Any]]]:
    """A DataUsage.sqlite of these (ZPROCNAME, ZBUNDLENAME) rows, each with one live-usage row."""
    return {
        "ZPROCESS": [datausage_process(pk, name, bundle, when, when) for pk, (name, bundle) in enumerate(names, 1)],
        "ZLIVEUSAGE": [datausage_live(pk, pk, when, 100.0, 20.0) for pk in range(1, len(names) + 1)],
    }


def process_record(module: str, name: str | None, path: str | None = None, *, bundle_id: str | None = None,
                   source: str = "", record_type: str | None = None) -> Record:
    """A record naming a program, as the CONTRACT between modules and heuristics has it."""
    fields: dict[str, Any] = {"process_name": name, "process_path": path, "bundle_id": bundle_id}
    if record_type:
        fields["record_type"] = record_type
    return Record(timestamp=DAY, timestamp_desc="seen", message=f"{module}: {name or path}", fields=fields,
                  observables=observables(("process", name), ("file_path", path), ("app_id", bundle_id)),
                  module=module, source=source or f"{module}-source")
