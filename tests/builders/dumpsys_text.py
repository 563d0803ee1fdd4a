"""dumpsys text in its real format (AOSP dumpsys.cpp headers and footers; the services' own dump
wording, as seen in MVT's tests/artifacts/android_data/dumpsys_*.txt and AOSP's dump code),
wrapped as androidqf's dumpsys.txt or as a bug report's dumpstate text, and run through both
acquisitions."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from spyglass.acquisitions import open_acquisition
from spyglass.records import Record
from spyglass.runner import locate, parse_file
from tests.builders.android import AndroidQFBuilder, BugreportBuilder

SEPARATOR = "-" * 79
ENDED = "2024-06-01 12:02:11"


def section(name: str, body: str, *, ended: str | None = ENDED, priority: str | None = None) -> str:
    """One service's dump: separator, header, body, footer (None: cut short, no footer)."""
    header = f"DUMP OF SERVICE {priority} {name}:" if priority else f"DUMP OF SERVICE {name}:"
    text = f"{SEPARATOR}\n{header}\n{body.rstrip(chr(10))}\n"
    if ended is not None:
        text += f"--------- 0.012s was the duration of dumpsys {name}, ending at: {ended}\n"
    return text


def dumpsys_txt(*sections: str) -> bytes:
    """androidqf's dumpsys.txt: `dumpsys` with no arguments."""
    running = "Currently running services:\n  accessibility\n  adb\n  appops\n  package\n"
    return (running + "".join(sections)).encode()


def dumpstate(*sections: str, timezone: str | None = "Europe/Paris") -> bytes:
    """A bug report's dumpstate text: header, getprop, then the dumpsys passes."""
    props = "[ro.build.version.release]: [14]\n"
    if timezone:
        props += f"[persist.sys.timezone]: [{timezone}]\n"
    text = ("========================================================\n"
            "== dumpstate: 2024-06-01 12:00:00\n"
            "========================================================\n\n"
            "Build: UQ1A.240205.004\n"
            "------ SYSTEM PROPERTIES (getprop) ------\n" + props +
            "------ 0.030s was the duration of 'SYSTEM PROPERTIES' ------\n"
            "------ DUMPSYS (/system/bin/dumpsys) ------\n" + "".join(sections) +
            "------ 9.120s was the duration of 'DUMPSYS' ------\n")
    return text.encode()


def from_androidqf(tmp_path: Path, module: ModuleType, data: bytes) -> list[Record]:
    return _run(AndroidQFBuilder().add("dumpsys.txt", data).build_folder(tmp_path / "qf"), module)


def from_bugreport(tmp_path: Path, module: ModuleType, data: bytes) -> list[Record]:
    parent = tmp_path / "br"
    parent.mkdir(exist_ok=True)
    return _run(BugreportBuilder(dumpstate=data).build_zip(parent), module)


def located(parent: Path, module: ModuleType) -> list[str]:
    """The sources the module reads in the one acquisition built under `parent`."""
    acquisition = open_acquisition(next(parent.iterdir()))
    try:
        return [f.source for f in locate(module.ARTIFACT, acquisition)]
    finally:
        acquisition.close()


def _run(path: Path, module: ModuleType) -> list[Record]:
    acquisition = open_acquisition(path)
    try:
        return [r for f in locate(module.ARTIFACT, acquisition) for r in parse_file(module.ARTIFACT, module.parse, f)]
    finally:
        acquisition.close()


# -- accessibility ---------------------------------------------------------------------------

ACCESSIBILITY_OLD = """\
ACCESSIBILITY MANAGER (dumpsys accessibility)

User state[attributes:{id=0, currentUser=true
  mIsNavBarMagnificationAssignedToAccessibilityButton = false
  mBindInstantServiceAllowed = false
  }
  installed services: {
    0 : com.android.settings/com.samsung.android.settings.development.gpuwatch.GPUWatchInterceptor
    1 : com.samsung.accessibility/.universalswitch.UniversalSwitchService
    2 : com.spy.helper/com.spy.helper.KeyService
  }
  enabled services: {
    0 : com.spy.helper/com.spy.helper.KeyService
  }
  binding services: {
  }
  bound services:{
  }
  AccessibilityInputFilter:{
  }]
"""

