"""Closed vocabulary: classes and properties must be terms the vocabularies define.

A typo such as ``a kg:Sumit`` or ``kg:hots`` is valid RDF and passes every shape (no shape
targets an unknown class), yet the fact silently drops out of every query. This module lists
the terms used as classes (objects of ``rdf:type``), as properties (predicates) and as SKOS
concepts of the kg scheme (objects under ``kgc:``) that are not defined, with the nearest
defined names as suggestions.

Which terms count as defined:

* ``kg:`` and ``kgc:`` — the subjects of the ontology graph (``ontology/kg.ttl`` and
  ``ontology/concepts.ttl`` as loaded by the build);
* ``rdf:``, ``rdfs:``, ``owl:``, ``skos:``, ``dcterms:``, ``prov:``, ``schema:`` — the term lists
  rdflib ships for those namespaces (where a typo is likely: ``rdfs:lable``, ``skos:altlabel``);
* every other namespace is open: its terms are allowed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache

import pyoxigraph as ox

from kg.namespaces import KG, KGC, PREFIXES, shorten
from kg.namespaces import RDF as RDF_NS
from kg.storage.protocol import GraphStore

CLOSED_KG = (KG, KGC)


@dataclass(frozen=True, order=True)
class UnknownTerm:
    """A class, property or concept IRI used in the data that its namespace does not define."""

    term: str
    role: str  # "class", "property" or "concept"
    example: str  # a subject that uses it
    suggestions: tuple[str, ...]

    def message(self) -> str:
        hint = f"; did you mean {' or '.join(self.suggestions)}?" if self.suggestions else ""
        return f"unknown {self.role} {shorten(self.term)}: the vocabulary does not define it{hint}"


@cache
def _standard_terms() -> dict[str, frozenset[str]]:
    """The terms rdflib knows for the well-known namespaces the project uses, by namespace IRI."""
    from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SDO, SKOS

    terms: dict[str, frozenset[str]] = {}
    for namespace in (RDF, RDFS, OWL, SKOS, DCTERMS, PROV, SDO):
        base = str(namespace._NS)
        names = {str(term)[len(base) :] for term in dir(namespace) if str(term).startswith(base)}
        names |= {str(extra) for extra in getattr(namespace, "_extras", [])}
        terms[base] = frozenset(names)
    return terms


def _closed_namespace(iri: str, defined_kg: frozenset[str]) -> tuple[str, frozenset[str]] | None:
    """The namespace of `iri` and its defined local names, when the namespace is closed."""
    if iri.startswith(KG) or iri.startswith(KGC):
        base = KG if iri.startswith(KG) else KGC
        return base, frozenset(t[len(base) :] for t in defined_kg if t.startswith(base))
    for base, names in _standard_terms().items():
        if iri.startswith(base):
            return base, names
    return None


@cache
def defined_terms() -> frozenset[str]:
    """The kg: and kgc: IRIs the ontology and concept schemes define (the files every build loads)."""
    from kg.resources import ontology_files

    subjects: set[str] = set()
    for path in ontology_files():
        for triple in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            if isinstance(triple.subject, ox.NamedNode) and triple.subject.value.startswith(CLOSED_KG):
                subjects.add(triple.subject.value)
    return frozenset(subjects)


def suggest(iri: str, base: str, names: frozenset[str], role: str) -> tuple[str, ...]:
    """Up to three defined names closest to the misspelt one (classes capitalised, properties not)."""
    local = iri[len(base) :]
    prefix = next((p for p, ns in PREFIXES.items() if ns == base), None)
    pool = sorted(names)
    if role == "class":
        pool = [n for n in pool if n[:1].isupper()] or pool
    elif role == "property":
        pool = [n for n in pool if n[:1].islower()] or pool
    by_fold: dict[str, str] = {}
    for name in pool:
        by_fold.setdefault(name.casefold(), name)
    close = difflib.get_close_matches(local.casefold(), list(by_fold), n=3, cutoff=0.6)
    return tuple(f"{prefix}:{by_fold[c]}" if prefix else f"<{base}{by_fold[c]}>" for c in close)


def unknown_terms(store: GraphStore, extra_defined: frozenset[str] = frozenset()) -> list[UnknownTerm]:
    """Classes, properties and kg concepts used in the store that their (closed) namespace lacks."""
    defined = defined_terms() | extra_defined
    used: list[tuple[str, str]] = []
    for row in store.query("SELECT DISTINCT ?c WHERE { ?s a ?c FILTER(isIRI(?c)) }"):
        used.append((row["c"].value, "class"))
    for row in store.query("SELECT DISTINCT ?p WHERE { ?s ?p ?o }"):
        used.append((row["p"].value, "property"))
    for row in store.query(f'SELECT DISTINCT ?o WHERE {{ ?s ?p ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{KGC}")) }}'):
        used.append((row["o"].value, "concept"))
    found = []
    for iri, role in used:
        closed = _closed_namespace(iri, defined)
        if closed is None:
            continue
        base, names = closed
        local = iri[len(base) :]
        if local in names or (base == RDF_NS and local[:1] == "_" and local[1:].isdigit()):
            continue
        found.append(UnknownTerm(iri, role, _example(store, iri, role), suggest(iri, base, names, role)))
    return sorted(found)


def _example(store: GraphStore, iri: str, role: str) -> str:
    pattern = {"class": "?s a ?t", "property": "?s ?t ?o", "concept": "?s ?p ?t"}[role]
    rows = list(store.query(f"SELECT ?s ?t WHERE {{ {pattern} }} LIMIT 1", {ox.Variable("t"): ox.NamedNode(iri)}))
    return rows[0]["s"].value if rows and isinstance(rows[0]["s"], ox.NamedNode) else ""
