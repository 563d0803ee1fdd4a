"""Plists that are small on disk and enormous when walked: shared references (a DAG of lists,
an NSKeyedArchiver whose objects hold the next one twice) and millions of tiny elements."""

from __future__ import annotations

import plistlib
from plistlib import UID
from typing import Any


def doubling(depth: int, leaf: Any = 1) -> Any:
    """A list holding the same list twice, `depth` times: tiny in memory, 2**depth leaves per path."""
    node = leaf
    for _ in range(depth):
        node = [node, node]
    return node


def keyed_archive(objects: list[Any], root: int = 1) -> dict[str, Any]:
    return {"$version": 100000, "$archiver": "NSKeyedArchiver", "$top": {"root": UID(root)}, "$objects": objects}


def doubling_archive(levels: int) -> dict[str, Any]:
    """Object i (1..levels) is an NSArray holding object i+1 twice: 2**levels paths, levels+3 objects."""
    array_class = levels + 2
    objects: list[Any] = ["$null"]
    objects += [{"$class": UID(array_class), "NS.objects": [UID(i + 1), UID(i + 1)]} for i in range(1, levels + 1)]
    objects += ["leaf", {"$classes": ["NSArray", "NSObject"], "$classname": "NSArray"}]
    return keyed_archive(objects)


def shared_reference_bplist(depth: int = 40) -> bytes:
    """A binary plist of a few hundred bytes whose dictionary values are 2**depth-leaf DAGs
    (plistlib writes a shared list once and refers to it)."""
    tree = doubling(depth, "x")
    return plistlib.dumps({"com.apple.madrid": {"mailto:a@b.c": tree}, "clients": tree, "list": tree},
                          fmt=plistlib.FMT_BINARY)


def many_elements_xml(count: int = 600_000) -> bytes:
    return b'<?xml version="1.0"?><plist version="1.0"><array>' + b"<true/>" * count + b"</array></plist>"
