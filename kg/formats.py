"""The format registry: every file and wire format kg reads or writes, in one table.

Each `Format` has a name (what `--format` takes), its kind, its media types (the first is the
one kg sends), its file suffixes (the first is the one kg writes) and how it is read or written:

* ``rdf``: RDF syntaxes (pyoxigraph `RdfFormat`); `quads` ones keep named graphs.
* ``results``: SPARQL query results (pyoxigraph `QueryResultsFormat`).
* ``network``: graph files for Gephi and friends, written from a networkx graph.
* ``rows``: records for people and scripts (table, CSV, JSON arrays).

Everything that chooses a format reads this table: the CLI's ``--format`` choices, `kg export`,
`kg query`, the build's file detection, the endpoint's content negotiation and the remote store.
Adding a format is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import pyoxigraph as ox

Kind = Literal["rdf", "results", "network", "rows"]
W3C_FORMATS = "http://www.w3.org/ns/formats/"


def _network_writer(name: str) -> Callable[[Any, IO[bytes]], None]:
    """A writer of kg.network_export, imported only when a network is written."""

    def write(graph: Any, stream: IO[bytes]) -> None:
        from kg import network_export

        getattr(network_export, name)(graph, stream)

    return write


@dataclass(frozen=True)
class Format:
    """One format: its name, kind, media types, file suffixes and engine."""

    name: str
    kind: Kind
    label: str
    media_types: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    rdf: ox.RdfFormat | None = None
    results: ox.QueryResultsFormat | None = None
    network_writer: Callable[[Any, IO[bytes]], None] | None = None
    quads: bool = False  # an RDF syntax that keeps named graphs
    writable: bool = True
    prefixes: bool = False  # written with kg's prefixes
    w3c: str = ""  # local name under http://www.w3.org/ns/formats/ (service descriptions)
    aliases: tuple[str, ...] = ()  # other names accepted in ?format= and file types

    @property
    def media_type(self) -> str:
        return self.media_types[0] if self.media_types else "text/plain"


FORMATS: tuple[Format, ...] = (
    # RDF syntaxes
    Format(
        "turtle",
        "rdf",
        "Turtle",
        ("text/turtle", "application/x-turtle"),
        (".ttl",),
        rdf=ox.RdfFormat.TURTLE,
        prefixes=True,
        w3c="Turtle",
        aliases=("ttl",),
    ),
    Format(
        "ntriples",
        "rdf",
        "N-Triples",
        ("application/n-triples", "text/plain"),
        (".nt",),
        rdf=ox.RdfFormat.N_TRIPLES,
        w3c="N-Triples",
        aliases=("nt",),
    ),
    Format(
        "nquads",
        "rdf",
        "N-Quads",
        ("application/n-quads",),
        (".nq",),
        rdf=ox.RdfFormat.N_QUADS,
        quads=True,
        w3c="N-Quads",
        aliases=("nq",),
    ),
    Format(
        "trig",
        "rdf",
        "TriG",
        ("application/trig",),
        (".trig",),
        rdf=ox.RdfFormat.TRIG,
        quads=True,
        prefixes=True,
        w3c="TriG",
    ),
    Format(
        "jsonld",
        "rdf",
        "JSON-LD",
        ("application/ld+json",),
        (".jsonld", ".json"),
        rdf=ox.RdfFormat.JSON_LD,
        w3c="JSON-LD",
        aliases=("json-ld",),
    ),
    Format(
        "rdfxml",
        "rdf",
        "RDF/XML",
        ("application/rdf+xml",),
        (".rdf", ".owl", ".xml"),
        rdf=ox.RdfFormat.RDF_XML,
        w3c="RDF_XML",
        aliases=("rdf", "xml-rdf"),
    ),
    Format("n3", "rdf", "N3", ("text/n3",), (".n3",), rdf=ox.RdfFormat.N3, writable=False, w3c="N3"),
    # SPARQL results
    Format(
        "json",
        "results",
        "SPARQL results JSON",
        ("application/sparql-results+json", "application/json"),
        (".srj", ".json"),
        results=ox.QueryResultsFormat.JSON,
        w3c="SPARQL_Results_JSON",
    ),
    Format(
        "xml",
        "results",
        "SPARQL results XML",
        ("application/sparql-results+xml",),
        (".srx", ".xml"),
        results=ox.QueryResultsFormat.XML,
        w3c="SPARQL_Results_XML",
    ),
    Format(
        "csv",
        "results",
        "SPARQL results CSV",
        ("text/csv",),
        (".csv",),
        results=ox.QueryResultsFormat.CSV,
        w3c="SPARQL_Results_CSV",
    ),
    Format(
        "tsv",
        "results",
        "SPARQL results TSV",
        ("text/tab-separated-values",),
        (".tsv",),
        results=ox.QueryResultsFormat.TSV,
        w3c="SPARQL_Results_TSV",
    ),
    # Networks
    Format(
        "graphml",
        "network",
        "GraphML",
        ("application/graphml+xml",),
        (".graphml",),
        network_writer=_network_writer("write_graphml"),
    ),
    Format(
        "gexf",
        "network",
        "GEXF 1.3",
        ("application/gexf+xml",),
        (".gexf",),
        network_writer=_network_writer("write_gexf"),
    ),
    Format(
        "nodes-csv",
        "network",
        "node list (CSV)",
        ("text/csv",),
        (".nodes.csv",),
        network_writer=_network_writer("write_nodes_csv"),
    ),
    Format(
        "edges-csv",
        "network",
        "edge list (CSV)",
        ("text/csv",),
        (".edges.csv",),
        network_writer=_network_writer("write_edges_csv"),
    ),
    # Records
    Format("table", "rows", "aligned columns", ("text/plain",), (".txt",)),
    Format("csv", "rows", "CSV", ("text/csv",), (".csv",)),
    Format("json", "rows", "JSON array", ("application/json",), (".json",)),
)


def formats(kind: Kind, *, writable: bool | None = None, quads: bool | None = None) -> list[Format]:
    """The formats of a kind, in table order, optionally only writable or only triple/quad ones."""
    return [
        f
        for f in FORMATS
        if f.kind == kind and (writable is None or f.writable == writable) and (quads is None or f.quads == quads)
    ]


def names(kind: Kind, **filters: bool | None) -> list[str]:
    """Names of the formats of a kind (for `--format` choices)."""
    return [f.name for f in formats(kind, **filters)]


def get(name: str, kind: Kind) -> Format:
    """The format of this kind called `name` (or one of its aliases); KeyError if none."""
    wanted = name.lower()
    for fmt in FORMATS:
        if fmt.kind == kind and (fmt.name == wanted or wanted in fmt.aliases):
            return fmt
    raise KeyError(f"no {kind} format named {name!r} (known: {', '.join(names(kind))})")


def find(name: str, kind: Kind) -> Format | None:
    """Like `get`, None when there is no such format."""
    try:
        return get(name, kind)
    except KeyError:
        return None


def by_media_type(media_type: str, kind: Kind) -> Format | None:
    """The format of this kind with this media type (parameters such as charset ignored)."""
    media = media_type.split(";", 1)[0].strip().lower()
    return next((f for f in FORMATS if f.kind == kind and media in f.media_types), None)


def rdf_suffixes() -> dict[str, Format]:
    """File suffix → RDF syntax, for reading files."""
    table: dict[str, Format] = {}
    for fmt in formats("rdf"):
        for suffix in fmt.suffixes:
            table.setdefault(suffix, fmt)
    return table


def rdf_for_path(path: Path) -> Format | None:
    """The RDF syntax of a file, by its suffix (None if kg does not know it)."""
    return rdf_suffixes().get(path.suffix.lower())


def rdf_syntax(name: str) -> ox.RdfFormat:
    """The pyoxigraph RdfFormat of the RDF format called `name` (KeyError if there is none)."""
    found = get(name, "rdf").rdf
    if found is None:
        raise KeyError(f"{name} has no RDF syntax")
    return found
