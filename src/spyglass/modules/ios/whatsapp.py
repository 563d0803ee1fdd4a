"""WhatsApp messages (ChatStorage.sqlite): who wrote, when, and every link and number in them.

Reads:   AppDomainGroup-group.net.whatsapp.WhatsApp.shared ChatStorage.sqlite (WhatsApp
         Business: group.net.whatsapp.WhatsAppSMB.shared), /private/var/mobile/Containers/
         Shared/AppGroup/<UUID>/ChatStorage.sqlite. Core Data tables:
         ZWAMESSAGE: ZTEXT, ZMESSAGEDATE and ZSENTDATE (Apple seconds), ZFROMJID, ZTOJID,
         ZISFROMME, ZMESSAGETYPE, ZPUSHNAME, ZSTANZAID, ZCHATSESSION, ZMEDIAITEM, ZGROUPMEMBER;
         ZWACHATSESSION: ZCONTACTJID, ZPARTNERNAME, ZSESSIONTYPE;
         ZWAMEDIAITEM: ZMEDIAURL, ZMEDIALOCALPATH, ZTITLE (link preview title), ZFILESIZE;
         ZWAGROUPMEMBER: ZMEMBERJID, ZCONTACTNAME (the sender in a group chat).
         Columns and tables absent from older WhatsApp versions are read as empty.
Yields:  one record per message (message sent / message received); observables: phone numbers
         from the JIDs (<digits>@s.whatsapp.net), links, domains, addresses and numbers from the
         text and the preview title via the shared extractor, and the media URL.
Seen:    WhatsApp 2.17-2.25, iOS 10-18.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spyglass.acquisitions.base import EvidenceFile
from spyglass.extract import extract
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import jid_phone, whatsapp_paths
from spyglass.records import Record, flag, iso_utc, observables, text_field
from spyglass.timestamps import apple_time

ARTIFACT = Artifact(
    name="whatsapp",
    description="WhatsApp messages",
    paths=whatsapp_paths("ChatStorage.sqlite"),
    tables={"ZWAMESSAGE": {"Z_PK", "ZMESSAGEDATE"}},
    os_versions="iOS 10-18",
)

# Columns read when present; older WhatsApp versions lack some, read as None.
MESSAGE_COLUMNS = ("ZTEXT", "ZFROMJID", "ZTOJID", "ZISFROMME", "ZMESSAGETYPE", "ZPUSHNAME", "ZSTANZAID",
                   "ZSENTDATE", "ZMESSAGESTATUS", "ZSTARRED")
SESSION_COLUMNS = ("ZCONTACTJID", "ZPARTNERNAME", "ZSESSIONTYPE")
MEDIA_COLUMNS = ("ZMEDIAURL", "ZMEDIALOCALPATH", "ZTITLE", "ZFILESIZE", "ZVCARDSTRING")
MEMBER_COLUMNS = ("ZMEMBERJID", "ZCONTACTNAME")


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    message_columns = db.columns("ZWAMESSAGE")
    selected = ["m.Z_PK AS message_id", "m.ZMESSAGEDATE AS message_date",
                *db.present("ZWAMESSAGE", MESSAGE_COLUMNS, "m")]
    joins = []
    for table, alias, link, columns in (
            ("ZWACHATSESSION", "s", "ZCHATSESSION", SESSION_COLUMNS),
            ("ZWAMEDIAITEM", "i", "ZMEDIAITEM", MEDIA_COLUMNS),
            ("ZWAGROUPMEMBER", "g", "ZGROUPMEMBER", MEMBER_COLUMNS)):
        if link in message_columns and "Z_PK" in db.columns(table):
            joins.append(f" LEFT JOIN {table} {alias} ON {alias}.Z_PK = m.{link}")
            selected += db.present(table, columns, alias)
    query = f"SELECT {', '.join(selected)} FROM ZWAMESSAGE m{''.join(joins)} ORDER BY m.ZMESSAGEDATE, m.Z_PK"
    for row in db.rows(query):
        # A column this version lacks is not selected: its key is missing, read as None.
        yield _record(dict(zip(row.keys(), row, strict=True)))


def _record(row: dict[str, Any]) -> Record:
    from_me = bool(row.get("ZISFROMME"))
    text, title = text_field(row.get("ZTEXT")), text_field(row.get("ZTITLE"))
    chat_jid, chat_name = text_field(row.get("ZCONTACTJID")), text_field(row.get("ZPARTNERNAME"))
    from_jid, to_jid, member_jid = text_field(row.get("ZFROMJID")), text_field(row.get("ZTOJID")), text_field(row.get("ZMEMBERJID"))
    sent_at = apple_time(row["message_date"])
    media_url = text_field(row.get("ZMEDIAURL"))
    partner = chat_name or jid_phone(chat_jid) or chat_jid or "(unknown chat)"
    if from_me:
        message = f"WhatsApp message to {partner}"
    else:
        sender = text_field(row.get("ZCONTACTNAME")) or text_field(row.get("ZPUSHNAME")) or jid_phone(member_jid or from_jid)
        message = f"WhatsApp message from {sender or partner}" + (f" in {partner}" if member_jid else "")
    body = text or title or (f"[media {media_url}]" if media_url else "")
    if body:
        message += f": {' '.join(body.split())[:200]}"
    jids = (chat_jid, from_jid, to_jid, member_jid)
    return Record(
        timestamp=sent_at,
        timestamp_desc="message sent" if from_me else "message received",
        message=message,
        fields={
            "message_id": row["message_id"],
            "chat_jid": chat_jid,
            "chat_name": chat_name,
            "is_group": bool(chat_jid and chat_jid.endswith("@g.us")),
            "session_type": row.get("ZSESSIONTYPE"),
            "from_me": from_me,
            "from_jid": from_jid,
            "to_jid": to_jid,
            "sender_jid": member_jid,
            "sender_name": text_field(row.get("ZCONTACTNAME")) or text_field(row.get("ZPUSHNAME")),
            "text": text,
            "message_type": row.get("ZMESSAGETYPE"),
            "message_status": row.get("ZMESSAGESTATUS"),
            "starred": flag(row.get("ZSTARRED")),
            "stanza_id": text_field(row.get("ZSTANZAID")),
            "date": iso_utc(sent_at),
            "date_raw": row["message_date"],
            "sent_date": iso_utc(apple_time(row.get("ZSENTDATE"))),
            "media_url": media_url,
            "media_local_path": text_field(row.get("ZMEDIALOCALPATH")),
            "media_title": title,
            "media_size": row.get("ZFILESIZE"),
        },
        observables=observables(*(("phone", jid_phone(jid)) for jid in jids), ("url", media_url),
                                *extract(text), *extract(title), *extract(text_field(row.get("ZVCARDSTRING")))),
    )
