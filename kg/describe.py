"""Find entities by label or alias in any language, and describe them with their evidence."""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.errors import UnknownEntityError
from kg.namespaces import PREFIXES, shorten
from kg.store import Store

_LABELS = """
SELECT DISTINCT ?entity ?label WHERE {
  ?entity rdfs:label|skos:prefLabel|skos:altLabel ?label .
  ?entity a ?class . ?class rdfs:subClassOf* kg:Entity .
}"""


@dataclass(frozen=True)
class EntityRef:
    iri: str
    label: str


def normalize(text: str) -> str:
    """Case- and accent-insensitive form used for matching names (Keiō = keio)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def entity_labels(store: Store) -> dict[str, list[str]]:
    """Every label and alias of every entity, by entity IRI."""
    labels: dict[str, list[str]] = {}
    for row in store.query(_LABELS):
        labels.setdefault(row["entity"].value, []).append(row["label"].value)
    return labels


def preferred_label(store: Store, iri: str) -> str:
    rows = list(
        store.query(
            "SELECT ?e ?l WHERE { ?e rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), 'en') || LANG(?l) = '') }"
            " ORDER BY ?l LIMIT 1",
            {ox.Variable("e"): ox.NamedNode(iri)},
        )
    )
    return rows[0]["l"].value if rows else shorten(iri)


def find_entity(store: Store, name: str) -> EntityRef:
    """The one entity whose label or alias is `name` (case- and accent-insensitive), or an IRI/CURIE.

    Raises UnknownEntityError with suggestions when nothing or several entities match.
    """
    iri = _as_iri(name)
    if iri is not None and store.query(
        "ASK { ?e a ?class . ?class rdfs:subClassOf* kg:Entity }", {ox.Variable("e"): ox.NamedNode(iri)}
    ):
        return EntityRef(iri, preferred_label(store, iri))
    labels = entity_labels(store)
    wanted = normalize(name)
    exact = sorted({e for e, names in labels.items() if any(normalize(n) == wanted for n in names)})
    if len(exact) == 1:
        return EntityRef(exact[0], preferred_label(store, exact[0]))
    if len(exact) > 1:
        options = [f"{preferred_label(store, e)} ({shorten(e)})" for e in exact]
        raise UnknownEntityError(f"{name!r} is ambiguous", options)
    raise UnknownEntityError(f"no entity is called {name!r}", _suggestions(store, labels, wanted))


def _as_iri(name: str) -> str | None:
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    if name.startswith(("http://", "https://", "urn:")):
        return name
    prefix, colon, local = name.partition(":")
    if colon and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    return None


def _suggestions(store: Store, labels: dict[str, list[str]], wanted: str) -> list[str]:
    by_name: dict[str, str] = {}
    for entity, names in labels.items():
        for n in names:
            by_name.setdefault(normalize(n), entity)
    contains = [n for n in by_name if wanted and wanted in n]
    close = difflib.get_close_matches(wanted, list(by_name), n=5, cutoff=0.6)
    picked: list[str] = []
    for n in sorted(contains, key=len)[:5] + close:
        label = preferred_label(store, by_name[n])
        if label not in picked:
            picked.append(label)
    return picked[:5]


@dataclass(frozen=True)
class Fact:
    """One statement about an entity, with the quotes that support it."""

    direction: str  # "out": entity is the subject; "in": entity is the object
    predicate: str
    predicate_label: str
    value: str
    value_label: str
    quotes: tuple[str, ...]


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


@dataclass
class EntityDescription:
    iri: str
    label: str
    classes: list[str]
    labels: list[tuple[str, str]]  # (text, language)
    facts: list[Fact] = field(default_factory=list)
    nodes: list[NaryNode] = field(default_factory=list)


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


_FACTS = """
SELECT ?e ?dir ?p ?o ?plabel ?olabel (GROUP_CONCAT(DISTINCT ?quote; separator="\\u001f") AS ?quotes)
WHERE {
  {
    BIND("out" AS ?dir)
    GRAPH ?g { ?e ?p ?o }
  } UNION {
    BIND("in" AS ?dir)
    GRAPH ?g { ?o ?p ?e }
  }
  FILTER(?p NOT IN (rdf:type, rdfs:label, skos:prefLabel, skos:altLabel))
  FILTER(?g != kgg:provenance)
  OPTIONAL { ?g kg:quote ?text }
  OPTIONAL { ?g kg:support ?support FILTER(?support != kgc:stated) ?support rdfs:label ?supportLabel
             FILTER(LANGMATCHES(LANG(?supportLabel), "en")) }
  BIND(IF(BOUND(?supportLabel), CONCAT(?text, " [", STR(?supportLabel), "]"), ?text) AS ?quote)
  OPTIONAL { ?p rdfs:label ?plabel FILTER(LANGMATCHES(LANG(?plabel), "en")) }
  OPTIONAL { ?o rdfs:label ?olabel FILTER(LANGMATCHES(LANG(?olabel), "en")) }
}
GROUP BY ?e ?dir ?p ?o ?plabel ?olabel
ORDER BY DESC(?dir) ?plabel ?olabel STR(?o)
"""


def describe(store: Store, name: str) -> EntityDescription:
    """Everything the graph says about one entity, each fact with its evidence quotes."""
    entity = find_entity(store, name)
    node = {ox.Variable("e"): ox.NamedNode(entity.iri)}
    classes = sorted(
        shorten(r["c"].value)
        for r in store.query("SELECT DISTINCT ?e ?c WHERE { ?e a ?c }", node)
    )
    labels = sorted(
        {
            (r["l"].value, r["l"].language or "")
            for r in store.query("SELECT ?e ?l WHERE { ?e rdfs:label|skos:prefLabel|skos:altLabel ?l }", node)
        },
        key=lambda item: (item[1] != "en", item[1], item[0]),
    )
    facts = []
    seen: set[tuple[str, str, str]] = set()
    for row in store.query(_FACTS, node):
        key = (row["dir"].value, row["p"].value, row["o"].value)
        if key in seen:  # a predicate or value with labels in several English variants
            continue
        seen.add(key)
        value = row["o"]
        value_text = _term_text(value)
        quotes = tuple(sorted(row["quotes"].value.split("\x1f"))) if row["quotes"] and row["quotes"].value else ()
        facts.append(
            Fact(
                direction=row["dir"].value,
                predicate=row["p"].value,
                predicate_label=row["plabel"].value if row["plabel"] else shorten(row["p"].value),
                value=value_text,
                value_label=row["olabel"].value if row["olabel"] else value_text,
                quotes=quotes,
            )
        )
    return EntityDescription(entity.iri, entity.label, classes, labels, facts, nary_nodes(store, entity.iri))


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


def _term_text(term: object) -> str:
    if isinstance(term, ox.Literal):
        if term.datatype.value.startswith(PREFIXES["xsd"]) and term.datatype.value != PREFIXES["xsd"] + "string":
            return f"{term.value} ({shorten(term.datatype.value)})"
        return term.value
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    return str(term)

