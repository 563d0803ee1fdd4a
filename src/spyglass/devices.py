"""Device names as people know them: "iPhone 13 Pro", not "iPhone14,2".

Apple devices report a model identifier (ProductType); spyglass/data/apple_devices.txt maps
each known identifier to its marketing name (sources named in that file). An identifier not
listed is shown as it is. Android's own properties already hold a name: ro.product.marketname
(set by some makers, "Galaxy S23") or the maker and ro.product.model ("Google Pixel 8"), read
from the case's android_getprop records.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

DATA_FILE = "apple_devices.txt"
MAX_NAME = 80
MAX_PROPERTY_LINES = 50_000      # getprop prints a few thousand properties; a case is hostile
NAME_PROPERTIES = ("ro.product.marketname", "ro.product.vendor.marketname", "ro.product.model",
                   "ro.product.manufacturer", "ro.product.brand")


@lru_cache(maxsize=1)
def apple_names() -> dict[str, str]:
    text = files("spyglass").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    names = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "\t" in line:
            identifier, name = line.split("\t", 1)
            names[identifier.strip()] = name.strip()
    return names


def apple_name(identifier: Any) -> str | None:
    """The marketing name of an Apple model identifier, None when it is not a known one."""
    return apple_names().get(str(identifier).strip()) if identifier else None


def model_name(device: dict[str, Any], case_dir: Path | None = None) -> str:
    """The device's model as its owner knows it; "" when nothing names it."""
    model = device.get("model") if isinstance(device, dict) else None
    if model:
        text = " ".join(str(model).split())[:MAX_NAME]
        return apple_name(text) or text
    if isinstance(device, dict) and str(device.get("os", "")).lower() == "android" and case_dir is not None:
        return android_name(android_properties(case_dir))
    return ""


def model_with_identifier(device: dict[str, Any], case_dir: Path | None = None) -> str:
    """For the analyst: "iPhone 13 Pro (iPhone14,2)"; the identifier alone when it is unknown."""
    name = model_name(device, case_dir)
    model = " ".join(str(device.get("model") or "").split())[:MAX_NAME] if isinstance(device, dict) else ""
    return f"{name} ({model})" if model and name and name != model else name


def android_name(properties: dict[str, str]) -> str:
    market = properties.get("ro.product.marketname") or properties.get("ro.product.vendor.marketname")
    if market:
        return market[:MAX_NAME]
    model = properties.get("ro.product.model", "")
    maker = properties.get("ro.product.manufacturer") or properties.get("ro.product.brand") or ""
    if model and maker and not model.lower().startswith(maker.lower()):
        return f"{maker[:1].upper()}{maker[1:]} {model}"[:MAX_NAME]
    return model[:MAX_NAME]


def android_properties(case_dir: Path) -> dict[str, str]:
    """The naming properties among the case's android_getprop records (bounded, never raising)."""
    found: dict[str, str] = {}
    path = case_dir / "records" / "android_getprop.jsonl"
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle):
                if number >= MAX_PROPERTY_LINES or len(found) == len(NAME_PROPERTIES):
                    break
                if not any(name in line for name in NAME_PROPERTIES):
                    continue
                try:
                    fields = json.loads(line).get("fields")
                except (ValueError, AttributeError):
                    continue
                if not isinstance(fields, dict):
                    continue
                name, value = fields.get("property"), fields.get("value")
                if name in NAME_PROPERTIES and isinstance(value, str) and value.strip():
                    found.setdefault(name, " ".join(value.split()))
    except OSError:
        pass
    return found
