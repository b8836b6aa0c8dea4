"""Export the store as RDF (Turtle, N-Triples, N-Quads, TriG, JSON-LD) or for Gephi (GraphML, GEXF)."""

from __future__ import annotations

from typing import IO

import pyoxigraph as ox

from kg.namespaces import PREFIXES
from kg.store import Store

RDF_EXPORTS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}
NETWORK_EXPORTS = ("graphml", "gexf")
EXPORT_FORMATS = [*RDF_EXPORTS, *NETWORK_EXPORTS]


def export(store: Store, fmt: str, stream: IO[bytes]) -> None:
    """Write the store in `fmt`: triple formats get the union of all graphs, quad formats every graph."""
    if fmt in NETWORK_EXPORTS:
        import networkx as nx

        from kg.project import to_networkx

        graph = nx.DiGraph(to_networkx(store)) if fmt == "gexf" else to_networkx(store)
        writer = nx.write_graphml if fmt == "graphml" else nx.write_gexf
        writer(graph, stream)
        return
    rdf_format = RDF_EXPORTS[fmt]
    if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        quads = sorted(store.quads(), key=str)
        ox.serialize(quads, stream, rdf_format, prefixes=PREFIXES if fmt == "trig" else None)
    else:
        triples = sorted(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"), key=str)
        ox.serialize(triples, stream, rdf_format, prefixes=PREFIXES if fmt == "turtle" else None)
