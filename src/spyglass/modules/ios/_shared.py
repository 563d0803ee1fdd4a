"""Values several iOS modules read the same way: declared once here.

Not a module (the leading underscore keeps it out of discovery).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.errors import EvidenceError
from spyglass.limits import MAX_FIELD_CHARS
from spyglass.records import Observable, Record, observables, parse_iso, text_field
from spyglass.sqlite import Database
from spyglass.timestamps import to_utc, unix_time

# Servers of WhatsApp JIDs that name one person by phone number.
PHONE_JID_SERVERS = frozenset({"s.whatsapp.net", "c.us"})


def handle_observables(handle: str | None) -> tuple[Observable, ...]:
    """A Messages or call handle as an observable: an email address, or else a phone number."""
    if not handle:
        return ()
    value = handle.strip()
    if value.lower().startswith(("mailto:", "tel:")):
        value = value.split(":", 1)[1]
    if "@" in value:
        return observables(("email", value.lower()))
    if any(char.isdigit() for char in value):
        return observables(("phone", value))
    return ()


def jid_phone(jid: str | None) -> str | None:
    """The phone number of a personal WhatsApp JID (4915112345678@s.whatsapp.net -> +4915112345678);
    None for groups (@g.us), broadcast lists, status and LID (@lid) identifiers."""
    if not jid or "@" not in jid:
        return None
    user, _, server = jid.partition("@")
    user = user.split(":", 1)[0].split(".", 1)[0]      # device suffixes: 491511...:12@s.whatsapp.net
    if server not in PHONE_JID_SERVERS or not user.isdigit() or not 6 <= len(user) <= 15:
        return None
    return "+" + user


def string_text(value: Any, limit: int = MAX_FIELD_CHARS) -> str | None:
    """A value that is already a string (a TEXT column, a plist string), cut at `limit`; None
    when empty or of another type (bytes stay None: unlike `text_field`, no decoding)."""
    return (text_field(value, limit) or None) if isinstance(value, str) else None


def stripped_text(value: Any, limit: int = MAX_FIELD_CHARS) -> str | None:
    """`string_text` of a string with the blanks around it removed."""
    return string_text(value.strip(), limit) if isinstance(value, str) else None


def plist_bool(value: Any) -> bool | None:
    """A plist boolean; None for anything else (a number or a string is not read as one)."""
    return value if isinstance(value, bool) else None


def plist_date(value: Any) -> datetime | None:
    """A plist date (naive: UTC) as timezone-aware UTC; None for anything else."""
    return to_utc(value) if isinstance(value, datetime) else None


def store_date(value: Any) -> datetime | None:
    """A date in App Store metadata (iTunesMetadata, BundleMetadata): a plist date, or ISO 8601
    text, as UTC; None for anything else."""
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, str) and value:
        try:
            return to_utc(parse_iso(value[:64]))
        except ValueError:
            return None
    return None


def plist_scalar(value: Any, limit: int) -> bool | int | float | str | None:
    """A plist boolean, number or string (cut at `limit`) as it is; None for anything else."""
    if isinstance(value, bool | int | float):
        return value
    return text_field(value, limit) if isinstance(value, str) else None


_KIND_NAMES = {list: "a list", dict: "a dictionary"}


def plist_member(file: EvidenceFile, key: str, kind: type[list] | type[dict]) -> Any:
    """The value of `key` in a plist whose top level is a dictionary: None when absent; a value
    of another kind than `kind` makes the file corrupt."""
    value = file.plist_dict().get(key)
    if value is not None and not isinstance(value, kind):
        raise EvidenceError(f"{file.source}: {key} is not {_KIND_NAMES[kind]}")
    return value


def process_part(name: str | None) -> str | None:
    """The process of a "process/subsystem" name (powerd/com.apple.datausage.diagnostics ->
    powerd); None for a name without a slash."""
    return name.split("/", 1)[0] if name and "/" in name else None


# Network-usage databases (DataUsage.sqlite, netusage.sqlite) share one Core Data model: a
# ZLIVEUSAGE row points at its ZPROCESS row through ZHASPROCESS, named ZPROCESS in some copies.
USAGE_LINK_COLUMNS = ("ZHASPROCESS", "ZPROCESS")


def process_rows(db: Database, columns: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """The ZPROCESS rows of a network-usage database: process_id, process_name and those of
    `columns` (column -> key) the table has."""
    selected = ", ".join(["Z_PK AS process_id", "ZPROCNAME AS process_name", *db.present("ZPROCESS", columns)])
    for row in db.rows(f"SELECT {selected} FROM ZPROCESS ORDER BY Z_PK"):
        yield dict(row)


def live_usage_rows(db: Database, columns: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """The ZLIVEUSAGE rows of a network-usage database: usage_id, process_id (None when the table
    has no link column) and those of `columns` (column -> key) the table has."""
    have = db.columns("ZLIVEUSAGE")
    link = next((column for column in USAGE_LINK_COLUMNS if column in have), None)
    selected = ", ".join(["Z_PK AS usage_id", f'"{link}" AS process_id' if link else "NULL AS process_id",
                          *db.present("ZLIVEUSAGE", columns)])
    for row in db.rows(f"SELECT {selected} FROM ZLIVEUSAGE ORDER BY Z_PK"):
        yield dict(row)


def process_observables(name: str | None, bundle_id: str | None) -> tuple[Observable, ...]:
    """A network-usage row's process and app. Some rows name the process "name/bundle id": the
    part before the slash is the process too."""
    return observables(("process", name), ("process", process_part(name)), ("app_id", bundle_id))


def wall_time(value: Any) -> datetime | None:
    """A WebKit WallTime (Unix seconds; 0 and -1 stand for "never") or a plist date, as UTC."""
    if isinstance(value, datetime):
        return to_utc(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return unix_time(value)
    return None


def webkit_domain_record(domain: str | None, last_seen: datetime | None, related: dict[str, list[str]],
                         fields: dict[str, Any]) -> Record:
    """One domain of WebKit's resource load statistics (the observations database or the older
    plist log): the message names the redirects, observables are the domain and every related one."""
    message = f"WebKit saw {domain or '(no domain)'}"
    if related["redirects_from"]:
        message += f", redirected from {', '.join(related['redirects_from'][:5])}"
    if related["redirects_to"]:
        message += f", redirecting to {', '.join(related['redirects_to'][:5])}"
    pairs = [("domain", domain)] + [("domain", d) for values in related.values() for d in values]
    return Record(timestamp=last_seen, timestamp_desc="last seen", message=message, fields=fields,
                  observables=observables(*pairs))


# WhatsApp and WhatsApp Business keep their databases in these shared app groups.
WHATSAPP_GROUPS = ("group.net.whatsapp.WhatsApp.shared", "group.net.whatsapp.WhatsAppSMB.shared")


def whatsapp_paths(name: str) -> tuple[str, ...]:
    """Device paths of the file `name` in the app groups of WhatsApp and WhatsApp Business."""
    return tuple(f"/private/var/mobile/Containers/Shared/AppGroup/{{{group}}}/{name}" for group in WHATSAPP_GROUPS)


# Installers that are the App Store: the app itself and its sheet shown inside other apps
# (MVT's applications module lists both).
APP_STORE_INSTALLERS = frozenset({"com.apple.AppStore", "com.apple.AppStore.ProductPageExtension"})
