"""Find entities by label or alias in any language, and describe them with their evidence."""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.errors import UnknownEntityError
from kg.namespaces import PREFIXES, shorten
from kg.store import Store

if TYPE_CHECKING:
    from kg.nary import NaryNode

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
    node = _as_node(name)
    if node is not None and store.query(
        "ASK { ?e a ?class . ?class rdfs:subClassOf* kg:Entity }", {ox.Variable("e"): node}
    ):
        return EntityRef(node.value, preferred_label(store, node.value))
    labels = entity_labels(store)
    wanted = normalize(name)
    exact = sorted({e for e, names in labels.items() if any(normalize(n) == wanted for n in names)})
    if len(exact) == 1:
        return EntityRef(exact[0], preferred_label(store, exact[0]))
    if len(exact) > 1:
        options = [f"{preferred_label(store, e)} ({shorten(e)})" for e in exact]
        raise UnknownEntityError(f"{name!r} is ambiguous", options)
    raise UnknownEntityError(f"no entity is called {name!r}", _suggestions(store, labels, wanted))


def _as_node(name: str) -> ox.NamedNode | None:
    """The IRI a name spells (<…>, http(s)://…, urn:…, a known prefix), if it is a valid IRI."""
    iri = _as_iri(name)
    if iri is None:
        return None
    try:
        return ox.NamedNode(iri)
    except ValueError:
        return None  # not an IRI: looked up as a label, and reported as an unknown name


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


@dataclass
class EntityDescription:
    iri: str
    label: str
    classes: list[str]
    labels: list[tuple[str, str]]  # (text, language)
    facts: list[Fact] = field(default_factory=list)
    nodes: list[NaryNode] = field(default_factory=list)  # second hop (kg.nary)


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
  OPTIONAL { ?g kg:quote ?quote }
  OPTIONAL { ?p rdfs:label ?plabel FILTER(LANGMATCHES(LANG(?plabel), "en")) }
  OPTIONAL { ?o rdfs:label ?olabel FILTER(LANGMATCHES(LANG(?olabel), "en")) }
}
GROUP BY ?e ?dir ?p ?o ?plabel ?olabel
ORDER BY DESC(?dir) ?plabel ?olabel STR(?o)
"""


def describe(store: Store, name: str) -> EntityDescription:
    """Everything the graph says about one entity, each fact with its evidence quotes."""
    from kg.nary import nary_nodes

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


def _term_text(term: object) -> str:
    if isinstance(term, ox.Literal):
        if term.datatype.value.startswith(PREFIXES["xsd"]) and term.datatype.value != PREFIXES["xsd"] + "string":
            return f"{term.value} ({shorten(term.datatype.value)})"
        return term.value
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    return str(term)

