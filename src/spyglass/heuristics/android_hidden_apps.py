"""Installed apps hiding their launcher icon.

Reads the `android_packages` records (`hidden_launcher`: True when the package has no activity
the home screen can show, or its launcher activity is disabled). Stalkerware removes its icon
after setup so the person watched does not see it. Some ordinary add-ons (keyboard themes,
plugins) have no icon either, so an app from an app store is low; one installed from elsewhere
medium. System packages and Google's and phone makers' apps (heuristics/_android.py) are not
reported; most have no icon by design.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from spyglass.detections import Detection
from spyglass.heuristics import Heuristic, _android, suspicious
from spyglass.records import Observable, Record

HEURISTIC = Heuristic(
    name="android_hidden_apps",
    description="Installed app without a launcher icon",
    modules=frozenset({"android_packages"}),
    keep=lambda record: record.fields.get("hidden_launcher") is True,
)


def check(records: Mapping[str, Sequence[Record]]) -> Iterator[Detection]:
    for record in records.get("android_packages", ()):
        fields = record.fields
        name = _android.text(fields.get("package_name"))
        if fields.get("hidden_launcher") is not True or not _android.third_party(name, record):
            continue
        store = _android.STORE_INSTALLERS.get(_android.installer_of(fields) or "")
        origin = f"from {store}" if store else "from outside an app store"
        yield suspicious(
            HEURISTIC, record,
            f"The app {name} (installed {origin}) has no icon on the home screen, so it runs without being "
            "seen. Stalkerware hides this way. Look it up in Settings > Apps; if you do not know it, have it "
            "checked.",
            severity="low" if store else "medium", observable=Observable("app_id", name))
