"""Where the graph lives: a `Location` (a store folder or a SPARQL server URL), decided once.

`Location.parse()` turns a ``--store`` value (or KG_STORE, or nothing: the user's data folder)
into a Location; `open_store()` opens it for reading and `writable()` yields a store to build
into, made live only if the block succeeds. No other module asks "folder or server?".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.errors import StoreError
from kg.storage.protocol import GraphStore


def default_store_path() -> Path:
    """The store used when neither --store nor KG_STORE is given: under the user's data folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir("kg", appauthor=False)) / "store"


def default_demo_store_path() -> Path:
    """Where `kg demo` builds: its own folder beside the default store, never the user's store."""
    return default_store_path().parent / "demo"


def is_remote(location: object) -> bool:
    """Whether a --store value names a SPARQL endpoint (http:// or https://) rather than a folder."""
    return isinstance(location, str) and location.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class Location:
    """A store folder (`path`) or the query URL of a SPARQL server (`url`); exactly one is set."""

    path: Path | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.url is None):
            raise ValueError("a Location is a folder or a URL")

    @classmethod
    def parse(cls, value: str | Path | Location | None) -> Location:
        """A --store value: an http(s) URL, a folder, or None for the default folder."""
        if isinstance(value, Location):
            return value
        if value is None or value == "":
            return cls(path=default_store_path())
        if isinstance(value, Path):
            return cls(path=value)
        if is_remote(value):
            return cls(url=value)
        if "://" in value:
            raise StoreError(f"--store {value}: a store is a folder or an http(s):// SPARQL endpoint URL")
        return cls(path=Path(value))

    @property
    def is_remote(self) -> bool:
        return self.url is not None

    @property
    def folder(self) -> Path:
        """The store folder; StoreError for a server."""
        if self.path is None:
            raise StoreError(f"{self.url}: a SPARQL server, not a store folder")
        return self.path

    def __str__(self) -> str:
        return self.url if self.url is not None else str(self.path)


def open_store(location: Location | str | Path | None) -> GraphStore:
    """Open a built store read-only: the live generation of a folder, or a SPARQL server holding a build."""
    where = Location.parse(location)
    if where.url is not None:
        from kg.storage.remote import open_remote

        return open_remote(where.url)
    from kg.storage.embedded import open_folder

    return open_folder(where.folder)


@contextlib.contextmanager
def writable(location: Location | str | Path | None, *, copy_current: bool = False) -> Iterator[tuple[Any, Path]]:
    """Yield (a writable embedded store, a scratch folder for build.json) that replaces the store at
    `location` only if the block succeeds; on any exception the store is left exactly as it was.

    For a folder that is a new generation; for a server, an in-memory store uploaded and swapped in.
    """
    where = Location.parse(location)
    if where.url is not None:
        from kg.storage.publish import remote_generation

        with remote_generation(where.url, copy_current=copy_current) as target:
            yield target
    else:
        from kg.storage.embedded import new_generation

        with new_generation(where.folder, copy_current=copy_current) as target:
            yield target
