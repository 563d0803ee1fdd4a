"""Messages: every SMS, MMS, iMessage and RCS message, with its sender or recipient.

Reads:   sms.db, HomeDomain Library/SMS/sms.db (/private/var/mobile/Library/SMS/sms.db):
         `message` joined with `handle` (the other party: phone number or email) and, through
         `chat_message_join`, `chat`. Dates are Apple time, seconds before iOS 11, nanoseconds
         since. From iOS 16 many messages have `text` NULL and their text only in
         `attributedBody`, an NSArchiver typedstream ("streamtyped") blob, decoded here.
         Columns come and go across versions (date_edited and date_retracted since iOS 16,
         RCS as a `service` value since iOS 18), so only columns present are queried.
Yields:  one record per message, timestamped when sent or received; observables are the
         other party (phone or email) and the urls, domains, emails, phones and ips in the text.
Seen:    iOS 10 to 18.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.extract import extract
from spyglass.limits import MAX_FIELD_CHARS
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import handle_observables
from spyglass.records import Record, flag, iso_utc
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="sms",
    description="SMS, iMessage and RCS messages",
    paths=('/private/var/mobile/Library/SMS/sms.db',),
    tables={"message": {"ROWID", "date", "handle_id"}, "handle": {"ROWID", "id"}},
    os_versions="iOS 10-18",
)

# Message columns read when the table has them, with the field name each becomes.
MESSAGE_COLUMNS = {
    "guid": "guid", "text": "text", "attributedBody": "attributed_body", "service": "service",
    "account": "account", "is_from_me": "is_from_me", "date": "date", "date_read": "date_read",
    "date_delivered": "date_delivered", "date_edited": "date_edited", "date_retracted": "date_retracted",
    "was_deduplicated": "was_deduplicated", "cache_has_attachments": "has_attachments",
    "item_type": "item_type", "is_read": "is_read", "destination_caller_id": "destination_caller_id",
    "subject": "subject",
}
STREAM_MAGIC = b"streamtyped"
STRING_CLASSES = (b"NSString", b"NSMutableString")
# Type encoding "+" (a byte string with its length) introducing the string's bytes.
STRING_BYTES = b"\x84\x01+"
MAX_MARKER_DISTANCE = 48


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    selected = db.present("message", MESSAGE_COLUMNS, "m")
    handle_columns = db.columns("handle")
    handle_service = "h.service" if "service" in handle_columns else "NULL"
    chat_join = db.has_table("chat_message_join") and db.has_table("chat") and {
        "chat_id", "message_id"} <= db.columns("chat_message_join")
    chat_columns = db.columns("chat") if chat_join else set()
    chat_select = ", ".join(
        f'c."{column}" AS "{name}"'
        for column, name in (("chat_identifier", "chat_identifier"), ("display_name", "chat_name"),
                             ("service_name", "chat_service"))
        if column in chat_columns)
    # One pass over chat_message_join, joined once: a correlated subquery per message was
    # quadratic on an sms.db without an index on message_id (MVT's sample has none, and an
    # attacker can drop any index). A message in several chats keeps the lowest chat id.
    chat_from = (" LEFT JOIN (SELECT message_id, MIN(chat_id) AS chat_id FROM chat_message_join "
                 "GROUP BY message_id) j ON j.message_id = m.ROWID LEFT JOIN chat c ON c.ROWID = j.chat_id"
                 if chat_select else "")
    query = (
        f"SELECT m.ROWID AS message_id, m.handle_id AS handle_rowid, {', '.join(selected) or 'NULL AS guid'}, "
        f"h.id AS handle, {handle_service} AS handle_service"
        f"{', ' + chat_select if chat_select else ''} "
        f"FROM message m LEFT JOIN handle h ON h.ROWID = m.handle_id{chat_from} ORDER BY m.ROWID"
    )
    for row in db.rows(query):
        yield _record(dict(row))


def _record(row: dict) -> Record:
    text = row.get("text") if isinstance(row.get("text"), str) else None
    text_source = "text" if text else None
    if not text and isinstance(row.get("attributed_body"), bytes):
        text = decode_typedstream_text(row["attributed_body"])
        text_source = "attributedBody" if text else None
    if text is not None:
        text = text[:MAX_FIELD_CHARS]
    handle = row.get("handle") if isinstance(row.get("handle"), str) else None
    from_me = bool(row.get("is_from_me"))
    sent_at = apple_time(row.get("date"))
    service = row.get("service") or row.get("handle_service")
    fields = {
        "message_id": row.get("message_id"),
        "guid": row.get("guid"),
        "service": service,
        "handle": handle,
        "handle_service": row.get("handle_service"),
        "is_from_me": from_me,
        "direction": "sent" if from_me else "received",
        "text": text,
        "text_source": text_source,
        "account": row.get("account"),
        "chat_identifier": row.get("chat_identifier"),
        "chat_name": row.get("chat_name") or None,
        "chat_service": row.get("chat_service"),
        "date": iso_utc(sent_at),
        "date_read": iso_utc(apple_time(row.get("date_read"))),
        "date_delivered": iso_utc(apple_time(row.get("date_delivered"))),
        "date_edited": iso_utc(apple_time(row.get("date_edited"))),
        "date_retracted": iso_utc(apple_time(row.get("date_retracted"))),
        "was_deduplicated": flag(row.get("was_deduplicated")),
        "has_attachments": flag(row.get("has_attachments")),
        "item_type": row.get("item_type"),
        "raw_date": row.get("date"),
    }
    party = "to" if from_me else "from"
    summary = (text or "").replace("\n", " ")
    if len(summary) > 200:
        summary = summary[:200] + "…"
    return Record(
        timestamp=sent_at,
        timestamp_desc="message sent" if from_me else "message received",
        message=f"{service or 'Message'} {party} {handle or 'unknown'}: {summary}".rstrip(": "),
        fields=fields,
        observables=handle_observables(handle) + (extract(text) if text else ()),
    )


def decode_typedstream_text(blob: bytes) -> str | None:
    """The plain text of an NSAttributedString archived with NSArchiver (typedstream).

    The string follows its class name (NSString or NSMutableString) and the type encoding
    `+` (0x84 0x01 0x2B); its byte count is one byte below 0x80, or 0x81 and a 2-byte, or
    0x82 and a 4-byte little-endian integer. Anything that does not fit gives None.
    """
    if not blob or STREAM_MAGIC not in blob[:16]:
        return None
    class_at = min((at for at in (blob.find(name) for name in STRING_CLASSES) if at >= 0), default=-1)
    if class_at < 0:
        return None
    marker_at = blob.find(STRING_BYTES, class_at, class_at + MAX_MARKER_DISTANCE)
    if marker_at < 0:
        return None
    at = marker_at + len(STRING_BYTES)
    if at >= len(blob):
        return None
    tag = blob[at]
    if tag < 0x80:
        size, at = tag, at + 1
    elif tag == 0x81:
        size, at = int.from_bytes(blob[at + 1:at + 3], "little"), at + 3
    elif tag == 0x82:
        size, at = int.from_bytes(blob[at + 1:at + 5], "little"), at + 5
    else:
        return None
    if size == 0 or at + size > len(blob) or size > MAX_FIELD_CHARS * 4:
        return None
    try:
        return blob[at:at + size].decode("utf-8")
    except UnicodeDecodeError:
        return None
