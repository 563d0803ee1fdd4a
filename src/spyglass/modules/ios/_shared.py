"""Values several iOS modules read the same way: declared once here.

Not a module (the leading underscore keeps it out of discovery).
"""

from __future__ import annotations

from spyglass.records import Observable, observables

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
