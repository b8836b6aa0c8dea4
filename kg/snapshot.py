"""A `Snapshot` of the graph: everything the read-only commands need, from one pass over the store.

`Snapshot.of(store)` reads every statement once (``store.quads()``) and indexes it in Python:

* the projection's nodes and edges (entities with their kind, label, dates, quotes; evidenced
  relations between entities) — what `kg.analysis.project.entity_graph` turns into networkx;
* every entity's labels and aliases, in every language — what `kg.describe.find_entity` matches;
* the statements about each entity with their evidence — what `kg.describe.describe` lists;
* the evidence records (quote and source of each evidence graph).

`site`, `describe`, `render`, `analyze`, `path`, `neighbors`, `timeline` and the notebooks build one
snapshot per command and read it, instead of querying the store again for every page or entity.
Functions that take a snapshot also take a store: `snapshot_of()` builds one when given a store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.dates import period
from kg.namespaces import INFERRED_GRAPH, KG, KGC, LABEL_PROPERTIES, OWL, PROVENANCE_GRAPH, RDF, RDFS, shorten
from kg.storage.protocol import GraphStore

TYPE = RDF + "type"
SUBCLASS = RDFS + "subClassOf"
LABEL = RDFS + "label"
ENTITY = KG + "Entity"

# Top-level kinds, and which of them are n-ary "hub" nodes that can be contracted.
TOP_CLASSES = (
    "Actor",
    "Agreement",
    "Policy",
    "Ruling",
    "Dispute",
    "DisputeSide",
    "Relationship",
    "Event",
    "Claim",
    "Office",
    "OfficeTerm",
    "Place",
    "PollResult",
)
# Relations that describe a node rather than link it (kept as node attributes, never edges).
SKIPPED_RELATIONS = frozenset(
    {KG + "claimedRelation", KG + "newStatus", KG + "category", KG + "outlook", KG + "claimType"}
)
_DESCRIBE_SKIPPED = frozenset({TYPE, *LABEL_PROPERTIES})
_PROPERTY_TYPES = frozenset({OWL + "ObjectProperty", OWL + "DatatypeProperty"})


@dataclass(frozen=True)
class Statement:
    """One statement in a named graph, seen from an entity: `direction` "out" (it is the subject)
    or "in" (it is the object); `other` is the term at the other end."""

    direction: str
    predicate: str
    other: Any  # a pyoxigraph term
    graph: str


@dataclass
class Snapshot:
    """The graph as the read-only commands see it, built once per command (see the module doc)."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)  # projected entities by IRI
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # s, p, o, evidence graph
    relation_labels: dict[str, str] = field(default_factory=dict)  # property IRI -> English label
    evidence: dict[str, tuple[str, str]] = field(default_factory=dict)  # evidence graph -> (quote, source)
    class_names: set[str] = field(default_factory=set)  # local names of the ontology's classes
    entities: set[str] = field(default_factory=set)  # IRIs of instances of kg:Entity's subclasses
    labels: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # entity -> (text, language)
    types: dict[str, set[str]] = field(default_factory=dict)  # resource -> its rdf:types
    english: dict[str, str] = field(default_factory=dict)  # resource -> first English rdfs:label
    plain_or_english: dict[str, str] = field(default_factory=dict)  # ... English or untagged
    statements: dict[str, list[Statement]] = field(default_factory=dict)  # entity -> its statements
    graph_quotes: dict[str, set[str]] = field(default_factory=dict)  # graph -> its kg:quote values
    graph_support: dict[str, str] = field(default_factory=dict)  # graph -> label of its kg:support, if not stated
    quads: int = 0
    store: GraphStore | None = field(default=None, repr=False, compare=False)  # read from (for kg.search)
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # indexes built on first use

    @classmethod
    def of(cls, store: GraphStore) -> Snapshot:
        """Read the whole store once and index it."""
        snap = _build(store.quads())
        snap.store = store
        return snap

    @classmethod
    def of_quads(cls, quads: list[ox.Quad]) -> Snapshot:
        """Index statements already read (e.g. to load them into an in-memory store as well)."""
        return _build(quads)

    def label(self, iri: str) -> str:
        """An entity's preferred label: its first English (or untagged) rdfs:label, else its short IRI."""
        return self.plain_or_english.get(iri) or shorten(iri)


def snapshot_of(source: GraphStore | Snapshot) -> Snapshot:
    """The snapshot itself, or one built from a store."""
    return source if isinstance(source, Snapshot) else Snapshot.of(source)


