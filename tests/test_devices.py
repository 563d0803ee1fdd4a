"""Device names as people know them (spyglass/data/apple_devices.txt, Android properties)."""

from __future__ import annotations

import json
from pathlib import Path

from spyglass.devices import android_name, apple_name, apple_names, model_name, model_with_identifier


def test_apple_identifiers_named() -> None:
    # Apple's "Identify your iPhone model" names; identifiers as The Apple Wiki lists them.
    assert apple_name("iPhone14,2") == "iPhone 13 Pro"
    assert apple_name("iPhone13,2") == "iPhone 12"
    assert apple_name("iPhone12,8") == "iPhone SE (2nd generation)"
    assert apple_name("iPhone18,4") == "iPhone Air"
    assert apple_name("iPad13,18") == "iPad (10th generation)"
    assert apple_name("iPad16,3") == "iPad Pro 11-inch (M4)"
    assert apple_name("iPod9,1") == "iPod touch (7th generation)"
    assert apple_name("iPhone99,9") is None and apple_name(None) is None and apple_name("") is None


def test_apple_list_is_well_formed() -> None:
    names = apple_names()
    assert len(names) == 175
    assert all(identifier.startswith(("iPhone", "iPad", "iPod")) and "," in identifier for identifier in names)


def test_model_name_known_unknown_and_absent() -> None:
    assert model_name({"model": "iPhone14,2"}) == "iPhone 13 Pro"
    assert model_name({"model": "iPhone99,1"}) == "iPhone99,1"           # unknown: shown as it is
    assert model_name({"model": "  iPhone14,2\n"}) == "iPhone 13 Pro"
    assert model_name({}) == "" and model_name("not a dict") == ""       # type: ignore[arg-type]
    assert model_with_identifier({"model": "iPhone14,2"}) == "iPhone 13 Pro (iPhone14,2)"
    assert model_with_identifier({"model": "iPhone99,1"}) == "iPhone99,1"


def getprop_case(folder: Path, properties: dict[str, str]) -> Path:
    (folder / "records").mkdir(parents=True)
    lines = [json.dumps({"module": "android_getprop", "fields": {"property": name, "value": value}})
             for name, value in properties.items()]
    (folder / "records" / "android_getprop.jsonl").write_text("\n".join(["[1]", "not json", *lines]) + "\n")
    return folder


def test_android_name_from_the_phone_properties(tmp_path: Path) -> None:
    device = {"os": "Android"}
    pixel = getprop_case(tmp_path / "pixel", {"ro.product.model": "Pixel 8", "ro.product.manufacturer": "Google",
                                              "ro.build.version.release": "15"})
    assert model_name(device, pixel) == "Google Pixel 8"
    samsung = getprop_case(tmp_path / "samsung", {"ro.product.model": "SM-S911B",
                                                  "ro.product.marketname": "Galaxy S23",
                                                  "ro.product.manufacturer": "samsung"})
    assert model_name(device, samsung) == "Galaxy S23"
    assert model_name(device, tmp_path / "none") == ""
    assert android_name({"ro.product.model": "Redmi Note 12", "ro.product.brand": "Redmi"}) == "Redmi Note 12"
