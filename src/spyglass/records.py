"""The one record type every module yields, and the observables pulled out for matching."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from spyglass.limits import MAX_FIELD_CHARS, MAX_RECORD_CHARS, MAX_RECORD_DEPTH, MAX_RECORD_NODES

# Observable types understood by the matcher. Modules use these names verbatim.
OBSERVABLE_TYPES = frozenset({
    "domain", "url", "ip", "email", "phone", "process", "file_name", "file_path",
    "app_id", "sha256", "sha1", "md5", "cert_sha256", "cert_sha1", "cert_md5",
    "android_property", "profile_id",
})


# Records and observables are made by the million (every check, every recheck): a frozen
# dataclass's __init__ costs four times a plain one's (0.8 against 0.2 us for a record, measured),
# so they are plain, and nothing changes them once made. Observables are hashed (sets, indexes).
@dataclass(slots=True, unsafe_hash=True)
class Observable:
    """A typed value pulled out of a record for matching (`domain`, `url`, `process`...)."""

    type: str
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "value": self.value}


@dataclass(slots=True)
class Record:
    """One thing a module found: a visit, a message, a process row, a file entry.

    `module` and `source` are filled in by the runner when a module leaves them empty.
    `timestamp` is timezone-aware UTC or None; raw values that could not be converted stay
    in `fields`.
    """

    timestamp: datetime | None
    timestamp_desc: str
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    observables: tuple[Observable, ...] = ()
    module: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "source": self.source,
            "timestamp": iso_utc(self.timestamp),
            "timestamp_desc": self.timestamp_desc,
            "message": self.message,
            "fields": self.fields,
            "observables": [o.to_dict() for o in self.observables],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        stamp = data.get("timestamp")
        # Positional arguments and a list, not a generator: a recheck reads millions of records.
        return cls(
            parse_iso(stamp) if stamp else None,
            data.get("timestamp_desc", ""),
            data.get("message", ""),
            data.get("fields") or {},
            tuple([Observable(o["type"], o["value"]) for o in data.get("observables") or ()]),
            data.get("module", ""),
            data.get("source", ""),
        )


def text_field(value: Any, limit: int = MAX_FIELD_CHARS) -> str | None:
    """A text value from evidence as a record keeps it: bytes decoded (bad UTF-8 replaced), cut
    at `limit` characters; anything that is not text gives None."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return value[:limit] if isinstance(value, str) else None


def flag(value: Any) -> bool | None:
    """A yes/no column or key from evidence: None when absent, else its truth."""
    return None if value is None else bool(value)


