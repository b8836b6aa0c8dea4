"""Readers that turn non-RDF inputs into kg statements, one module per kind (see `kg import`)."""

from __future__ import annotations

# kind -> module implementing it (imported only when that kind is used)
READERS: dict[str, str] = {
    "gdelt": "kg.readers.gdelt",
}
