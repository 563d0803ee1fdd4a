"""Size bounds applied to everything read from evidence. Evidence is hostile."""

from __future__ import annotations

MAX_PLIST_BYTES = 64 * 1024 * 1024
MAX_TEXT_BYTES = 256 * 1024 * 1024
MAX_LINE_CHARS = 64 * 1024
MAX_SQLITE_BYTES = 8 * 1024 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024
MAX_FIELD_CHARS = 64 * 1024          # a single text value kept in a record
MAX_ARCHIVE_DEPTH = 64               # nesting of NSKeyedArchiver objects resolved