ACCESSIBILITY_14 = """\
Service host process PID: 633
Threads in use: 0/14
ACCESSIBILITY MANAGER (dumpsys accessibility)

currentUserId=0
User state[
     attributes:{id=0, touchExplorationEnabled=false, installedServiceCount=2, magnificationModes={0=1}}
     shortcut key:{}
     button:{}
     button target:{null}
     Bound services:{Service[label=Accessibility service, feedbackType[FEEDBACK_SPOKEN], capabilities=11, eventTypes=TYPES_ALL_MASK, notificationTimeout=1000, requestA11yBtn=false]}
     Enabled services:{{com.malware.accessibility/com.malware.service.MalwareService}, {com.agilebits.onepassword/.filling.accessibility.FillingAccessibilityService}}
     Binding services:{}
     Crashed services:{{com.agilebits.onepassword/.filling.accessibility.FillingAccessibilityService}}
     Client list info:{
          Registered clients:{
[com.malware.accessibility][com.android.launcher3]}]
"""

# -- device_policy ---------------------------------------------------------------------------

DEVICE_POLICY = """\
Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
  Device Owner:\x20
    admin=ComponentInfo{com.corp.mdm/com.corp.mdm.AdminReceiver}
    name=
    package=com.corp.mdm
    isOrganizationOwnedDevice=true
    User ID: 0

  Enabled Device Admins (User 0, provisioningState: 3):
    com.corp.mdm/.AdminReceiver:
      uid=10245
      testOnlyAdmin=false
      policies:
        wipe-data
        force-lock
    com.stalker.app/com.stalker.app.Admin:
      uid=10301
      testOnlyAdmin=false
      policies:
        watch-login
  mPasswordOwner=-1
"""

DEVICE_POLICY_14 = """\
Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
  Enabled Device Admins (User 0):
    com.google.android.gms/com.google.android.gms.mdm.receivers.MdmDeviceAdminReceiver:
      uid=10150
      testOnlyAdmin=false
  Enabled Device Admins (User 10):
    ComponentInfo{com.work.dpc/com.work.dpc.Receiver}:
      uid=1010160
  Profile Owner (User 10):\x20
    admin=ComponentInfo{com.work.dpc/com.work.dpc.Receiver}
    name=
    package=com.work.dpc

  Global Policies:
"""

# -- notification ----------------------------------------------------------------------------

NOTIFICATION = """\
Current Notification Manager state:

  Notification listeners:
    Allowed notification listeners:
      com.spy.helper/com.spy.helper.NotifyReader:com.google.android.apps.wearables.maestro.companion/com.google.android.apps.wearables.maestro.companion.notifications.NotificationListener (user: 0 isPrimary: true)
    All notification listeners (2) enabled for current profiles:
      ComponentInfo{com.spy.helper/com.spy.helper.NotifyReader}
      ComponentInfo{com.google.android.apps.wearables.maestro.companion/com.google.android.apps.wearables.maestro.companion.notifications.NotificationListener}
    Live notification listeners (1):
      ComponentInfo{com.spy.helper/com.spy.helper.NotifyReader} (user 0): android.service.notification.INotificationListener$Stub$Proxy@7e3b2a1
    Snoozed notification listeners (0):

  Notification assistants:
    Allowed notification assistants:
      com.google.android.ext.services/android.ext.services.notification.Assistant (user: 0 isPrimary: true)
    All notification assistants (1) enabled for current profiles:
      ComponentInfo{com.google.android.ext.services/android.ext.services.notification.Assistant}
    Live notification assistants (1):
      ComponentInfo{com.google.android.ext.services/android.ext.services.notification.Assistant} (user 0): android.service.notification.INotificationListener$Stub$Proxy@2 SYSTEM
"""

# Android 10: no "Allowed" block, the live listener marked SYSTEM.
NOTIFICATION_10 = """\
Current Notification Manager state:

  Notification listeners:
    All notification listeners (1) enabled for current profiles:
      ComponentInfo{com.android.systemui/com.android.systemui.statusbar.NotificationListener}
    Live notification listeners (1):
      ComponentInfo{com.android.systemui/com.android.systemui.statusbar.NotificationListener} (user -1): android.service.notification.INotificationListener$Stub$Proxy@99 SYSTEM
    Snoozed notification listeners (0):
"""

