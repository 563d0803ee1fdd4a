"""A bug report for the custody-window tests: an app installed and an accessibility service
used inside the window, and the same outside it, in the real dumpsys formats of
tests/builders/dumpsys_text.py (batterystats history `pkginst` events, appops
ACCESS_ACCESSIBILITY accesses: AppOpsManager OP_ACCESS_ACCESSIBILITY, Android 10+), the zone
Europe/Paris (UTC+2 in May) from persist.sys.timezone so that local times become UTC.

The window: 2024-05-30 10:00 to 18:00 Paris time (08:00 to 16:00 UTC).
Inside:  com.spy.helper installed at 11:26:18 local, its accessibility access at 14:00 local.
Outside: com.old.game installed on 29 May at 10:30 local, com.music.player on 31 May at 11:00;
         com.other.reader's accessibility access on 28 May at 09:00 local.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.builders.android import BugreportBuilder
from tests.builders.dumpsys_text import dumpstate, section
from tests.builders.full_backup import indicator_bundle

WINDOW = "2024-05-30T10:00+02:00..2024-05-30T18:00+02:00"
SPY = "com.spy.helper"

BATTERY = """\
Battery History (0% used, 2720 used of 4096KB, 31 strings using 2694):
                    0 (19) RESET:TIME: 2024-05-29-10-00-00
                    0 (2) 100 status=discharging health=good plug=none temp=242 volt=4302
          +30m00s000ms (2) 099 pkginst=3100:"com.old.game"
     +1d01h26m18s315ms (2) 095 pkginst=120034:"com.spy.helper"
     +2d01h00m00s000ms (2) 079 pkginst=52:"com.music.player"
"""

APPOPS = """\
Current AppOps Service state:
  Uid u0a301:
    state=cch
    Package com.spy.helper:
      ACCESS_ACCESSIBILITY (allow):
          Access: [fg-s] 2024-05-30 14:00:00.000 (-1d22h0m0s0ms)
  Uid u0a150:
    state=cch
    Package com.other.reader:
      ACCESS_ACCESSIBILITY (allow):
          Access: [fg-s] 2024-05-28 09:00:00.000 (-4d3h0m0s0ms)
"""

ACCESSIBILITY = """\
ACCESSIBILITY MANAGER (dumpsys accessibility)

currentUserId=0
User state[
     attributes:{id=0, touchExplorationEnabled=false, installedServiceCount=2}
     Enabled services:{{com.spy.helper/com.spy.helper.KeyService}}
     Binding services:{}
     Crashed services:{}
]
"""


def custody_bugreport(parent: Path) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    text = dumpstate(section("accessibility", ACCESSIBILITY), section("appops", APPOPS),
                     section("batterystats", BATTERY))
    return BugreportBuilder(dumpstate=text).build_zip(parent)


def custody_feed(path: Path) -> Path:
    path.write_text(json.dumps(indicator_bundle([("app:id", SPY)], malware="Custody Spyware")))
    return path
