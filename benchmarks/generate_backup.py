"""Generate an iOS backup of a chosen size, in the real formats, for the benchmarks.

The content comes from the same builders as the tests (real sms.db, History.db,
DataUsage.sqlite schemas, real Manifest.db with MBFile blobs); a few Pegasus traces are
planted so matching does real work on every size.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.builders.ios_artifacts_core import (
    DATAUSAGE_SCHEMA,
    SAFARI_HISTORY_SCHEMA,
    apple_nanoseconds,
    apple_seconds,
    sms_schema,
)
from tests.builders.ios_backup import BackupBuilder, BackupFile
from tests.builders.sqlite import build_sqlite

START = datetime(2021, 1, 1, tzinfo=UTC)
HOSTS = ["www.example.org", "news.example.com", "mail.example.net", "shop.example.co.uk", "cdn.example.io"]
WORDS = ["the", "meeting", "is", "at", "noon", "see", "you", "there", "call", "me", "later", "thanks", "ok", "link", "photo", "tomorrow"]


def _sms_db(count: int, rng: random.Random) -> bytes:
    def populate(connection: sqlite3.Connection) -> None:
        connection.executemany("INSERT INTO handle (ROWID, id, service) VALUES (?, ?, ?)",
                               [(i, f"+4179{i:07d}", "iMessage") for i in range(1, 201)])
        rows = []
        for number in range(1, count + 1):
            text = " ".join(rng.choice(WORDS) for _ in range(8))
            if number % 10 == 0:
                text += f" https://{rng.choice(HOSTS)}/p/{number}"
            if number == count // 2:
                text += " https://bun54l2b67.get1tn0w.free247downloads.com:30495/0kapvg3dhu"  # Pegasus 2021
            moment = START + timedelta(minutes=number)
            rows.append((number, f"guid-{number}", text, number % 200 + 1, "iMessage",
                         apple_nanoseconds(moment), number % 3 == 0))
        connection.executemany("INSERT INTO message (ROWID, guid, text, handle_id, service, date, is_from_me) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        # Every message is in a chat, as on a phone: one conversation per handle.
        connection.executemany("INSERT INTO chat (ROWID, guid, chat_identifier, service_name) VALUES (?, ?, ?, ?)",
                               [(i, f"iMessage;-;+4179{i:07d}", f"+4179{i:07d}", "iMessage") for i in range(1, 201)])
        connection.executemany("INSERT INTO chat_message_join (chat_id, message_id, message_date) VALUES (?, ?, ?)",
                               [(row[3], row[0], row[5]) for row in rows])
    return build_sqlite(sms_schema(17), populate=populate)


def _history_db(count: int, rng: random.Random) -> bytes:
    def populate(connection: sqlite3.Connection) -> None:
        items = [(i, f"https://{rng.choice(HOSTS)}/page/{i}", 1, b"", 0, 1) for i in range(1, count // 4 + 2)]
        items.append((len(items) + 1, "https://urlpush.net/q", 1, b"", 0, 1))  # Pegasus 2021
        connection.executemany("INSERT INTO history_items (id, url, visit_count, daily_visit_counts, "
                               "should_recompute_derived_visit_counts, visit_count_score) VALUES (?, ?, ?, ?, ?, ?)",
                               items)
        visits = [(number, rng.randint(1, len(items)), apple_seconds(START + timedelta(seconds=number * 30)))
                  for number in range(1, count + 1)]
        connection.executemany("INSERT INTO history_visits (id, history_item, visit_time) VALUES (?, ?, ?)", visits)
    return build_sqlite(SAFARI_HISTORY_SCHEMA, populate=populate)


def _datausage_db(rng: random.Random) -> bytes:
    def populate(connection: sqlite3.Connection) -> None:
        names = ["mobilesafari", "nsurlsessiond", "WhatsApp", "bh", "Mail", "itunesstored"]
        connection.executemany(
            "INSERT INTO ZPROCESS (Z_PK, ZPROCNAME, ZFIRSTTIMESTAMP, ZTIMESTAMP) VALUES (?, ?, ?, ?)",
            [(i, name, apple_seconds(START), apple_seconds(START + timedelta(days=i))) for i, name in
             enumerate(names, start=1)])
        connection.executemany(
            "INSERT INTO ZLIVEUSAGE (Z_PK, ZHASPROCESS, ZTIMESTAMP, ZWIFIIN, ZWIFIOUT) VALUES (?, ?, ?, ?, ?)",
            [(i, rng.randint(1, len(names)), apple_seconds(START + timedelta(hours=i)), 100.0, 10.0)
             for i in range(1, 500)])
    return build_sqlite(DATAUSAGE_SCHEMA, populate=populate)


def generate(root: Path, messages: int, visits: int, manifest_rows: int, seed: int = 7) -> Path:
    """Write a backup with `messages` SMS/iMessages, `visits` Safari visits, `manifest_rows` Manifest rows."""
    rng = random.Random(seed)
    builder = BackupBuilder()
    builder.add_file("HomeDomain", "Library/SMS/sms.db", _sms_db(messages, rng))
    builder.add_file("HomeDomain", "Library/Safari/History.db", _history_db(visits, rng))
    builder.add_file("WirelessDomain", "Library/Databases/DataUsage.sqlite", _datausage_db(rng))
    domains = ["HomeDomain", "MediaDomain", "AppDomain-net.whatsapp.WhatsApp", "CameraRollDomain"]
    for number in range(max(0, manifest_rows - len(builder.files))):
        # Folder rows: the Manifest is full size without writing hundreds of thousands of blobs.
        builder.files.append(BackupFile(domains[number % 4], f"Media/DCIM/{number // 1000:03d}APPLE/{number:06d}",
                                        None, mode=0o40755))
    return builder.build(root)