def scalar_field(value: Any, limit: int = MAX_FIELD_CHARS) -> str | int | float | bool | None:
    """A single value from evidence as a message or a scalar field may show it: None, bool, a
    bounded int or float kept; text through `text_field`; anything else (a list, a dict: shared
    references make those unbounded to format) gives None."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if -_INT_BOUND < value < _INT_BOUND else None
    return text_field(value, limit)


# Beyond 128 bits no plist or SQLite integer goes; past 4300 digits str() and JSON refuse an int.
_INT_BOUND = 1 << 128
_PLAIN = frozenset({type(None), bool, float})
TRUNCATED = "_truncated"


def bounded_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """A record's fields as a record may keep them; the runner applies this to every record.

    Bounds, counted along every path (a value shared by reference counts each time it is
    reached, as it would be written): nesting to MAX_RECORD_DEPTH (the fields are level 1),
    MAX_RECORD_NODES values, each text or bytes value to MAX_FIELD_CHARS and all of them
    (keys included) to MAX_RECORD_CHARS. Types: None, bool, int (within 128 bits), float, str,
    bytes and datetime kept; dict keys made text; tuples and sets lists; anything else its type
    name as `<name>`. When anything was cut or replaced, the result holds `_truncated: True`.

    The common record, scalars and short text in a few small dicts or lists, is returned as it is.
    """
    if type(fields) is dict and _plain_dict(fields, 1, _FAST_ROOM) >= 0:
        return fields
    return _Bounder().fields(fields)


# The fast path's one budget: each value costs _FAST_COST plus its text, each key its text.
# Passing it implies both record bounds: at most _FAST_ROOM // _FAST_COST values (under
# MAX_RECORD_NODES) and _FAST_ROOM characters (one text value's bound, under the record's).
_FAST_ROOM = min(MAX_FIELD_CHARS, MAX_RECORD_CHARS)
_FAST_COST = _FAST_ROOM // MAX_RECORD_NODES + 1


def _plain_dict(value: dict[Any, Any], depth: int, room: int) -> int:
    """The room left after `value` when it holds only what bounded_fields keeps unchanged, else
    below 0. Stops after any nested container that spent the room: shared references cannot
    multiply the walk, which stays within the containers' own lengths."""
    try:
        # One C call checks every key is text and counts it: the loop below sees values only.
        room -= len("".join(value)) + len(value) * _FAST_COST
    except TypeError:
        return -1
    for item in value.values():
        if item is None:  # the commonest value of all: a column or key not set
            continue
        kind = type(item)
        if kind is str:
            room -= len(item)
        elif kind is int:
            if item >= _INT_BOUND or item <= -_INT_BOUND:
                return -1
        elif kind is bool or kind is float:
            pass
        elif kind is bytes:
            room -= len(item)
        elif kind is dict or kind is list:
            if depth >= MAX_RECORD_DEPTH:
                return -1
            room = (_plain_dict if kind is dict else _plain_list)(item, depth + 1, room)
            if room < 0:
                return -1
        else:
            return -1
    return room


# The same value test as _plain_dict's loop, written out again on purpose: this runs for every
# value of every record, and a call per value costs about a second on a 600k-record check.
def _plain_list(value: list[Any], depth: int, room: int) -> int:
    room -= len(value) * _FAST_COST
    for item in value:
        if item is None:  # the commonest value of all: a column or key not set
            continue
        kind = type(item)
        if kind is str:
            room -= len(item)
        elif kind is int:
            if item >= _INT_BOUND or item <= -_INT_BOUND:
                return -1
        elif kind is bool or kind is float:
            pass
        elif kind is bytes:
            room -= len(item)
        elif kind is dict or kind is list:
            if depth >= MAX_RECORD_DEPTH:
                return -1
            room = (_plain_dict if kind is dict else _plain_list)(item, depth + 1, room)
            if room < 0:
                return -1
        else:
            return -1
    return room


