"""Export the store as RDF (Turtle, N-Triples, N-Quads, TriG, JSON-LD), for Gephi (GraphML, GEXF)
or as CSV node and edge lists (kg.network_export)."""

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
NETWORK_EXPORTS = ("graphml", "gexf", "nodes-csv", "edges-csv")
EXPORT_FORMATS = [*RDF_EXPORTS, *NETWORK_EXPORTS]


def export(store: Store, fmt: str, stream: IO[bytes], *, dynamic: bool = False) -> None:
    """Write the store in `fmt`: triple formats get the union of all graphs, quad formats every graph,
    network formats the entity graph with every evidenced link (`dynamic`: GEXF with time spells)."""
    if fmt in NETWORK_EXPORTS:
        from kg import network_export
        from kg.project import entity_graph

        graph = entity_graph(store)
        if fmt == "gexf":
            network_export.write_gexf(graph, stream, dynamic=dynamic)
        else:
            writer = {"graphml": network_export.write_graphml, "nodes-csv": network_export.write_nodes_csv,
                      "edges-csv": network_export.write_edges_csv}[fmt]
            writer(graph, stream)
        return
    rdf_format = RDF_EXPORTS[fmt]
    if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
        quads = sorted(store.quads(), key=str)
        ox.serialize(quads, stream, rdf_format, prefixes=PREFIXES if fmt == "trig" else None)
    else:
        triples = sorted(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"), key=str)
        ox.serialize(triples, stream, rdf_format, prefixes=PREFIXES if fmt == "turtle" else None)