def _english(literal: ox.Literal) -> bool:
    language = (literal.language or "").lower()
    return language == "en" or language.startswith("en-")


def _keep_min(table: dict[str, str], key: str, value: str) -> None:
    if key not in table or value < table[key]:
        table[key] = value


def _build(quads: list[ox.Quad]) -> Snapshot:
    snap = Snapshot(quads=len(quads))
    parents: dict[str, set[str]] = defaultdict(set)
    children: dict[str, set[str]] = defaultdict(set)
    types: dict[str, set[str]] = defaultdict(set)
    all_labels: dict[str, set[tuple[str, str]]] = defaultdict(set)
    dates: dict[str, list[str]] = defaultdict(list)
    kg_dates: dict[str, list[str]] = defaultdict(list)
    any_label: dict[str, str] = {}
    ends: dict[str, list[str]] = defaultdict(list)
    made_at: dict[str, list[str]] = defaultdict(list)
    properties: set[str] = set()
    evidence_records: set[str] = set()
    provenance_quotes: dict[str, list[str]] = defaultdict(list)
    sources: dict[str, list[str]] = defaultdict(list)
    named: list[tuple[Any, str, Any, str]] = []
    supports: dict[str, str] = {}
    for quad in quads:
        subject, predicate, obj, graph = quad.subject, quad.predicate.value, quad.object, quad.graph_name
        graph_iri = graph.value if isinstance(graph, ox.NamedNode) else None
        if graph_iri == INFERRED_GRAPH:
            continue  # derived statements (superclass types, OWL RL) serve SPARQL, not descriptions
        s = subject.value if isinstance(subject, ox.NamedNode) else None
        if s is not None:
            if predicate == TYPE and isinstance(obj, ox.NamedNode):
                types[s].add(obj.value)
                if obj.value in _PROPERTY_TYPES:
                    properties.add(s)
                if graph_iri == PROVENANCE_GRAPH and obj.value == KG + "Evidence":
                    evidence_records.add(s)
            elif predicate == SUBCLASS and isinstance(obj, ox.NamedNode):
                parents[s].add(obj.value)
                children[obj.value].add(s)
            elif isinstance(obj, ox.Literal):
                if predicate in LABEL_PROPERTIES:
                    all_labels[s].add((obj.value, obj.language or ""))
                    if predicate == LABEL:
                        _keep_min(any_label, s, obj.value)
                        if _english(obj):
                            _keep_min(snap.english, s, obj.value)
                        if _english(obj) or not obj.language:
                            _keep_min(snap.plain_or_english, s, obj.value)
                elif predicate in (KG + "date", KG + "startDate"):
                    dates[s].append(obj.value)
                    if predicate == KG + "date":
                        kg_dates[s].append(obj.value)
                elif predicate == KG + "endDate":
                    ends[s].append(obj.value)
                elif predicate == KG + "quote":
                    snap.graph_quotes.setdefault(s, set()).add(obj.value)
                    if graph_iri == PROVENANCE_GRAPH:
                        provenance_quotes[s].append(obj.value)
            if predicate == KG + "madeAt" and isinstance(obj, ox.NamedNode):
                made_at[s].append(obj.value)
            if predicate == KG + "source" and graph_iri == PROVENANCE_GRAPH and isinstance(obj, ox.NamedNode):
                sources[s].append(obj.value)
            if predicate == KG + "support" and graph_iri == PROVENANCE_GRAPH and isinstance(obj, ox.NamedNode):
                supports[s] = obj.value
        if graph_iri is not None:
            named.append((subject, predicate, obj, graph_iri))
    snap.types = dict(types)
    snap.graph_support = {
        g: snap.english.get(kind) or shorten(kind) for g, kind in supports.items() if kind != KGC + "stated"
    }
    # Entities: instances of kg:Entity or of any class below it (rdfs:subClassOf*, any namespace).
    below_entity = {ENTITY}
    todo = [ENTITY]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in below_entity:
                below_entity.add(child)
                todo.append(child)
    snap.entities = {r for r, classes in types.items() if classes & below_entity}
    snap.labels = {e: sorted(all_labels[e]) for e in snap.entities if e in all_labels}
    kg_parents = {c: ps for c, ps in parents.items() if c.startswith(KG)}
    snap.class_names = {c.removeprefix(KG) for c in kg_parents}
    # Evidence: quote and source of each evidence record of the provenance graph.
    for record in sorted(evidence_records):
        for quote in sorted(provenance_quotes.get(record, ())):
            names = sorted(any_label.get(src, "") for src in sources.get(record, ())) or [""]
            snap.evidence.setdefault(record, (quote, names[0]))
    for prop in properties:
        if prop in snap.english:
            snap.relation_labels[prop] = snap.english[prop]
    # Statements about entities (describe), and the projection's nodes and edges.
    for subject, predicate, obj, graph_iri in named:
        if subject.value in snap.entities and isinstance(subject, ox.NamedNode):
            snap.statements.setdefault(subject.value, []).append(Statement("out", predicate, obj, graph_iri))
        if isinstance(obj, ox.NamedNode) and obj.value in snap.entities:
            snap.statements.setdefault(obj.value, []).append(Statement("in", predicate, subject, graph_iri))
    _project(snap, kg_parents, types, below_entity, dates, kg_dates, ends, made_at, named)
    return snap