class _Bounder:
    """One record's budget of values and characters, spent while its fields are copied."""

    __slots__ = ("nodes", "chars", "cut")

    def __init__(self) -> None:
        self.nodes, self.chars, self.cut = MAX_RECORD_NODES, MAX_RECORD_CHARS, False

    def fields(self, fields: Any) -> dict[str, Any]:
        if isinstance(fields, dict):
            bounded = self.mapping(fields, 1)
        else:
            self.cut = True
            bounded = {"_value": self.value(fields, 1)}
        if self.cut:
            bounded[TRUNCATED] = True
        return bounded

    def text(self, value: str | bytes) -> str | bytes:
        keep = min(len(value), MAX_FIELD_CHARS, self.chars)
        self.chars -= keep
        if keep < len(value):
            self.cut = True
            return value[:keep]
        return value

    def key(self, key: Any) -> str:
        if isinstance(key, str):
            return str(self.text(key))
        if isinstance(key, bytes):
            self.cut = self.cut or len(key) > MAX_FIELD_CHARS
            return str(self.text(key[:MAX_FIELD_CHARS].decode("utf-8", errors="replace")))
        if key is None or isinstance(key, bool | float) or (isinstance(key, int) and -_INT_BOUND < key < _INT_BOUND):
            return str(self.text(str(key)))
        self.cut = True
        return f"<{type(key).__name__}>"

    def mapping(self, value: dict[Any, Any], depth: int) -> dict[str, Any]:
        bounded: dict[str, Any] = {}
        for key, item in value.items():
            if self.nodes <= 0:
                self.cut = True
                break
            text = self.key(key)  # before the value: keys spend the character budget first
            bounded[text] = self.value(item, depth + 1)
        return bounded

    def sequence(self, value: Any, depth: int) -> list[Any]:
        bounded: list[Any] = []
        for item in value:
            if self.nodes <= 0:
                self.cut = True
                break
            bounded.append(self.value(item, depth + 1))
        return bounded

    def value(self, value: Any, depth: int) -> Any:
        """`value` at nesting `depth` (its container's level + 1), bounded; costs one node."""
        self.nodes -= 1
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind is str or kind is bytes:
            return self.text(value)
        if kind is int:
            if -_INT_BOUND < value < _INT_BOUND:
                return value
            self.cut = True
            return f"<int of {value.bit_length()} bits>"
        if isinstance(value, dict | list | tuple | set | frozenset):
            if depth > MAX_RECORD_DEPTH:
                self.cut = True
                return None
            return self.mapping(value, depth) if isinstance(value, dict) else self.sequence(value, depth)
        if isinstance(value, datetime):
            return value
        # Subclasses (an IntEnum, a str subclass) as their plain type; anything else by name.
        if isinstance(value, bool | float):
            return bool(value) if isinstance(value, bool) else float(value)
        if isinstance(value, int):
            if -_INT_BOUND < value < _INT_BOUND:
                return int(value)
            self.cut = True
            return f"<int of {value.bit_length()} bits>"
        if isinstance(value, str):
            return self.text(str.__str__(value))
        if isinstance(value, bytearray | memoryview):
            return self.text(bytes(value[:MAX_FIELD_CHARS + 1]))  # one more byte: text() sees the cut
        self.cut = True
        return f"<{type(value).__name__}>"


def bounded_record(record: Record, module: str, source: str) -> Record:
    """The record as the runner yields it: fields through `bounded_fields`, message cut at
    MAX_FIELD_CHARS, module and source filled in where empty. The same record when nothing
    changes, which is the common case: this runs for every record of a check."""
    fields, message = bounded_fields(record.fields), record.message
    if type(message) is not str or len(message) > MAX_FIELD_CHARS:
        message = bounded_text(message)
    if fields is record.fields and message is record.message and record.module and record.source:
        return record
    # Direct construction: dataclasses.replace costs more than the record.
    return Record(record.timestamp, record.timestamp_desc, message, fields, record.observables,
                  record.module or module, record.source or source)


def bounded_text(text: Any, limit: int = MAX_FIELD_CHARS) -> str:
    """A record's message as kept: text cut at `limit`; anything else its type name."""
    if type(text) is str:
        return text if len(text) <= limit else text[:limit]
    if text is None:
        return ""
    bounded = text_field(text, limit)
    return bounded if bounded is not None else f"<{type(text).__name__}>"


def iso_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a trailing Z, seconds precision unless there are microseconds."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is several times faster than strftime, and cutting its "+00:00" faster than a
    # copy without the zone: this runs several times for every record.
    return moment.isoformat()[:-6] + "Z"


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def observables(*pairs: tuple[str, Any] | Observable) -> tuple[Observable, ...]:
    """Build observables from (type, value) pairs or Observables (as `extract()` gives them),
    skipping empty values, values that are not text or a number, and duplicates; text is cut
    at MAX_FIELD_CHARS."""
    seen: dict[tuple[str, str], None] = {}
    for pair in pairs:
        kind, value = (pair.type, pair.value) if isinstance(pair, Observable) else pair
        if type(value) is not str:
            value = scalar_field(value)  # a container would be formatted whole by str()
            if value is None:
                continue
        text = str(value)[:MAX_FIELD_CHARS].strip()
        if text:
            seen.setdefault((kind, text), None)
    return tuple(Observable(kind, value) for kind, value in seen)