# -- package: Receiver Resolver Table ----------------------------------------------------------

PACKAGE = """\
Database versions:
  Internal:
    sdkVersion=34 databaseVersion=3

Activity Resolver Table:
  Non-Data Actions:
      android.intent.action.MAIN:
        5b3e1a0 com.android.settings/.Settings filter 3e2a1b2

Receiver Resolver Table:
  Full MIME Types:
      application/gmail-ls:
        231cb24 com.google.android.gm/.GmailReceiver
  Non-Data Actions:
      android.provider.Telephony.SMS_RECEIVED:
        6d2b9b0 com.spy.helper/.SmsReceiver filter 3e2a1b2
        8f3c2d1 com.google.android.apps.messaging/.shared.receiver.SmsReceiver (2 filters)
      android.intent.action.BOOT_COMPLETED:
        6d2b9b0 com.spy.helper/.SmsReceiver filter 41a2b3c
  MIME Typed Actions:
      android.provider.Telephony.WAP_PUSH_RECEIVED:
        1a2b3c4 com.google.android.apps.messaging/.shared.receiver.MmsWapPushReceiver

Service Resolver Table:
  Non-Data Actions:
      android.service.notification.NotificationListenerService:
        7a8b9c0 com.spy.helper/.NotifyReader filter 5d6e7f8
"""

# -- appops ----------------------------------------------------------------------------------

APPOPS = """\
Current AppOps Service state:
  Settings:
    top_state_settle_time=+30s0ms

  Uid 1000:
    state=pers
      LEGACY_STORAGE: mode=allow
    Package com.sec.factory.camera:
      RECORD_AUDIO (allow):
      RUN_IN_BACKGROUND (allow):
          Access: [pers-s] 2024-05-29 18:37:30.315 (-2d17h24m40s685ms)
  Uid u0a103:
    state=cch
      COARSE_LOCATION: mode=ignore
    Package com.spy.helper:
      READ_SMS (allow):
          Access: [bg-tpd] 2024-05-20 18:05:34.325 (-11d17h56m36s675ms)
          Access: [fg-s] 2024-06-01 09:15:00.000 (-2h47m11s0ms)
      WRITE_SMS (ignore):
          Reject: [fg-s]2024-05-19 22:02:52.054 (-12d14h9m18s946ms)
      COARSE_LOCATION (allow / switch COARSE_LOCATION=allow):
"""

# Android 9 and before: one line per op, times before the dump.
APPOPS_9 = """\
Current AppOps Service state:
  Uid u0a77:
    state=cch
    Package com.spy.helper:
      READ_SMS: mode=allow; time=+1d2h3m ago; duration=+12ms
      CAMERA: mode=ignore; rejectTime=+5m ago
"""

# -- adb -------------------------------------------------------------------------------------

KEY_A = "QAAAAAcgbytJst31DsaSP7hn8QcBXKR9NPVPK9MZssFVSNIPQAAAAAcgbytJst31DsaSP7hn8QcBXKR9NPVPK9MZssFVSNIP"
KEY_B = "QAAAAPUBsVijHeceeK3bETuudn5I+S+ndOZDsxQDvkjKqSZrM+35YWU+U1d7mayQoh5fghnSIChrg0UxNOjcCxMY5oab"

ADB_XML = f"""\
ADB MANAGER STATE (dumpsys adb):
{{
  debugging_manager={{
    connected_to_adb=true
    last_key_received=F0:A1:3D:8C:B3:F4:7B:09:9F:EE:8B:D8:38:2E:BD:C6
    user_keys={KEY_A} analyst@laptop
{KEY_B} unknown@host

    keystore=<?xml version='1.0' encoding='utf-8' standalone='yes' ?>
    <keyStore version="1">
    <adbKey key="{KEY_A} analyst@laptop" lastConnection="1717236000000" />
    </keyStore>

  }}
}}
"""

