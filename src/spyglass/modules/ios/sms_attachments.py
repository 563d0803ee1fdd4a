"""Messages attachments: every file sent or received in SMS, MMS, iMessage and RCS.

Reads:   sms.db, HomeDomain Library/SMS/sms.db (/private/var/mobile/Library/SMS/sms.db):
         `attachment` joined through `message_attachment_join` with its `message` and the
         message's `handle`. `filename` is where the file lives on the phone, usually
         ~/Library/SMS/Attachments/xx/yy/GUID/name (~ is /private/var/mobile); a received
         file left under /var/tmp or /private/var/tmp is what FORCEDENTRY left behind.
         created_date is Apple time in seconds.
Yields:  one record per attachment (per message it belongs to), timestamped when created;
         observables are the file path, the file names and the other party of the message.
Seen:    iOS 10 to 18.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from spyglass.acquisitions.base import EvidenceFile
from spyglass.limits import MAX_FIELD_CHARS
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import handle_observables
from spyglass.records import Record, flag, iso_utc, observables
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="sms_attachments",
    description="Files sent and received in Messages",
    paths=('/private/var/mobile/Library/SMS/sms.db',),
    tables={"attachment": {"ROWID", "filename"},
            "message_attachment_join": {"message_id", "attachment_id"}},
    # An sms.db without an attachment table holds no attachments: not present, not an error.
    defining_table="attachment",
    os_versions="iOS 10-18",
)

ATTACHMENT_COLUMNS = ("guid", "created_date", "mime_type", "uti", "transfer_name", "total_bytes",
                      "is_outgoing", "transfer_state", "hide_attachment", "is_sticker")
MOBILE_HOME = "/private/var/mobile"


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    selected = ", ".join(db.present("attachment", ATTACHMENT_COLUMNS, "a"))
    message_columns = db.columns("message")
    joins, message_select = "", "NULL AS handle, NULL AS is_from_me, NULL AS service, NULL AS message_date"
    if {"ROWID", "handle_id"} <= message_columns:
        def column(name: str) -> str:
            return f"m.{name}" if name in message_columns else "NULL"
        handle = "h.id" if {"ROWID", "id"} <= db.columns("handle") else "NULL"
        message_select = (f"{handle} AS handle, {column('is_from_me')} AS is_from_me, "
                          f"{column('service')} AS service, {column('date')} AS message_date")
        joins = "LEFT JOIN message m ON m.ROWID = j.message_id "
        if handle != "NULL":
            joins += "LEFT JOIN handle h ON h.ROWID = m.handle_id "
    query = (f"SELECT a.ROWID AS attachment_id, a.filename AS filename, {selected + ', ' if selected else ''}"
             f"j.message_id AS message_id, {message_select} "
             "FROM attachment a LEFT JOIN message_attachment_join j ON j.attachment_id = a.ROWID "
             f"{joins}ORDER BY a.ROWID, j.message_id")
    for row in db.rows(query):
        yield _record(dict(row))


def _record(row: dict) -> Record:
    filename = _text(row.get("filename"))
    path = device_path(filename)
    transfer_name = _text(row.get("transfer_name"))
    created = apple_time(row.get("created_date"))
    outgoing = flag(row.get("is_outgoing"))
    if outgoing is None:
        outgoing = flag(row.get("is_from_me"))
    handle = _text(row.get("handle"))
    fields = {
        "attachment_id": row.get("attachment_id"),
        "guid": row.get("guid"),
        "filename": filename,
        "device_path": path,
        "transfer_name": transfer_name,
        "mime_type": row.get("mime_type"),
        "uti": row.get("uti"),
        "total_bytes": row.get("total_bytes"),
        "is_outgoing": outgoing,
        "direction": None if outgoing is None else ("sent" if outgoing else "received"),
        "created_date": iso_utc(created),
        "transfer_state": row.get("transfer_state"),
        "hidden": flag(row.get("hide_attachment")),
        "message_id": row.get("message_id"),
        "handle": handle,
        "is_from_me": flag(row.get("is_from_me")),
        "service": row.get("service"),
        "message_date": iso_utc(apple_time(row.get("message_date"))),
        "raw_created_date": row.get("created_date"),
    }
    name = PurePosixPath(filename).name if filename else None
    party = "to" if outgoing else "from"
    return Record(
        timestamp=created,
        timestamp_desc="attachment created",
        message=f"Attachment {transfer_name or name or '(no name)'} {party} {handle or 'unknown'}: "
                f"{filename or '(no path)'}",
        fields=fields,
        observables=observables(("file_path", filename), ("file_path", path), ("file_name", name),
                                ("file_name", transfer_name)) + handle_observables(handle),
    )


def device_path(filename: str | None) -> str | None:
    """The attachment's absolute path on the phone (~ stands for the mobile user's home)."""
    if not filename:
        return None
    if filename.startswith("~/"):
        return MOBILE_HOME + filename[1:]
    return filename


def _text(value: object) -> str | None:
    return value[:MAX_FIELD_CHARS] if isinstance(value, str) and value else None
