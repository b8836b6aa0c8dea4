"""Resolve what a fact sheet names: entities by label or alias, classes, relations and concepts.

Entities are matched case- and accent-insensitively on every label and alias in every language
(as `kg describe` does); a name that matches no entity or several is an error that lists the
candidates. Classes, relations and concepts are the ontology's, by local name (``Summit``,
``host``, ``assertion``), CURIE (``kg:host``) or English label; anything else is an error with
the nearest names suggested.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from kg.describe import normalize
from kg.namespaces import KG, KGC, ONTOLOGY_IRI, PREFIXES, shorten
from kg.storage.protocol import GraphStore

DATE_RANGE = KG + "DateValue"
CONCEPT_RANGE = PREFIXES["skos"] + "Concept"


class ResolveError(Exception):
    """A name that resolves to nothing or to several things; the message lists candidates."""


@dataclass(frozen=True)
class Relation:
    iri: str
    name: str
    datatype: bool  # a datatype property (its object is a value, not an entity)
    range: str | None


@dataclass
class OntologyTerms:
    """The classes (of entities), relations and concepts a sheet may use."""

    classes: dict[str, str] = field(default_factory=dict)  # local name -> IRI
    relations: dict[str, Relation] = field(default_factory=dict)  # local name -> relation
    concepts: dict[str, str] = field(default_factory=dict)  # local name -> IRI
    aliases: dict[str, str] = field(default_factory=dict)  # normalised English label -> local name

    def cls(self, name: str) -> str:
        local = _local(name, KG)
        if local in self.classes:
            return self.classes[local]
        folded = {k.casefold(): v for k, v in self.classes.items()}
        if local.casefold() in folded:
            return folded[local.casefold()]
        label = self.aliases.get("class:" + normalize(name))
        if label:
            return self.classes[label]
        raise ResolveError(f"unknown class {name!r}" + _did_you_mean(local, self.classes, "kg:"))

    def relation(self, name: str) -> Relation:
        local = _local(name, KG)
        if local in self.relations:
            return self.relations[local]
        folded = {k.casefold(): v for k, v in self.relations.items()}
        if local.casefold() in folded:
            return folded[local.casefold()]
        label = self.aliases.get("relation:" + normalize(name))
        if label:
            return self.relations[label]
        raise ResolveError(f"unknown relation {name!r}" + _did_you_mean(local, self.relations, ""))

    def concept(self, name: str) -> str:
        local = _local(name, KGC)
        if local in self.concepts:
            return self.concepts[local]
        label = self.aliases.get("concept:" + normalize(name))
        if label:
            return self.concepts[label]
        raise ResolveError(f"unknown concept {name!r}" + _did_you_mean(local, self.concepts, ""))


def _local(name: str, namespace: str) -> str:
    name = name.strip()
    if name.startswith(namespace):
        return name[len(namespace) :]
    prefix, colon, local = name.partition(":")
    if colon and PREFIXES.get(prefix) == namespace:
        return local
    return name


def _did_you_mean(local: str, known: Mapping[str, object], prefix: str) -> str:
    by_fold = {k.casefold(): k for k in known}
    close = difflib.get_close_matches(local.casefold(), list(by_fold), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(prefix + by_fold[c] for c in close)}?" if close else ""


_CLASSES = f"""
SELECT DISTINCT ?c ?label WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{
  ?c rdfs:subClassOf+ kg:Entity . OPTIONAL {{ ?c rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }}
}} }}"""
_RELATIONS = f"""
SELECT DISTINCT ?p ?kind ?range ?label WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{
  ?p a ?kind VALUES ?kind {{ owl:ObjectProperty owl:DatatypeProperty }}
  OPTIONAL {{ ?p rdfs:range ?range FILTER(isIRI(?range)) }}
  OPTIONAL {{ ?p rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }}
}} }}"""
_CONCEPTS = f"""
SELECT DISTINCT ?c ?label WHERE {{ GRAPH <{ONTOLOGY_IRI}> {{
  ?c a skos:Concept . OPTIONAL {{ ?c skos:prefLabel|rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }}
}} }}"""
# Relations a sheet may not set: evidence bookkeeping and analysis results.
_RESERVED = {
    "quote",
    "source",
    "startOffset",
    "endOffset",
    "localCopy",
    "sha256",
    "originalLanguage",
    "degreeCentrality",
    "betweenness",
    "pagerank",
    "eigenvectorCentrality",
    "community",
    "coreNumber",
    "broker",
}


def ontology_terms(store: GraphStore | None = None) -> OntologyTerms:
    """The terms of the ontology in `store` (or of the bundled ontology files)."""
    if store is None:
        return _bundled_terms()
    terms = OntologyTerms()
    for row in store.query(_CLASSES, union=False):
        if row["c"].value.startswith(KG):
            local = row["c"].value[len(KG) :]
            terms.classes[local] = row["c"].value
            if row["label"] is not None:
                terms.aliases.setdefault("class:" + normalize(row["label"].value), local)
    for row in store.query(_RELATIONS, union=False):
        iri = row["p"].value
        if not iri.startswith(KG) or iri[len(KG) :] in _RESERVED:
            continue
        local = iri[len(KG) :]
        datatype = row["kind"].value.endswith("DatatypeProperty")
        terms.relations[local] = Relation(iri, local, datatype, row["range"].value if row["range"] else None)
        if row["label"] is not None:
            terms.aliases.setdefault("relation:" + normalize(row["label"].value), local)
    for row in store.query(_CONCEPTS, union=False):
        if row["c"].value.startswith(KGC):
            local = row["c"].value[len(KGC) :]
            terms.concepts[local] = row["c"].value
            if row["label"] is not None:
                terms.aliases.setdefault("concept:" + normalize(row["label"].value), local)
    return terms


@cache
def _bundled_terms() -> OntologyTerms:
    from kg.build import load_all
    from kg.storage.embedded import memory_store

    store = memory_store()
    load_all(store, [])
    return ontology_terms(store)


_ENGLISH_LABELS = 'SELECT ?e ?l WHERE { ?e rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en")) }'


class EntityIndex:
    """Every entity's labels and aliases (normalised), plus the entities a sheet declares."""

    def __init__(self, store: GraphStore):
        from kg.search import all_names

        self.names: dict[str, set[str]] = {}
        self.labels: dict[str, str] = {}  # IRI -> a display label
        for iri, labels in all_names(store).items():  # the search index's table: no pass over the store
            for label in labels:
                self.names.setdefault(normalize(label), set()).add(iri)
            self.labels.setdefault(iri, sorted(labels, key=lambda s: (not s.isascii(), s))[0])
        for row in store.query(_ENGLISH_LABELS):
            if row["e"].value in self.labels:
                self.labels[row["e"].value] = row["l"].value

    def add(self, iri: str, names: list[str]) -> None:
        for name in names:
            self.names.setdefault(normalize(name), set()).add(iri)
        if names:
            self.labels.setdefault(iri, names[0])

    def find(self, name: str) -> set[str]:
        return set(self.names.get(normalize(name), set()))

    def resolve(self, name: str) -> str:
        """The one entity called `name`, or ResolveError listing the candidates."""
        if not isinstance(name, str) or not name.strip():
            raise ResolveError(f"{name!r} is not an entity name")
        iri = _curie(name)
        if iri is not None and iri in self.labels:
            return iri
        found = self.find(name)
        if len(found) == 1:
            return next(iter(found))
        if found:
            options = ", ".join(f"{self.labels.get(i, shorten(i))} ({shorten(i)})" for i in sorted(found))
            raise ResolveError(f"{name!r} is ambiguous: it names {options}; use a longer label or the CURIE")
        close = difflib.get_close_matches(normalize(name), list(self.names), n=4, cutoff=0.6)
        contains = sorted((n for n in self.names if normalize(name) in n), key=len)[:3]
        picked: list[str] = []
        for candidate in contains + close:
            for entity in sorted(self.names[candidate]):
                label = self.labels.get(entity, shorten(entity))
                if label not in picked:
                    picked.append(label)
        hint = f"; did you mean {', '.join(repr(p) for p in picked[:4])}?" if picked else ""
        raise ResolveError(f"no entity is called {name!r}{hint} (declare a new one under `entities` with its class)")


def _curie(name: str) -> str | None:
    name = name.strip()
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    prefix, colon, local = name.partition(":")
    if colon and prefix in PREFIXES and " " not in local:
        return PREFIXES[prefix] + local
    return None
