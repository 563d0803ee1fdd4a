"""Apps or programs run from /data/local/tmp, the folder adb and exploits drop files into.

Reads `android_packages` (the APK paths) and `android_processes` (`process_path`, or a
`process_name` that is a path). /data/local/tmp is the scratch folder the adb shell may write;
installed apps live under /data/app and system programs on the system partitions, so a program
or APK there was put by a computer over USB or by an exploit: medium. The androidqf collector,
which androidqf itself pushes to /data/local/tmp/collector and runs during the acquisition
(mvt-project/androidqf adb/collector.go, acquisition/acquisition.go), is not reported.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="android_local_tmp",
    description="App or program run from /data/local/tmp",
    modules=frozenset({"android_packages", "android_processes"}),
)

LOCAL_TMP = "/data/local/tmp/"
ANDROIDQF_COLLECTOR = "/data/local/tmp/collector"


def _in_local_tmp(path: str) -> str | None:
    if not path.startswith("/"):
        return None
    normal = posixpath.normpath(path)
    return normal if normal.startswith(LOCAL_TMP) else None


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("android_packages", ()):
        name = _android.text(record.fields.get("package_name"))
        for path in _android.apk_paths(record.fields):
            found = _in_local_tmp(path)
            if found:
                yield suspicious(
                    HEURISTIC, record,
                    f"The app {name or 'without a name'} was installed from {found}, a scratch folder used when "
                    "installing from a computer or by attack tools. Have this app checked.",
                    severity="medium", observable=Observable("file_path", found))
                break
    for record in records.get("android_processes", ()):
        fields = record.fields
        name = _android.text(fields.get("process_name"))
        # `ps -A` shows a native program by the path it was started with.
        found = _in_local_tmp(_android.text(fields.get("process_path"))) or _in_local_tmp(name.split(" ", 1)[0])
        if not found or found == ANDROIDQF_COLLECTOR:
            continue
        yield suspicious(
            HEURISTIC, record,
            f"A program was running from {found}, a scratch folder where no normal app or system program "
            "runs; attack tools are started from there. Have the phone checked by an expert.",
            severity="medium", observable=Observable("file_path", found))
