"""JSON from Android evidence, its nesting measured before it is parsed.

`json.loads` recurses once per bracket: a file of a million `[` would exhaust the stack. The
depth is measured first, in C (a regex drops strings, translate and accumulate count the
brackets), so a hostile file costs no Python loop and no recursion.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from spyglass.errors import EvidenceError

_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]++")
_DEPTH_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def json_depth(data: bytes) -> int:
    """How deep brackets nest in `data`, brackets inside strings left out."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", data))
    return max(0, max(accumulate(memoryview(brackets.translate(_DEPTH_STEPS)).cast("b")), default=0))


def load_json(data: bytes, source: str, what: str, max_depth: int) -> Any:
    """`data` parsed, refused (EvidenceError naming `source`) when nested over `max_depth` or invalid."""
    depth = json_depth(data)
    if depth > max_depth:
        raise EvidenceError(f"{source}: {what} nests {depth} deep, over the bound of {max_depth}")
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise EvidenceError(f"{source}: {what} is not valid JSON ({exc})"[:300]) from exc


MAX_LIST_DEPTH = 64   # androidqf's JSON files are lists of flat objects: a few levels deep


def json_list(data: bytes, source: str, what: str) -> list[Any] | None:
    """An androidqf JSON file that holds a list (of packages, paths, mounts, processes): the list,
    None for a file holding `null`, else EvidenceError naming `source`."""
    depth = json_depth(data)
    if depth > MAX_LIST_DEPTH:
        raise EvidenceError(f"{source}: nests {depth} deep, over the bound of {MAX_LIST_DEPTH}")
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise EvidenceError(f"{source}: not valid JSON ({type(exc).__name__})") from None
    if value is not None and not isinstance(value, list):
        raise EvidenceError(f"{source}: expected a list of {what}")
    return value
