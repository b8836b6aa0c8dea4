"""Readers: files in other formats turned into kg statements, one module per reader.

The registry maps a reader's name to its module (imported only when used).
"""

from __future__ import annotations

READERS: dict[str, str] = {
    "factsheet": "kg.readers.factsheet",
}
