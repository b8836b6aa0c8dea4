"""Export the store in any writable RDF format of the registry, or as a network file for Gephi,
spreadsheets, Kumu or Flourish (kg.network_export)."""

from __future__ import annotations

from typing import IO

import pyoxigraph as ox

from kg import formats as registry
from kg.errors import ParameterError
from kg.namespaces import PREFIXES
from kg.storage.protocol import GraphStore

EXPORT_FORMATS = [*registry.names("rdf", writable=True), *registry.names("network")]


def export(store: GraphStore, fmt: str, stream: IO[bytes], *, dynamic: bool = False) -> None:
    """Write the store in `fmt`: triple formats get the union of all graphs, quad formats every graph,
    network formats every evidenced link of the entity graph (`dynamic`: GEXF with time spells)."""
    chosen = registry.find(fmt, "network") or registry.get(fmt, "rdf")
    if dynamic and chosen.name != "gexf":
        raise ParameterError("--dynamic applies to the gexf format only")
    if chosen.network_writer is not None:
        from kg.analysis.project import to_networkx

        if dynamic:
            from kg.network_export import write_gexf

            write_gexf(to_networkx(store), stream, dynamic=True)
        else:
            chosen.network_writer(to_networkx(store), stream)
        return
    prefixes = PREFIXES if chosen.prefixes else None
    if chosen.quads:
        ox.serialize(sorted(store.quads(), key=str), stream, chosen.rdf, prefixes=prefixes)
    else:
        triples = sorted(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"), key=str)
        ox.serialize(triples, stream, chosen.rdf, prefixes=prefixes)
