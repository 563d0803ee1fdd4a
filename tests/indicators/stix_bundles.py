"""STIX 2.1 bundles built in code for the indicator tests."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

STAMP = "2024-01-26T21:28:21.013288Z"


def indicator(pattern: str, **extra: Any) -> dict[str, Any]:
    return {"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
            "created": STAMP, "modified": STAMP, "indicator_types": ["malicious-activity"],
            "pattern": pattern, "pattern_type": "stix", "pattern_version": "2.1",
            "valid_from": STAMP, **extra}


def malware(name: str, modified: str = STAMP) -> dict[str, Any]:
    return {"type": "malware", "spec_version": "2.1", "id": f"malware--{uuid.uuid4()}",
            "created": modified, "modified": modified, "name": name, "is_family": False}


def relationship(source: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    return {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
            "created": STAMP, "modified": STAMP, "relationship_type": "indicates",
            "source_ref": source["id"], "target_ref": target["id"]}


def bundle(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objects}


def related_bundle(patterns: list[str], malware_name: str = "Pegasus") -> dict[str, Any]:
    """Indicators that each indicate one malware object, as the Amnesty and MVT feeds do."""
    family = malware(malware_name)
    indicators = [indicator(pattern) for pattern in patterns]
    return bundle([family, *indicators, *(relationship(item, family) for item in indicators)])


def write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
