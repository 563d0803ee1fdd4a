"""JSON from Android evidence, its nesting measured before it is parsed.

`json.loads` recurses once per bracket: a file of a million `[` would exhaust the stack. The
depth is measured first, in C (a regex drops strings, translate and accumulate count the
brackets), so a hostile file costs no Python loop and no recursion. Listings that grow with
the phone (files.json, packages.json) are streamed instead, item by item (`json_items`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from itertools import accumulate
from typing import Any

from spyglass.errors import EvidenceError
from spyglass.limits import MAX_LISTING_ITEM_CHARS

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


# -- a list streamed item by item ------------------------------------------------------------------
_DECODER = json.JSONDecoder()
_SPACE = " \t\r\n"
_NUMBER_GOES_ON = frozenset("0123456789.eE+-")


def json_items(pieces: Iterator[str], source: str, what: str | None = None) -> Iterator[Any]:
    """The items of a JSON list decoded from `pieces` of text as they stream (EvidenceFile.
    text_pieces), so that a listing of a million entries is neither one string nor one Python list
    in memory; each item is bounded by MAX_LISTING_ITEM_CHARS and its nesting by the decoder's
    recursion limit. With `what` ("packages") the file must hold a list or `null`; without, a file
    of one JSON value per line (older androidqf collectors) is read as well."""
    return iter(_Items(pieces, source, what))


class _Items:
    """JSON values taken one at a time from pieces of text. A value is taken only once text that
    cannot continue it follows (or the file has ended), so that one cut between two pieces (`12`
    of `123`, `1.` of `1.5`) is never taken for a whole one."""

    def __init__(self, pieces: Iterator[str], source: str, what: str | None) -> None:
        self.pieces, self.source, self.what = pieces, source, what
        self.text, self.at, self.dropped, self.ended = "", 0, 0, False

    def _more(self) -> bool:
        piece = None if self.ended else next(self.pieces, None)
        if piece is None:
            self.ended = True
            return False
        self.dropped += self.at
        self.text, self.at = self.text[self.at:] + piece, 0
        return True

    def _skip(self) -> bool:
        """Past white space; False at the end of the file."""
        while True:
            while self.at < len(self.text) and self.text[self.at] in _SPACE:
                self.at += 1
            if self.at < len(self.text):
                return True
            if not self._more():
                return False

    def _at(self, char: str) -> bool:
        return self._skip() and self.text.startswith(char, self.at)

    def _invalid(self, why: str) -> EvidenceError:
        return EvidenceError(f"{self.source}: not valid JSON at character {self.dropped + self.at} ({why})")

    def _value(self) -> Any:
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.at)
                # A number cut at its fraction or exponent ("-15." of "-15.5e3") decodes short.
                if self.ended or (end < len(self.text) and self.text[end] not in _NUMBER_GOES_ON):
                    self.at = end
                    return value
                failure = None
            except (ValueError, RecursionError) as exc:
                failure = getattr(exc, "msg", type(exc).__name__)
            if len(self.text) - self.at > MAX_LISTING_ITEM_CHARS:
                # Damage mid-file is read past only this far before it is reported.
                raise self._invalid(failure or f"an item over {MAX_LISTING_ITEM_CHARS} characters")
            if not self._more() and failure is not None:
                raise self._invalid(failure)

    def __iter__(self) -> Iterator[Any]:
        if not self._skip():
            return
        in_list = self.text[self.at] == "["
        if not in_list and self.what is not None:
            if self._value() is not None or self._skip():
                raise EvidenceError(f"{self.source}: expected a list of {self.what}")
            return
        if in_list:
            self.at += 1
            if self._at("]"):
                self._drain()
                return
        while self._skip():
            yield self._value()
            if in_list:
                if self._at("]"):
                    self._drain()
                    return
                if not self._at(","):
                    raise self._invalid("expected , or ]")
                self.at += 1
        if in_list:
            raise EvidenceError(f"{self.source}: not valid JSON (the list is not closed: truncated?)")

    def _drain(self) -> None:
        # What follows the list is read (and hashed) but not parsed, as when it was read whole.
        for _ in self.pieces:
            pass
