"""Real SQLite databases built from the schema the OS writes, returned as file bytes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def build_sqlite(schema: str, rows: Mapping[str, Iterable[Mapping[str, Any] | tuple[Any, ...]]] | None = None,
                 populate: Callable[[sqlite3.Connection], None] | None = None) -> bytes:
    """Create a database from `schema` (SQL statements), insert `rows` per table, return its bytes.

    Rows given as dicts insert by column name; tuples insert positionally.
    """
    connection = sqlite3.connect(":memory:")
    connection.executescript(schema)
    for table, table_rows in (rows or {}).items():
        for row in table_rows:
            if isinstance(row, Mapping):
                columns = ", ".join(f'"{c}"' for c in row)
                marks = ", ".join("?" for _ in row)
                connection.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', tuple(row.values()))
            else:
                marks = ", ".join("?" for _ in row)
                connection.execute(f'INSERT INTO "{table}" VALUES ({marks})', tuple(row))
    if populate:
        populate(connection)
    connection.commit()
    data = connection.serialize()
    connection.close()
    return data
