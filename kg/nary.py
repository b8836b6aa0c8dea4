"""The second hop of `kg describe`: the n-ary nodes an entity takes part in, with their own facts."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from kg.describe import Fact, _term_text
from kg.namespaces import shorten
from kg.store import Store


@dataclass(frozen=True)
class NaryNode:
    """An n-ary node (event, ruling, claim, office term, poll result, dispute side) the entity takes
    part in, with the node's own facts: the second hop of a description."""

    iri: str
    label: str
    classes: tuple[str, ...]
    direction: str  # "in": the node points at the entity (a term's holder); "out": the entity points at it
    predicate: str
    predicate_label: str
    facts: tuple[Fact, ...]


# Classes whose instances are n-ary nodes: their facts belong to the entities they link.
NARY_CLASSES = ("kg:Event", "kg:Ruling", "kg:Claim", "kg:OfficeTerm", "kg:PollResult", "kg:DisputeSide")

_NODES = f"""
SELECT ?e ?node ?dir ?link ?linklabel ?nodelabel ?q ?v ?qlabel ?vlabel ?vshare
       (GROUP_CONCAT(DISTINCT ?quote; separator="\\u001f") AS ?quotes)
WHERE {{
  {{ ?e ?link ?node . BIND("out" AS ?dir) }} UNION {{ ?node ?link ?e . BIND("in" AS ?dir) }}
  FILTER(isIRI(?node) && ?node != ?e)
  FILTER EXISTS {{ ?node a ?class . ?class rdfs:subClassOf* ?nary . VALUES ?nary {{ {" ".join(NARY_CLASSES)} }} }}
  GRAPH ?g {{ ?node ?q ?v }}
  FILTER(?g != kgg:provenance)
  FILTER(?q NOT IN (rdf:type, rdfs:label, skos:prefLabel, skos:altLabel) && ?v != ?e)
  OPTIONAL {{ ?g kg:quote ?text }}
  OPTIONAL {{ ?g kg:support ?support FILTER(?support != kgc:stated) ?support rdfs:label ?supportLabel
              FILTER(LANGMATCHES(LANG(?supportLabel), "en")) }}
  BIND(IF(BOUND(?supportLabel), CONCAT(?text, " [", STR(?supportLabel), "]"), ?text) AS ?quote)
  OPTIONAL {{ ?link rdfs:label ?linklabel FILTER(LANGMATCHES(LANG(?linklabel), "en")) }}
  OPTIONAL {{ ?node rdfs:label ?nodelabel FILTER(LANGMATCHES(LANG(?nodelabel), "en")) }}
  OPTIONAL {{ ?q rdfs:label ?qlabel FILTER(LANGMATCHES(LANG(?qlabel), "en")) }}
  OPTIONAL {{ ?v rdfs:label ?vlabel FILTER(LANGMATCHES(LANG(?vlabel), "en")) }}
  OPTIONAL {{ ?v kg:share ?vshare }}
}}
GROUP BY ?e ?node ?dir ?link ?linklabel ?nodelabel ?q ?v ?qlabel ?vlabel ?vshare
ORDER BY ?node ?dir ?link ?qlabel STR(?v)
"""


def nary_nodes(store: Store, iri: str) -> list[NaryNode]:
    """The n-ary nodes linked to the entity `iri`, each with its own facts and their quotes (two hops)."""
    grouped: dict[tuple[str, str, str], dict[str, object]] = {}
    for row in store.query(_NODES, {ox.Variable("e"): ox.NamedNode(iri)}):
        key = (row["node"].value, row["dir"].value, row["link"].value)
        entry = grouped.setdefault(key, {
            "label": row["nodelabel"].value if row["nodelabel"] else shorten(key[0]),
            "link_label": row["linklabel"].value if row["linklabel"] else shorten(key[2]),
            "facts": {},
        })
        facts = entry["facts"]
        assert isinstance(facts, dict)
        fact_key = (row["q"].value, _term_text(row["v"]))
        if fact_key in facts:  # a label in several English variants
            continue
        quotes = tuple(sorted(row["quotes"].value.split("\x1f"))) if row["quotes"] and row["quotes"].value else ()
        value_label = row["vlabel"].value if row["vlabel"] else fact_key[1]
        if row["vshare"] is not None:  # a poll result: its share is the fact that matters
            value_label += f" ({float(row['vshare'].value):.0%})"
        facts[fact_key] = Fact(
            direction="out",
            predicate=row["q"].value,
            predicate_label=row["qlabel"].value if row["qlabel"] else shorten(row["q"].value),
            value=fact_key[1],
            value_label=value_label,
            quotes=quotes,
        )
    nodes = []
    for (node, direction, link), entry in grouped.items():
        classes = tuple(sorted(
            shorten(r["c"].value)
            for r in store.query("SELECT DISTINCT ?n ?c WHERE { ?n a ?c }", {ox.Variable("n"): ox.NamedNode(node)})
        ))
        facts = entry["facts"]
        assert isinstance(facts, dict)
        nodes.append(NaryNode(
            iri=node, label=str(entry["label"]), classes=classes, direction=direction, predicate=link,
            predicate_label=str(entry["link_label"]),
            facts=tuple(sorted(facts.values(), key=lambda f: (f.predicate_label, f.value))),
        ))
    return sorted(nodes, key=lambda n: (n.predicate_label, n.label))

