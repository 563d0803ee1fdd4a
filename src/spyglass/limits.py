"""Size bounds applied to everything read from evidence. Evidence is hostile.

Every bound is here, in one place. A lab with a very large acquisition (or a smaller machine)
can override one for a run with an environment variable of its name prefixed SPYGLASS_, e.g.
SPYGLASS_MAX_TEXT_BYTES=536870912; the value must be a positive number, or it is ignored.
"""

from __future__ import annotations

import os

MAX_PLIST_BYTES = 64 * 1024 * 1024
MAX_TEXT_BYTES = 256 * 1024 * 1024
MAX_LINE_CHARS = 64 * 1024
# A file listing streamed item by item (androidqf files.json: about 280 bytes a file, so 1M files
# are 280 MB): the bound is on the bytes read, memory stays at a piece and one item.
MAX_LISTING_BYTES = 4 * 1024 * 1024 * 1024
MAX_LISTING_ITEM_CHARS = 1024 * 1024
# androidqf packages.json, streamed too, but every package is kept for the heuristics: bounded as
# the whole file was (a phone's few hundred packages are well under 1 MB; 40,000 are 35 MB).
MAX_PACKAGE_LIST_BYTES = 64 * 1024 * 1024
MAX_SQLITE_BYTES = 8 * 1024 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024
MAX_FIELD_CHARS = 64 * 1024          # a single text value kept in a record
MAX_ARCHIVE_DEPTH = 64               # nesting of NSKeyedArchiver objects resolved
MAX_PLIST_OBJECTS = 500_000          # objects one plist may hold (binary trailer count, XML elements)
MAX_ARCHIVE_NODES = 100_000          # values one NSKeyedArchiver unarchive may produce
MAX_RECORD_DEPTH = 8                 # nesting of a record's fields
MAX_RECORD_NODES = 10_000            # values (scalars and containers) one record's fields may hold
MAX_RECORD_CHARS = 1024 * 1024       # text and bytes one record's fields may hold, all together


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):   # Windows has no sysconf
        return None


_MEMORY = _physical_memory() or 16 * 1024 ** 3
# A database read into memory is held twice while SQLite takes its copy: a quarter of the
# machine's memory at most, so the largest one still fits in half of it.
MAX_SQLITE_BYTES = min(MAX_SQLITE_BYTES, _MEMORY // 4)
MAX_SQLITE_HEAP_BYTES = min(16 * 1024 ** 3, _MEMORY // 2)   # all of SQLite's memory (temp data included)
MAX_SQLITE_CACHE_KIB = 8 * 1024      # page cache of one connection (sorts past it spill: kept in memory)
MAX_SQLITE_VALUE_BYTES = 64 * 1024 * 1024   # one text or blob value (SQLITE_LIMIT_LENGTH)
MAX_SQLITE_SECONDS = 300.0           # one query's work budget, between two fetched batches
MAX_CONTAINER_MEMBERS = 5_000_000    # members one folder, tar or zip may list
MAX_TREE_DEPTH = 128                 # folders nested in a container
MAX_MODULE_RECORDS = 20_000_000      # records one module may yield in one check
MAX_MODULE_SECONDS = 1800.0          # time one module may take in one check
MAX_AGE_BYTES = min(4 * 1024 ** 3, _MEMORY // 4)   # an age-encrypted acquisition, decrypted in memory
MAX_AB_MEMBER_BYTES = 64 * 1024 * 1024   # an Android backup member held in memory to be read
MAX_AB_HELD_BYTES = min(1024 ** 3, _MEMORY // 8)   # all members of one Android backup held
MAX_AB_ROUNDS = 1_000_000            # PBKDF2 rounds an Android backup may ask for (Android uses 10,000)
# An archive inside an acquisition (androidqf's bugreport.zip) held in memory to be read; one level only.
MAX_NESTED_ARCHIVE_BYTES = MAX_AB_HELD_BYTES
MAX_LOG_RECORDS = 200_000            # records kept from one log file (a log of spam lines is a hostile one)



def _overridden() -> None:
    for name, value in list(globals().items()):
        if not name.startswith("MAX_") or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        text = os.environ.get(f"SPYGLASS_{name}", "").strip()
        try:
            wanted = type(value)(float(text)) if text else None
        except (ValueError, OverflowError):
            continue
        if wanted is not None and wanted > 0:
            globals()[name] = wanted


_overridden()
