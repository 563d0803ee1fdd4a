"""A backup for the context and leads tests: two planted findings two minutes apart, values no
feed lists between them, and the same kind of value a week earlier.

At LEADS_AT Safari opens an exploit link on badsite.example (an indicator); 30 seconds later a
site no feed lists (payload-next.example, the lead); 40 seconds after, www.apple.com (the phone's
own, never a lead); at 50 seconds another page of the matched domain (matched, no lead); at one
minute process `stage2d` (no feed lists it) and Apple's `mobilesafari` first use the network; at
two minutes the implant `bh` (an indicator) does. A week earlier Safari opened week-before.example.
Real formats: Safari's History.db and DataUsage.sqlite through tests/builders/ios_artifacts_core.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.builders.full_backup import indicator_bundle
from tests.builders.ios_artifacts_core import (
    add_datausage,
    add_safari_history,
    datausage_live,
    datausage_process,
    safari_item,
    safari_visit,
)
from tests.builders.ios_backup import BackupBuilder

LEADS_AT = datetime(2023, 3, 14, 9, 30, tzinfo=UTC)
EXPLOIT = "https://exploit.badsite.example/x/91"
LEAD_URL = "https://payload-next.example/stage2"
WEEK_BEFORE = "https://week-before.example/"


def leads_backup(root: Path) -> Path:
    builder = BackupBuilder()
    at = LEADS_AT
    add_safari_history(builder, {
        "history_items": [safari_item(1, EXPLOIT), safari_item(2, LEAD_URL), safari_item(3, "https://www.apple.com/"),
                          safari_item(4, "https://exploit.badsite.example/y"), safari_item(5, WEEK_BEFORE)],
        "history_visits": [safari_visit(10, 1, at, "Delivery"),
                           safari_visit(11, 2, at + timedelta(seconds=30), "Stage"),
                           safari_visit(12, 3, at + timedelta(seconds=40), "Apple"),
                           safari_visit(13, 4, at + timedelta(seconds=50), "Again"),
                           safari_visit(14, 5, at - timedelta(days=7), "Before")],
    })
    minute, implant = at + timedelta(minutes=1), at + timedelta(minutes=2)
    add_datausage(builder, {
        "ZPROCESS": [datausage_process(1, "stage2d", None, minute, minute),
                     datausage_process(2, "mobilesafari", "com.apple.mobilesafari", minute, minute),
                     datausage_process(3, "bh", None, implant, implant)],
        "ZLIVEUSAGE": [datausage_live(1, 1, minute, 10.0, 20.0), datausage_live(2, 2, minute, 10.0, 20.0),
                       datausage_live(3, 3, implant, 10.0, 20.0)],
    })
    return builder.build(root / "backup")


def leads_feed(path: Path) -> Path:
    path.write_text(json.dumps(indicator_bundle([("domain-name:value", "badsite.example"), ("process:name", "bh")],
                                                malware="Lead Spyware")))
    return path
