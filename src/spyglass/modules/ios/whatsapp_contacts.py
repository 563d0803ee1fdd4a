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
from spyglass.modules.ios.whatsapp import jid_phone
from spyglass.records import Record, observables, text_field

ARTIFACT = Artifact(
    name="whatsapp_contacts",
    description="WhatsApp contacts",
    paths=('/private/var/mobile/Containers/Shared/AppGroup/{group.net.whatsapp.WhatsApp.shared}/ContactsV2.sqlite',
           '/private/var/mobile/Containers/Shared/AppGroup/{group.net.whatsapp.WhatsAppSMB.shared}/ContactsV2.sqlite'),
    tables={"ZWAADDRESSBOOKCONTACT": {"Z_PK"}},
    os_versions="iOS 12-18",
)

COLUMNS = ("ZFULLNAME", "ZGIVENNAME", "ZBUSINESSNAME", "ZPHONENUMBER", "ZPHONENUMBERLABEL", "ZWHATSAPPID", "ZLID",
           "ZABOUTTEXT", "ZABOUTTIMESTAMP", "ZUSERNAME", "ZIDENTIFIER")


def parse(file: EvidenceFile) -> Iterator[Record]:
    db = file.sqlite()
    present = db.columns("ZWAADDRESSBOOKCONTACT")
    selected = ", ".join(c if c in present else f"NULL AS {c}" for c in COLUMNS)
    for row in db.rows(f"SELECT Z_PK, {selected} FROM ZWAADDRESSBOOKCONTACT ORDER BY Z_PK"):
        name = text_field(row["ZFULLNAME"]) or text_field(row["ZGIVENNAME"]) or text_field(row["ZBUSINESSNAME"])
        number, whatsapp_id = text_field(row["ZPHONENUMBER"]), text_field(row["ZWHATSAPPID"])
        about = text_field(row["ZABOUTTEXT"])
        account = jid_phone(whatsapp_id)
        label = number or account or whatsapp_id or "(no number)"
        yield Record(
            timestamp=None,
            timestamp_desc="",
            message=f"WhatsApp contact {name or '(no name)'} {label}" + (" (on WhatsApp)" if whatsapp_id else ""),
            fields={
                "contact_id": row["Z_PK"],
                "name": name,
                "business_name": text_field(row["ZBUSINESSNAME"]),
                "phone_number": number,
                "phone_label": text_field(row["ZPHONENUMBERLABEL"]),
                "whatsapp_id": whatsapp_id,
                "lid": text_field(row["ZLID"]),
                "username": text_field(row["ZUSERNAME"]),
                "about": about,
                "about_timestamp_raw": row["ZABOUTTIMESTAMP"],
                "address_book_identifier": text_field(row["ZIDENTIFIER"]),
            },
            observables=observables(("phone", number), ("phone", account), *extract(about)),
        )




