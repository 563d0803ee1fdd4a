"""Timestamp conversions used across artifacts, all to timezone-aware UTC.

Evidence is hostile: a value out of range gives None (the module keeps the raw value in
its fields), never an exception.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

APPLE_EPOCH = datetime(2001, 1, 1, tzinfo=UTC)
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)

# Bounds that keep conversions inside what datetime can hold and what a phone can have seen.
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str | bytes):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return number


def _from(epoch: datetime, seconds: float) -> datetime | None:
    try:
        moment = epoch + timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        return None
    if not (_EARLIEST <= moment < _LATEST):
        return None
    return moment


def apple_time(value: object) -> datetime | None:
    """Cocoa/Core Data absolute time: seconds since 2001-01-01, or nanoseconds (iOS 11+ sms.db).

    Values too large to be seconds are taken as nanoseconds, as Messages stores them.
    Zero means "not set" in Apple databases and gives None.
    """
    number = _number(value)
    if not number:
        return None
    if abs(number) > 1e11:
        number /= 1e9
    return _from(APPLE_EPOCH, number)


def unix_time(value: object) -> datetime | None:
    """Unix time in seconds, milliseconds, microseconds or nanoseconds (by magnitude)."""
    number = _number(value)
    if not number:
        return None
    magnitude = abs(number)
    if magnitude > 1e17:
        number /= 1e9
    elif magnitude > 1e14:
        number /= 1e6
    elif magnitude > 1e11:
        number /= 1e3
    return _from(UNIX_EPOCH, number)


def webkit_time(value: object) -> datetime | None:
    """WebKit/Chrome time: microseconds since 1601-01-01."""
    number = _number(value)
    if not number:
        return None
    return _from(WEBKIT_EPOCH, number / 1e6)


def to_utc(moment: datetime | None) -> datetime | None:
    """A datetime from a plist (naive means UTC there) made timezone-aware UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# Real UTC offsets run from -12:00 to +14:00: an offset past that is no place on Earth, so a
# time carrying one is not trusted (None), whatever datetime itself would accept.
MAX_UTC_OFFSET = timedelta(hours=14)
_OFFSET = re.compile(r"([+-])(\d{2})(?::?(\d{2}))?")
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,3}")
# Names zoneinfo resolves to something other than a place: the analyst's own zone (localtime)
# and tzdata internals.
NOT_ZONES = frozenset({"localtime", "posixrules", "factory", "posix", "right"})


def utc_offset(text: object) -> timezone | None:
    """"Z", "+02", "+0200" or "+02:00" as a fixed zone; None for anything else or absurd."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if text in ("Z", "z", "UTC", "GMT"):
        return UTC
    match = _OFFSET.fullmatch(text)
    if match is None:
        return None
    hours, minutes = int(match[2]), int(match[3] or 0)
    offset = timedelta(hours=hours, minutes=minutes)
    if minutes >= 60 or offset > MAX_UTC_OFFSET:
        return None
    return timezone(-offset if match[1] == "-" else offset)


def named_zone(name: object) -> ZoneInfo | None:
    """An IANA zone name as the device gives it ("Europe/Paris"), or None: unknown, absurd, or
    shaped like a path (ZoneInfo would otherwise look the name up as a file)."""
    if not isinstance(name, str) or len(name) > 64 or not _ZONE_NAME.fullmatch(name.strip()):
        return None
    if name.strip().split("/")[0].lower() in NOT_ZONES:
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def local_to_utc(moment: datetime, zone: timezone | ZoneInfo | None) -> datetime | None:
    """A naive local time in `zone` as UTC; None without a zone or outside 1990-2100."""
    if zone is None:
        return None
    try:
        result = moment.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return result if _EARLIEST <= result < _LATEST else None
