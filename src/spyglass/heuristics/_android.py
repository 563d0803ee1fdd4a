"""What several Android heuristics share: which packages are the phone's own, which installers
are ordinary app stores, and a reference time when the records carry no acquisition time.

A package is "third-party" (an app someone installed, the kind stalkerware is) unless
  - its `android_packages` record says it is a system package (`system` True), or its APKs
    lie on a read-only system partition (/system, /product, /vendor, ...);
  - or its name belongs to Android, Google or a phone maker (PLATFORM_PREFIXES) and it came
    from an ordinary store (STORE_INSTALLERS): Google and OEM apps updated from Play or the
    maker's store.
A package named like a platform one but installed from elsewhere is third-party: a disguise.
Without a package record (a component named in dumpsys but no package list) the name decides.

Sources (facts only): AOSP package names (android, com.android.*); the Google and OEM prefixes
are those of the preinstalled packages catalogued per maker by Universal Android Debloater
(Universal-Debloater-Alliance/universal-android-debloater-next-generation,
resources/assets/uad_lists.json); installer names: `pm list packages -i` as androidqf runs it
(mvt-project/androidqf adb/packages.go, which writes `installer=null` as "null"), MVT's
PLAY_STORE_INSTALLERS / BROWSER_INSTALLERS (mvt src/mvt/android/utils.py), and the store
packages themselves (com.sec.android.app.samsungapps Galaxy Store, com.huawei.appmarket
AppGallery, com.xiaomi.market / com.xiaomi.mipicks GetApps, com.amazon.venezia Amazon Appstore,
org.fdroid.fdroid F-Droid, com.heytap.market / com.oppo.market OPPO, com.bbk.appstore vivo).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from spyglass.records import Record, parse_iso

# Package-name prefixes of Android itself, Google and the phone makers' preinstalled software.
PLATFORM_PREFIXES = (
    "com.android.", "com.google.android.", "com.google.", "com.breel.",       # AOSP, Google (Pixel)
    "com.samsung.", "com.sec.", "com.sem.",                                  # Samsung
    "com.huawei.", "com.hihonor.", "com.honor.",                             # Huawei, Honor
    "com.miui.", "com.xiaomi.", "com.mi.",                                   # Xiaomi
    "com.oneplus.", "net.oneplus.", "com.oplus.", "com.coloros.", "com.oppo.", "com.heytap.",
    "com.realme.",                                                           # OPPO group
    "com.vivo.", "com.bbk.", "com.iqoo.",                                    # vivo
    "com.motorola.", "com.lenovo.", "com.lge.", "com.sonyericsson.", "com.sony.", "com.asus.",
    "com.nothing.", "com.hmdglobal.", "com.evenwell.", "com.zte.", "com.transsion.",
    "com.qualcomm.", "com.qti.", "vendor.qti.", "org.codeaurora.", "com.mediatek.",  # chipsets
)
PLATFORM_NAMES = frozenset({"android"})

# Installers that are ordinary app stores (the package that installed the app).
STORE_INSTALLERS = {
    "com.android.vending": "Google Play",
    "com.google.android.feedback": "Google Play",   # older Android recorded Play installs so
    "com.sec.android.app.samsungapps": "Samsung Galaxy Store",
    "com.huawei.appmarket": "Huawei AppGallery",
    "com.xiaomi.market": "Xiaomi GetApps",
    "com.xiaomi.mipicks": "Xiaomi GetApps",
    "com.amazon.venezia": "Amazon Appstore",
    "org.fdroid.fdroid": "F-Droid",
    "org.fdroid.basic": "F-Droid",
    "com.heytap.market": "OPPO App Market",
    "com.oppo.market": "OPPO App Market",
    "com.bbk.appstore": "vivo App Store",
}
# The system screen that installs an APK file someone opened (from a browser, a file manager, a
# chat attachment), and the adb shell (`adb install` from a computer).
PACKAGE_INSTALLERS = frozenset({"com.google.android.packageinstaller", "com.android.packageinstaller"})
ADB_INSTALLER = "com.android.shell"
# Read-only partitions that hold preinstalled APKs.
SYSTEM_APK_FOLDERS = ("/system/", "/system_ext/", "/product/", "/vendor/", "/odm/", "/apex/", "/oem/",
                      "/preload/", "/system/preload/")


def text(value: object) -> str:
    return value if isinstance(value, str) else ""


def installer_of(fields: Mapping[str, object]) -> str | None:
    """The installer a package record names; None when none (androidqf writes "null")."""
    installer = text(fields.get("installer")).strip()
    return None if installer in ("", "null") else installer


def platform_name(name: str) -> bool:
    """Whether a package name belongs to Android, Google or a phone maker."""
    return name in PLATFORM_NAMES or name.startswith(PLATFORM_PREFIXES)


def apk_paths(fields: Mapping[str, object]) -> list[str]:
    files = fields.get("apk_files")
    if not isinstance(files, list):
        return []
    return [entry["path"] for entry in files if isinstance(entry, dict) and isinstance(entry.get("path"), str)]


def preinstalled(fields: Mapping[str, object]) -> bool:
    """Whether a package record describes a system package."""
    # Only `system` is trusted: androidqf before 2022 wrote neither flag, read as False for both.
    if fields.get("system") is True:
        return True
    paths = apk_paths(fields)
    return bool(paths) and all(path.startswith(SYSTEM_APK_FOLDERS) for path in paths)


def third_party(name: str, package: Record | None) -> bool:
    """Whether `name` is an app someone installed rather than the phone's own (module docstring)."""
    if not name:
        return False
    if package is None:
        return not platform_name(name)
    if preinstalled(package.fields):
        return False
    return not (platform_name(name) and installer_of(package.fields) in STORE_INSTALLERS)


