"""Size bounds applied to everything read from evidence. Evidence is hostile."""

from __future__ import annotations

MAX_PLIST_BYTES = 64 * 1024 * 1024
MAX_TEXT_BYTES = 256 * 1024 * 1024
MAX_LINE_CHARS = 64 * 1024
MAX_SQLITE_BYTES = 8 * 1024 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024
MAX_FIELD_CHARS = 64 * 1024          # a single text value kept in a record
MAX_ARCHIVE_DEPTH = 64               # nesting of NSKeyedArchiver objects resolved
MAX_PLIST_OBJECTS = 500_000          # objects one plist may hold (binary trailer count, XML elements)
MAX_ARCHIVE_NODES = 100_000          # values one NSKeyedArchiver unarchive may produce
MAX_RECORD_DEPTH = 8                 # nesting of a record's fields
MAX_RECORD_NODES = 10_000            # values (scalars and containers) one record's fields may hold
MAX_RECORD_CHARS = 1024 * 1024       # text and bytes one record's fields may hold, all together
