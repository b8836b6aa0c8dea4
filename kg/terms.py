"""Conversions between pyoxigraph terms (the store) and rdflib terms (pySHACL, owlrl, exports)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:
    import rdflib

    from kg.storage.protocol import GraphStore


def to_rdflib(term: object) -> rdflib.term.Node:
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


def from_rdflib(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    import rdflib

    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def quiet_literal_warnings() -> None:
    """Drop rdflib's warning (with a traceback) for an ill-typed literal such as "2023-02-30"^^xsd:date.

    Such a literal is a SHACL violation, reported as one line; rdflib's log would print beside it.
    """
    import logging

    logger = logging.getLogger("rdflib.term")
    if not any(isinstance(f, _IllTypedLiteralFilter) for f in logger.filters):
        logger.addFilter(_IllTypedLiteralFilter())


class _IllTypedLiteralFilter:
    """Filters out rdflib.term's 'Failed to convert Literal lexical form to value' records."""

    def filter(self, record: object) -> bool:
        return not str(getattr(record, "msg", "")).startswith("Failed to convert Literal lexical form")


def union_graph(store: GraphStore) -> rdflib.Graph:
    """The union of all graphs of the store as an rdflib Graph (for pySHACL and owlrl)."""
    import rdflib

    quiet_literal_warnings()
    graph = rdflib.Graph()
    for triple in store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"):
        graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
    return graph