def packages_by_name(records: Iterable[Record]) -> dict[str, Record]:
    found: dict[str, Record] = {}
    for record in records:
        name = text(record.fields.get("package_name"))
        if name:
            found.setdefault(name, record)
    return found


def package_of(component: str, package_name: object) -> str:
    """The package of a dumpsys component ("com.example/.Service" or "com.example/com.x.Service")."""
    name = text(package_name)
    if name:
        return name
    return component.split("/", 1)[0].strip() if "/" in component else ""


def latest_time(records: Mapping[str, Sequence[Record]], modules: Iterable[str]) -> datetime | None:
    """The newest time the records of `modules` show: a record's time (`event_time`), its
    first_install or last_update, and the phone's last boot (`android_getprop` ro.runtime.firstboot, milliseconds
    since 1970, which Android's BootReceiver sets at each boot: AOSP frameworks/base
    services/core/java/com/android/server/BootReceiver.java).

    Stands in for the acquisition time, which no record carries. Each is before the acquisition,
    and on a phone in use apps update every few days, so the newest is a little before it.
    Comparing with it errs on the side of reporting less (a patch level looks newer, not older)."""
    latest: datetime | None = None
    for module in modules:
        for record in records.get(module, ()):
            stamps = [event_time(record), boot_time(record)]
            for key in ("first_install", "last_update"):
                value = record.fields.get(key)
                if isinstance(value, str) and len(value) < 64:
                    with contextlib.suppress(ValueError):
                        stamps.append(parse_iso(value))
            for stamp in stamps:
                if isinstance(stamp, datetime) and stamp.tzinfo is not None and (latest is None or stamp > latest):
                    latest = stamp
    return latest


# Local wall-clock fields of `dumpsys_package_events` (battery statistics print local times, and
# androidqf's dumpsys.txt names no zone), with their formats: the newest first.
LOCAL_TIMES = (("time_local", "%Y-%m-%d %H:%M:%S"), ("period_end_local", "%Y-%m-%d-%H-%M-%S"),
               ("period_start_local", "%Y-%m-%d-%H-%M-%S"))


def event_time(record: Record) -> datetime | None:
    """A record's time: its timestamp, else a local time it keeps read as UTC (at most 14 hours
    off, which a window of days can bear)."""
    if record.timestamp is not None:
        return record.timestamp
    for key, layout in LOCAL_TIMES:
        value = record.fields.get(key)
        if isinstance(value, str) and len(value) < 32:
            with contextlib.suppress(ValueError):
                return datetime.strptime(value, layout).replace(tzinfo=UTC)
    return None


BOOT_PROPERTY = "ro.runtime.firstboot"
# A phone that booted without the time set counts from 1970: such a boot time says nothing.
_EARLIEST_BOOT, _LATEST_BOOT = datetime(2010, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def boot_time(record: Record) -> datetime | None:
    """The boot time an `android_getprop` record of ro.runtime.firstboot gives, else None."""
    if record.fields.get("property") != BOOT_PROPERTY:
        return None
    value = text(record.fields.get("value")).strip()
    if not value.isdigit() or len(value) > 15:
        return None
    moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    return moment if _EARLIEST_BOOT <= moment < _LATEST_BOOT else None


ACQUISITION_MODULE = "android_acquisition"


def reference_time(records: Mapping[str, Sequence[Record]], modules: Iterable[str]) -> tuple[datetime, bool] | None:
    """The moment of the acquisition and whether it is the acquisition's own (True) or estimated
    from the newest record (False)."""
    for record in records.get(ACQUISITION_MODULE, ()):
        if record.timestamp is not None:
            return record.timestamp, True
        local = record.fields.get("acquired_at_local")
        if isinstance(local, str) and len(local) < 32:
            with contextlib.suppress(ValueError):
                return datetime.strptime(local[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC), True
    latest = latest_time(records, modules)
    return (latest, False) if latest is not None else None


def basis(reference: datetime, exact: bool) -> str:
    """How a message says which time it compared with."""
    if exact:
        return f"It was checked on {reference:%Y-%m-%d}, the date the acquisition records."
    return ("The date it was checked is not recorded; the newest app update or restart on the phone, "
            f"{reference:%Y-%m-%d}, stands in for it (it was checked that day or later).")
