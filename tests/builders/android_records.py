"""Android records built directly, with the fields of the record contracts (docs: the Android
addendum's "Record contracts"), for the heuristic tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from spyglass.records import Record, iso_utc, observables


def _record(module: str, fields: dict[str, Any], *pairs: tuple[str, Any], when: datetime | None = None,
            desc: str = "") -> Record:
    return Record(timestamp=when, timestamp_desc=desc, message=f"{module} record", fields=fields,
                  observables=observables(*pairs), module=module, source=f"{module}.txt")


def package(name: str, installer: str | None = "com.android.vending", *, system: bool = False,
            permissions: Sequence[str] = (), hidden_launcher: bool | None = None,
            apk_paths: Sequence[str] | None = None, last_update: datetime | None = None, uid: int = 10234) -> Record:
    paths = apk_paths if apk_paths is not None else (
        [f"/system/priv-app/{name}/{name}.apk"] if system else [f"/data/app/~~Xq3w==/{name}-Jk2Q==/base.apk"])
    return _record("android_packages", {
        "package_name": name, "installer": installer, "system": system, "third_party": not system,
        "disabled": False, "permissions": list(permissions), "requested_permissions": list(permissions),
        "certificates": [], "apk_files": [{"path": p, "sha256": None, "md5": None, "sha1": None} for p in paths],
        "first_install": None, "last_update": iso_utc(last_update), "uid": uid if not system else 1000,
        "hidden_launcher": hidden_launcher}, ("app_id", name), *(("file_path", p) for p in paths))


def getprop(prop: str, value: str) -> Record:
    return _record("android_getprop", {"property": prop, "value": value}, ("android_property", prop))


def setting(namespace: str, key: str, value: str) -> Record:
    return _record("android_settings", {"namespace": namespace, "key": key, "value": value})


def _component(module: str, component: str, **extra: Any) -> Record:
    name = component.split("/", 1)[0]
    return _record(module, {"package_name": name, "component": component, **extra}, ("app_id", name))


def accessibility(component: str, enabled: bool = True) -> Record:
    return _component("dumpsys_accessibility", component, enabled=enabled, installed=True, user=0)


def device_admin(component: str) -> Record:
    return _component("dumpsys_device_admin", component, user=0, uid=None, device_owner=False, profile_owner=False)


def notification_listener(component: str, enabled: bool = True) -> Record:
    return _component("dumpsys_notification_listeners", component, enabled=enabled, live=enabled, user=0,
                      system=False)


def receiver(component: str, action: str) -> Record:
    return _component("dumpsys_receivers", component, action=action, table="Non-Data Actions:")


def appop(package_name: str, op: str, mode: str = "allow", when: datetime | None = None) -> Record:
    return _record("dumpsys_appops", {"package_name": package_name, "uid": "u0a104", "op": op, "mode": mode,
                                      "access_state": None, "last_access": iso_utc(when)},
                   ("app_id", package_name), when=when, desc="last access" if when else "")


def process(name: str, path: str | None = None, user: str = "root", pid: int = 4242) -> Record:
    return _record("android_processes", {"process_name": name, "process_path": path, "pid": pid, "ppid": 1,
                                         "user": user, "uid": None, "label": "u:r:shell:s0"},
                   ("process", name), ("file_path", path))


def root_binary(path: str) -> Record:
    return _record("android_root_binaries", {"file_path": path, "binary_name": path.rsplit("/", 1)[-1]},
                   ("file_path", path))


def mount(mount_point: str, device: str, fs_type: str, options: str) -> Record:
    listed = options.split(",")
    return _record("android_mounts", {"mount_point": mount_point, "device": device, "fs_type": fs_type,
                                      "options": listed, "read_write": "rw" in listed})


def package_event(name: str, event: str, version: int | None, when: datetime) -> Record:
    return _record("dumpsys_package_events", {"package_name": name, "event": event, "version": version},
                   ("app_id", name), when=when, desc=f"Package {event}")


def run(heuristic: Any, records: Iterable[Record]) -> list[Any]:
    """The detections of a heuristic module over `records`, selected as the Analyser does
    (only the modules it names, only the records its `keep` accepts)."""
    records = list(records)
    declared = heuristic.HEURISTIC
    keep = declared.keep
    selected = {name: [r for r in records if r.module == name and (keep is None or keep(r))]
                for name in declared.modules}
    return list(heuristic.check(selected))
