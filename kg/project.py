"""Project the knowledge graph onto a networkx graph: entities as nodes, relations as edges.

Literals become node attributes, rdf:type becomes the node's class, and only statements backed by
evidence become edges; the proposition inside a claim is never an edge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kg.namespaces import shorten
from kg.store import Store

if TYPE_CHECKING:
    import networkx as nx

_NODES = """
SELECT ?e (SAMPLE(?l) AS ?label) (SAMPLE(?c) AS ?class) (SAMPLE(?d) AS ?date) WHERE {
  ?e a ?c . ?c rdfs:subClassOf* kg:Entity .
  FILTER(STRSTARTS(STR(?c), STR(kg:)))
  FILTER NOT EXISTS { ?e a ?sub . ?sub rdfs:subClassOf+ ?c . FILTER(STRSTARTS(STR(?sub), STR(kg:))) }
  OPTIONAL { ?e rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en")) }
  OPTIONAL { ?e kg:date|kg:startDate ?d }
} GROUP BY ?e ORDER BY ?e
"""

_EDGES = """
SELECT ?s ?p ?o (SAMPLE(?pl) AS ?plabel) (GROUP_CONCAT(DISTINCT ?q; separator="\\n") AS ?quotes) WHERE {
  GRAPH ?g { ?s ?p ?o } ?g kg:quote ?q .
  FILTER(isIRI(?o) && ?p != rdf:type)
  ?s a ?sc . ?sc rdfs:subClassOf* kg:Entity .
  ?o a ?oc . ?oc rdfs:subClassOf* kg:Entity .
  OPTIONAL { ?p rdfs:label ?pl FILTER(LANGMATCHES(LANG(?pl), "en")) }
} GROUP BY ?s ?p ?o ORDER BY ?s ?p ?o
"""


def to_networkx(store: Store) -> nx.MultiDiGraph:
    """Entities as nodes (label, class, date), evidenced relations as edges (relation, label, quote)."""
    import networkx as nx

    graph = nx.MultiDiGraph()
    for row in store.query(_NODES):
        iri = row["e"].value
        graph.add_node(
            iri,
            label=row["label"].value if row["label"] else shorten(iri),
            kind=shorten(row["class"].value).removeprefix("kg:"),
            date=row["date"].value if row["date"] else "",
        )
    for row in store.query(_EDGES):
        source, target, predicate = row["s"].value, row["o"].value, row["p"].value
        graph.add_edge(
            source,
            target,
            key=predicate,
            relation=shorten(predicate),
            label=row["plabel"].value if row["plabel"] else shorten(predicate),
            quote=row["quotes"].value,
        )
    return graph



