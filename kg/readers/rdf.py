"""RDF files (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML, N3): the first reader.

The syntax comes from the file suffix, through the format registry (`kg.formats`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import formats as registry
from kg.errors import InputFileError
from kg.readers.base import Reader, ReaderOption
from kg.storage.embedded import Store


def rdf_format(path: Path) -> registry.Format:
    """The RDF syntax of a file by its suffix; InputFileError naming the known suffixes."""
    fmt = registry.rdf_for_path(path)
    if fmt is None:
        known = ", ".join(sorted(registry.rdf_suffixes()))
        raise InputFileError(str(path), f"unknown RDF file type {path.suffix!r} (known: {known})")
    return fmt


def load_file(store: Store, path: Path, graph: str | None = None) -> None:
    """Load one RDF file; triples of triple formats go to `graph` (default: the file's IRI).

    Errors name the file, line and column.
    """
    syntax = rdf_format(path)
    fmt = syntax.rdf
    target = None
    if not syntax.quads:
        target = ox.NamedNode(graph or path.resolve().as_uri())
    try:
        path.stat()  # a missing file fails here, with its name
        # A build writes into a fresh generation, so the bulk loader (no transaction, several
        # times faster on disk) is safe: a failure discards the whole generation.
        loader = store.oxigraph.load if store.location == ":memory:" else store.oxigraph.bulk_load
        loader(path=str(path), format=fmt, base_iri=path.resolve().as_uri(), to_graph=target)
    except SyntaxError as error:
        raise InputFileError(str(path), _parser_message(error), error.lineno, error.offset) from None
    except PermissionError:
        raise InputFileError(str(path), "permission denied") from None
    except IsADirectoryError:
        raise InputFileError(str(path), "is a folder, not a file") from None
    except OSError as error:
        raise InputFileError(str(path), error.strerror or str(error)) from None
    except ValueError as error:
        raise InputFileError(str(path), str(error)) from None


def _parser_message(error: SyntaxError) -> str:
    """Oxigraph says 'Parser error at line 3 between columns 6 and 11: msg'; keep the msg."""
    message = str(error.msg if error.msg else error)
    head, sep, tail = message.partition(": ")
    return tail if sep and head.startswith("Parser error") else message


def _load(store: Store, path: Path, options: Mapping[str, Any]) -> None:
    load_file(store, path, graph=options.get("graph"))


READER = Reader(
    name="rdf",
    summary="RDF files: Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML, N3 (by file suffix).",
    suffixes=tuple(registry.rdf_suffixes()),
    load=_load,
    options=(ReaderOption("graph", "Named graph for the triples of triple formats (default: the file's IRI)."),),
    example="kg import rdf my-notes.trig",
)
