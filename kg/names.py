"""The form names are matched in: case- and accent-insensitive (shared by describe, search, resolve)."""

from __future__ import annotations

import unicodedata


def normalize(text: str) -> str:
    """Case- and accent-insensitive form used for matching names (Keiō = keio)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()