def _project(
    snap: Snapshot,
    parents: dict[str, set[str]],
    types: dict[str, set[str]],
    below_entity: set[str],
    dates: dict[str, list[str]],
    kg_dates: dict[str, list[str]],
    ends: dict[str, list[str]],
    made_at: dict[str, list[str]],
    named: list[tuple[Any, str, Any, str]],
) -> None:
    """The projection's nodes (kg: classes only) and evidenced edges, as kg.analysis.project reads them."""
    for iri in snap.entities:
        classes = {c for c in types[iri] if c in below_entity and c.startswith(KG)}
        if not classes:
            continue
        own = sorted(dates.get(iri, ()))
        made = sorted(d for event in made_at.get(iri, ()) for d in kg_dates.get(event, ()))
        kind = _most_specific(classes, parents)
        snap.nodes[iri] = {
            "iri": iri,
            "label": snap.english.get(iri) or shorten(iri),
            "date": own[0] if own else (made[0] if made else ""),
            "end": min(ends[iri]) if ends.get(iri) else "",
            "kind": shorten(kind).removeprefix("kg:"),
            "top": _top_class(kind, parents),
            "quotes": [],
        }
    statements = [(q[0].value, q[1], q[2], q[3]) for q in named if isinstance(q[0], ox.NamedNode)]
    for subject, predicate, obj, graph in sorted(statements, key=lambda q: (q[0], q[1], str(q[2]), q[3])):
        if graph not in snap.evidence or subject not in snap.nodes or predicate == TYPE:
            continue
        node = snap.nodes[subject]
        quote = snap.evidence[graph]
        if quote not in node["quotes"]:
            node["quotes"].append(quote)
        if predicate in SKIPPED_RELATIONS:
            if predicate == KG + "newStatus":
                node["status"] = shorten(obj.value).removeprefix("kgc:")
            elif predicate == KG + "claimType":
                node["claim_type"] = obj.value
            continue
        if isinstance(obj, ox.NamedNode) and obj.value in snap.nodes:
            snap.edges.append((subject, predicate, obj.value, graph))
    for node in snap.nodes.values():
        node["quotes"].sort()
    snap.edges.sort()
    _date_outcomes(snap)


def _date_outcomes(snap: Snapshot) -> None:
    """An undated plan, measure or agreement exists from the first dated event that produced it or
    changed its status (so an as-of snapshot keeps it from then on)."""
    starts: dict[str, list[str]] = defaultdict(list)
    for subject, predicate, obj, _ in snap.edges:
        if (
            predicate in (KG + "outcome", KG + "affects")
            and snap.nodes[subject]["date"]
            and not snap.nodes[obj]["date"]
        ):
            starts[obj].append(snap.nodes[subject]["date"])
    for iri, found in starts.items():
        known = [(when.first, text) for text in found if (when := period(text)) is not None]
        if known:
            snap.nodes[iri]["since"] = min(known)[1]


def ancestors(cls: str, parents: Mapping[str, Iterable[str]]) -> set[str]:
    """Every class (or property) above `cls` in the `parents` table, transitively."""
    seen: set[str] = set()
    todo = [cls]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _most_specific(classes: set[str], parents: dict[str, set[str]]) -> str:
    candidates = [c for c in classes if not any(c in ancestors(o, parents) for o in classes if o != c)]
    return sorted(candidates)[0]


def _top_class(cls: str, parents: dict[str, set[str]]) -> str:
    for name in TOP_CLASSES:
        if cls == KG + name or KG + name in ancestors(cls, parents):
            return name
    return "Entity"
