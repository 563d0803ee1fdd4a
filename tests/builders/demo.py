"""Writes the sample acquisition bundled for `spyglass demo`, and its small demo feed.

Run `python -m tests.builders.demo` from the repository root to regenerate
src/spyglass/data/demo/. The backup is the full-artifact backup of the end-to-end tests,
planted with real Pegasus traces from Amnesty's 2021 indicators; the demo feed is a
subset of that STIX bundle (CC-BY, Amnesty International Security Lab), so the demo
shows real findings without the full feeds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.builders.full_backup import PLANTED, add_everything
from tests.builders.ios_backup import BackupBuilder

REPO = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO / "src" / "spyglass" / "data" / "demo"
# The verbatim Amnesty 2021 bundle that spyglass ships (data/iocs/feeds.json names its upstream commit).
PEGASUS = REPO / "src" / "spyglass" / "data" / "iocs" / "amnesty" / "pegasus.stix2"
DEMO_UDID = "00008110-000A1B2C3D4E5F60"

DEMO_PLANTED = dict(PLANTED, **{
    "domain": "free247downloads.com",
    "link": "https://bun54l2b67.get1tn0w.free247downloads.com:30495/0kapvg3dhu",
    "safari_domain": "free247downloads.com",
    "process": "bh",
    "email": "ameliehaggart@gmail.com",
    "file_name": "roleaccountd.plist",
})
# Values of the real feed kept in the demo feed: the planted ones and a few more of each kind.
DEMO_VALUES = {"free247downloads.com", "urlpush.net", "bh", "roleaccountd", "msgacntd", "roleaccountd.plist",
               "ameliehaggart@gmail.com", "weather4free.com", "mongo1.net", "lighthouse-link.com"}


def demo_feed(pegasus: Path = PEGASUS) -> dict:
    bundle = json.loads(pegasus.read_text(encoding="utf-8"))
    kept = {o["id"] for o in bundle["objects"] if o["type"] == "indicator"
            and o["pattern"].split("=", 1)[1].strip(" ']") in DEMO_VALUES}
    objects = []
    for item in bundle["objects"]:
        if item["type"] == "malware":
            objects.append(dict(item, description="Pegasus indicators (subset for the spyglass demo). "
                                "(c) Amnesty International Security Lab, CC-BY, github.com/AmnestyTech/investigations"))
        elif item["id"] in kept or (item["type"] == "relationship" and item["source_ref"] in kept):
            objects.append(item)
    return {"type": "bundle", "id": "bundle--5f3a7c52-9d7e-4d6b-8f1e-2a9c3b4d5e60", "objects": objects}


def build_demo(target: Path = DEMO_DIR) -> Path:
    if target.exists():
        shutil.rmtree(target)
    builder = BackupBuilder(device_name="Demo iPhone", udid=DEMO_UDID, serial="DNPXK0DEMO01",
                            product_type="iPhone13,2", ios_version="14.6", build_version="18F72")
    add_everything(builder, DEMO_PLANTED)
    builder.build(target / "backup" / DEMO_UDID)
    (target / "pegasus-demo.stix2").write_text(json.dumps(demo_feed(), indent=1) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    print(build_demo())
