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
from kg.limits import Limits, read_regular_file
from kg.readers.base import Reader, ReaderOption
from kg.safe_rdf import load_rdf
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
    fmt = registry.rdf_syntax(syntax.name)
    target = None
    if not syntax.quads:
        target = ox.NamedNode(graph or path.resolve().as_uri())
    limits = Limits.from_env()
    # Regular files only, within the size limits, checked before any parser sees the bytes; the
    # parser then reads exactly the bytes that were checked.
    data = read_regular_file(path, limits.max_input_bytes)
    # A build writes into a fresh generation, so the bulk loader (no transaction, several times
    # faster on disk) is safe: a failure discards the whole generation.
    load_rdf(
        store.oxigraph,
        data,
        fmt,
        str(path),
        limits=limits,
        bulk=store.location != ":memory:",
        base_iri=path.resolve().as_uri(),
        to_graph=target,
    )


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
