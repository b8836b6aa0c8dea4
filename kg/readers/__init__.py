"""Readers: every kind of input file kg loads, in one registry that `kg build` and `kg import` use.

The contract: a reader is a module ``kg/readers/NAME.py`` that defines ``READER = Reader(...)``
(`kg.readers.base.Reader`) and is listed once in `READER_MODULES` below. The entry says

* ``name`` — the KIND of ``kg import KIND FILE…``;
* ``summary`` and ``example`` — for the command's help;
* ``suffixes`` (and optionally ``sniff(path) -> bool``) — which files it reads: `kg build`
  picks a reader for each file, and inside folders, by these;
* ``load(store, path, options)`` — load one file into a writable embedded store (raise
  `kg.errors.InputFileError` naming the file and line on bad input) — *or* ``quads(path, options)``
  yielding `pyoxigraph.Quad`s that the registry adds;
* ``options`` — `ReaderOption`s, offered as ``kg import KIND --NAME VALUE`` and passed in
  ``options`` (a mapping of name to value, defaults filled in).

Keep heavy imports inside the functions. A failed load leaves the store as it was: readers write
into a new store generation that is swapped in only when every file loaded and validated.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path

from kg.errors import InputFileError
from kg.limits import check_regular_file
from kg.readers.base import Reader, ReaderOption

# One line per reader module (each defines READER).
READER_MODULES = (
    "kg.readers.rdf",
    "kg.readers.gdelt",
)

__all__ = ["READER_MODULES", "Reader", "ReaderOption", "expand_inputs", "get", "reader_for", "readers"]


@cache
def readers() -> dict[str, Reader]:
    """Every registered reader, by name, in registration order."""
    found: dict[str, Reader] = {}
    for module in READER_MODULES:
        reader: Reader = importlib.import_module(module).READER
        found[reader.name] = reader
    return found


def get(name: str) -> Reader:
    """The reader called `name`; KeyError naming the known ones."""
    known = readers()
    if name not in known:
        raise KeyError(f"no reader named {name!r} (known: {', '.join(known)})")
    return known[name]


def reader_for(path: Path) -> Reader:
    """The reader of a file, by suffix or content; InputFileError naming the known file types."""
    for reader in readers().values():
        if reader.claims(path):
            return reader
    known = ", ".join(sorted({s for r in readers().values() for s in r.suffixes}))
    raise InputFileError(str(path), f"unknown RDF file type {path.suffix!r}, and no reader claims it (known: {known})")


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files as given, and the files some reader reads inside given folders (sorted, recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if not p.is_dir() and _readable(p))
            if not found:
                raise InputFileError(str(path), "folder holds no files kg can read")
            for file in found:
                check_regular_file(file)
            files.extend(found)
        elif path.exists():
            check_regular_file(path)  # a FIFO, device or socket is refused here, before anything is opened
            files.append(path)
        else:
            raise InputFileError(str(path), "no such file or folder")
    return files


def _readable(path: Path) -> bool:
    return any(reader.claims(path) for reader in readers().values())
