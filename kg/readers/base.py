"""What a reader is: the declarative entry that `kg/readers/__init__.py` registers (see there)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.storage.embedded import Store


@dataclass(frozen=True)
class ReaderOption:
    """One option of a reader, offered as `kg import KIND --NAME VALUE` (or a flag for bool)."""

    name: str
    help: str
    type: type = str  # str, int, float or bool
    default: Any = None


@dataclass(frozen=True)
class Reader:
    """A kind of input file kg can load.

    Give `load` (load a file into a writable store yourself, e.g. with the bulk loader) or `quads`
    (yield the file's quads; the registry adds them to the store), not both.
    """

    name: str  # `kg import NAME FILE…`
    summary: str  # one line: what files, what comes out
    suffixes: tuple[str, ...] = ()  # lower-case file suffixes this reader claims (build's folder scan)
    sniff: Callable[[Path], bool] | None = None  # optional: does this file belong to this reader?
    load: Callable[[Store, Path, Mapping[str, Any]], None] | None = None
    quads: Callable[[Path, Mapping[str, Any]], Iterable[ox.Quad]] | None = None
    options: tuple[ReaderOption, ...] = ()
    example: str = ""  # an example command line for help texts

    def claims(self, path: Path) -> bool:
        """Whether this reader reads `path`: by suffix, then by sniffing the content if it can."""
        if path.suffix.lower() in self.suffixes:
            return True
        return bool(self.sniff and path.is_file() and self.sniff(path))

    def read_into(self, store: Store, path: Path, options: Mapping[str, Any] | None = None) -> None:
        """Load one file into a writable store, with this reader's defaults for unset options."""
        given = {o.name: o.default for o in self.options} | dict(options or {})
        if self.load is not None:
            self.load(store, path, given)
        elif self.quads is not None:
            store.oxigraph.extend(self.quads(path, given))
        else:
            raise TypeError(f"reader {self.name} has neither load nor quads")
