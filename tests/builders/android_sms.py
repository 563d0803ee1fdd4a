"""The telephony provider's message backups, as AOSP TelephonyBackupAgent writes them: a JSON
list of messages (values mostly strings), deflated with zlib, stored in an .ab under
apps/com.android.providers.telephony/d_f/NNNNNN_{sms,mms}_backup. The examples follow the
agent's own documented ones (its class comment)."""

from __future__ import annotations

import json
import zlib
from typing import Any

TELEPHONY = "apps/com.android.providers.telephony/d_f"
SMS_MEMBER = f"{TELEPHONY}/000000_sms_backup"
MMS_MEMBER = f"{TELEPHONY}/000001_mms_backup"

SMS = [
    {"self_phone": "+14155550100", "address": "+1 415 555 0123",
     "body": "Your parcel is held: https://track-parcel.example.org/x?id=7 now", "date": "1719828000000",
     "date_sent": "1719827995000", "status": "-1", "type": "1"},
    {"self_phone": "+14155550100", "address": "+14155550123", "body": "ok thanks", "date": "1719828060000",
     "date_sent": "0", "status": "-1", "type": "2"},
]
MMS = [
    {"self_phone": "+14155550100", "sub": "Photos", "date": "1719828120", "date_sent": "0", "m_type": "132",
     "v": "17", "msg_box": "1", "ct_l": "http://mms.carrier.example.net/servlets/NOK5BB",
     "mms_addresses": [{"type": 137, "address": "+14155550199", "charset": 106},
                       {"type": 151, "address": "+14155550100", "charset": 106}],
     "mms_body": "see evil-domain.com", "mms_charset": 106, "sub_cs": "106"},
]


def message_backup(messages: list[Any] | Any) -> bytes:
    """One NNNNNN_*_backup file: the JSON list, deflated as DeflaterOutputStream does (zlib)."""
    return zlib.compress(json.dumps(messages).encode())
