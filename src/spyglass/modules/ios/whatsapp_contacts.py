"""WhatsApp contacts (ContactsV2.sqlite): address book entries WhatsApp matched to accounts.

Reads:   AppDomainGroup-group.net.whatsapp.WhatsApp.shared ContactsV2.sqlite (WhatsApp
         Business: group.net.whatsapp.WhatsAppSMB.shared). ZWAADDRESSBOOKCONTACT: ZFULLNAME,
         ZGIVENNAME, ZBUSINESSNAME, ZPHONENUMBER (as written in the address book),
         ZPHONENUMBERLABEL, ZWHATSAPPID (<digits>@s.whatsapp.net), ZLID, ZABOUTTEXT,
         ZABOUTTIMESTAMP, ZUSERNAME. Columns absent from older WhatsApp versions read as empty.
Yields:  one record per contact, with no time of its own; phone observables for the address
         book number and the WhatsApp account, plus what the extractor finds in the About text.
Seen:    WhatsApp 2.19-2.25, iOS 12-18.
"""

from __future__ import annotations

from collections.abc import Iterator

from spyglass.acquisitions.base import EvidenceFile
from spyglass.extract import extract
from spyglass.modules import Artifact
from spyglass.modules.ios._shared import jid_phone, whatsapp_paths
from spyglass.records import Record, observables, text_field

ARTIFACT = Artifact(
    name="whatsapp_contacts",
    description="WhatsApp contacts",
    paths=whatsapp_paths("ContactsV2.sqlite"),
    tables={"ZWAADDRESSBOOKCONTACT": {"Z_PK"}},
    os_versions="iOS 12-18",
)

COLUMNS = ("ZFULLNAME", "ZGIVENNAME", "ZBUSINESSNAME", "ZPHONENUMBER", "ZPHONENUMBERLABEL", "ZWHATSAPPID", "ZLID",
           "ZABOUTTEXT", "ZABOUTTIMESTAMP", "ZUSERNAME", "ZIDENTIFIER")


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    selected = ", ".join(["Z_PK", *db.present("ZWAADDRESSBOOKCONTACT", COLUMNS)])
    # A column this version lacks is not selected: its key is missing, read as None.
    for row in map(dict, db.rows(f"SELECT {selected} FROM ZWAADDRESSBOOKCONTACT ORDER BY Z_PK")):
        name = text_field(row.get("ZFULLNAME")) or text_field(row.get("ZGIVENNAME")) or text_field(row.get("ZBUSINESSNAME"))
        number, whatsapp_id = text_field(row.get("ZPHONENUMBER")), text_field(row.get("ZWHATSAPPID"))
        about = text_field(row.get("ZABOUTTEXT"))
        account = jid_phone(whatsapp_id)
        label = number or account or whatsapp_id or "(no number)"
        yield Record(
            timestamp=None,
            timestamp_desc="",
            message=f"WhatsApp contact {name or '(no name)'} {label}" + (" (on WhatsApp)" if whatsapp_id else ""),
            fields={
                "contact_id": row["Z_PK"],
                "name": name,
                "business_name": text_field(row.get("ZBUSINESSNAME")),
                "phone_number": number,
                "phone_label": text_field(row.get("ZPHONENUMBERLABEL")),
                "whatsapp_id": whatsapp_id,
                "lid": text_field(row.get("ZLID")),
                "username": text_field(row.get("ZUSERNAME")),
                "about": about,
                "about_timestamp_raw": row.get("ZABOUTTIMESTAMP"),
                "address_book_identifier": text_field(row.get("ZIDENTIFIER")),
            },
            observables=observables(("phone", number), ("phone", account), *extract(about)),
        )