# Android 12+: the keystore in binary XML (ABX), its bytes printed as they are.
ADB_ABX = ("ADB MANAGER STATE (dumpsys adb):\n{\n  debugging_manager={\n    connected_to_adb=false\n"
           "    keystore=ABX\x00\x102\x00\x08keyStore/\x00\x07version\x00\x012\x10/\x00\x06adbKey/\x00\x03key"
           f"\x00\x7f{KEY_B} unknown@host/\x00\x0elastConnection\x00\x00\x01\x8f\xc1\x00\x00\x00\x00\n"
           "    adb_wifi={\n      enabled=false\n    }\n  }\n}\n")

# -- batterystats ----------------------------------------------------------------------------

BATTERY = """\
Battery History (0% used, 2720 used of 4096KB, 31 strings using 2694):
                    0 (19) RESET:TIME: 2024-05-30-10-00-00
                    0 (2) 100 status=discharging health=good plug=none temp=242 volt=4302
            +47s645ms (2) 100 +job=u0a94:"com.samsung.android.app.reminder/.data.RegisterAlarmJobService"
       +1h26m18s315ms (2) 095 pkginst=120034:"com.spy.helper"
    +1d02h00m00s000ms (2) 079 pkgunin=u0a301:"com.old.tool"

Daily stats:
  Current start time: 2024-06-01-01-15-45
  Next min deadline: 2024-06-02-01-00-00
    Package changes:
      Update com.spy.helper vers=120035
  Daily from 2024-05-31-01-10-00 to 2024-06-01-01-15-45:
    Charge step durations:
      #0: +5m15s53ms to 100 (screen-off, power-save-off, device-idle-off)
    Package changes:
      Update com.facebook.katana vers=315814651
      Update com.facebook.katana vers=315814651
      Uninstall com.old.tool
  Daily from 2024-05-30-01-00-00 to 2024-05-31-01-10-00:
    Discharge step durations:
      #0: +3h32m16s12ms to 96 (power-save-off)
"""

# -- dbinfo ----------------------------------------------------------------------------------

DBINFO = """\
Applications Database Info:

** Database info for pid 8817 [com.spy.helper] **

  Attached db: false
Connection pool for /data/user/0/com.spy.helper/databases/loot.db:
  Open: true
  Max connections: 1
  Available primary connection:
    Connection #0:
      isPrimaryConnection: true
      Most recently executed operations:
        0: [2024-06-01 11:21:44.097] [Pid:(8817)]executeForCursorWindow took 2ms - succeeded, sql="SELECT body FROM sms WHERE address = ?", path=/data/user/0/com.spy.helper/databases/loot.db
        1: [2024-06-01 11:21:44.092] [Pid:(0)]executeForLong took 4ms - succeeded, sql="PRAGMA page_count;", path=/data/user/0/com.spy.helper/databases/loot.db

** Database info for pid 1234 [com.android.providers.telephony:remote] **

Connection pool for /data/user_de/0/com.android.providers.telephony/databases/mmssms.db:
  Open: true
"""

# Android 10: no year, no [Pid:(n)].
DBINFO_10 = """\
Applications Database Info:

** Database info for pid 4242 [com.example.notes] **

Connection pool for /data/user/0/com.example.notes/databases/notes.db:
  Open: true
  Available primary connection:
    Connection #0:
      Most recently executed operations:
        0: [05-31 08:00:01.250] executeForChangedRowCount took 1ms - succeeded, sql="DELETE FROM notes WHERE id=?", path=/data/user/0/com.example.notes/databases/notes.db
"""

# -- platform_compat -------------------------------------------------------------------------

PLATFORM_COMPAT = """\
ChangeId(180326845; name=OVERRIDE_MIN_ASPECT_RATIO_MEDIUM; disabled; overridable)
ChangeId(183372781; name=ENABLE_RAW_SYSTEM_GALLERY_ACCESS; enableSinceTargetSdk=30)
ChangeId(168419799; name=DOWNSCALED; disabled; packageOverrides={com.google.android.apps.tachyon=false}; rawOverrides={org.torproject.torbrowser=false, com.removed.spy=false}; overridable)
"""

# Android 11: overrides without a name field on unnamed changes.
PLATFORM_COMPAT_11 = """\
ChangeId(149924527; disabled; packageOverrides={com.example.game=true})
"""
