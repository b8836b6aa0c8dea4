"""Export the store in any writable RDF format of the registry, or as a network file for Gephi."""

from __future__ import annotations

from typing import IO

import pyoxigraph as ox

from kg import formats as registry
from kg.namespaces import PREFIXES
from kg.storage.protocol import GraphStore

EXPORT_FORMATS = [*registry.names("rdf", writable=True), *registry.names("network")]


def export(store: GraphStore, fmt: str, stream: IO[bytes]) -> None:
    """Write the store in `fmt`: triple formats get the union of all graphs, quad formats every graph."""
    chosen = registry.find(fmt, "network") or registry.get(fmt, "rdf")
    if chosen.network_writer is not None:
        from kg.analysis.project import to_networkx

        chosen.network_writer(to_networkx(store), stream)
        return
    prefixes = PREFIXES if chosen.prefixes else None
    if chosen.quads:
        ox.serialize(sorted(store.quads(), key=str), stream, chosen.rdf, prefixes=prefixes)
    else:
        triples = sorted(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"), key=str)
        ox.serialize(triples, stream, chosen.rdf, prefixes=prefixes)
