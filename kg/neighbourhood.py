"""Anchored snapshots: the part of the graph around a few entities, read by index lookups.

`Snapshot.of(store)` reads every statement (55 s at 1M quads on disk). `describe`, `neighbors`,
`path` and `timeline --actor` only look at a few hops around the entities they name, so they read
just those hops: `Neighbourhood` fetches the statements of chosen entities from the store's
subject and object indexes (`quads_for_pattern`), plus what the snapshot needs to interpret them
(the ontology's classes and property labels, the evidence records of the graphs seen, the types
and labels of every resource seen), and `snapshot()` indexes them with the same code as a whole
snapshot (`Snapshot.of_quads`). An entity made `full` has every statement about it; an entity
given `attributes` has its own statements and what its projected node's date, status and quotes
depend on; every other resource seen has its types and labels. A projection of the result agrees
with the whole projection on the full entities, their edges and their neighbours' attributes.

Only the embedded Oxigraph store (on disk or in memory) is read this way; a remote store gets the
whole snapshot (`anchored()` returns None).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.generation_cache import per_generation
from kg.namespaces import INFERRED_GRAPH, KG, LABEL_PROPERTIES, LEXICON_GRAPH, ONTOLOGY_IRI, OWL, PROVENANCE_GRAPH
from kg.snapshot import (
    ENTITY,
    SKIPPED_RELATIONS,
    SUBCLASS,
    TOP_CLASSES,
    TYPE,
    Snapshot,
    Statement,
    _most_specific,
    _top_class,
)
from kg.storage.protocol import GraphStore

_TERM_PREDICATES = frozenset({TYPE, *LABEL_PROPERTIES, KG + "share"})
_DATE_LINKS = (KG + "outcome", KG + "affects")  # an undated node's `since` and status come from these
_EVIDENCE = ox.NamedNode(KG + "Evidence")
_PROVENANCE = ox.NamedNode(PROVENANCE_GRAPH)
_INFERRED = ox.NamedNode(INFERRED_GRAPH)


@dataclass(frozen=True)
class _Schema:
    """The statements every reader of a generation starts from, and what they were read into."""

    quads: dict[ox.Quad, None]
    terms: frozenset[str]
    evidence: dict[str, bool]
    parents: dict[str, set[str]]  # read only, shared by the readers
    below: frozenset[str]


class Neighbourhood:
    """Statements around chosen entities of an embedded store, gathered into a `Snapshot`."""

    def __init__(self, store: GraphStore, oxigraph: ox.Store, *, cached: bool = True):
        self.store = store
        self._ox = oxigraph
        self._quads: dict[ox.Quad, None] = {}
        self._out: dict[str, list[ox.Quad]] = {}  # subject -> its statements (attributes fetched)
        self._in: dict[str, list[ox.Quad]] = {}  # object -> statements about it (full)
        self._terms: set[str] = set()
        self._evidence: dict[str, bool] = {}
        self._parents: dict[str, set[str]] = {}
        self._below: set[str] = set()
        self._closed = 0  # the first quads, whose terms and evidence records are read already
        self._own_in: dict[str, list[ox.Quad]] = {}  # object -> statements about it (`statements`)
        self._read: dict[str, list[ox.Quad]] = {}  # subject -> its statements (`_subject`)
        self._quiet: set[ox.Quad] = set()  # read, but their other end is not followed (`around`)
        if not cached:
            self._schema()
            return
        # What every reader starts from (the ontology, the lexicon and everything they mention) is
        # read once per generation and process: ~0.15 s per name lookup before (kg.generation_cache).
        schema = per_generation(
            store, "neighbourhood-schema", lambda: Neighbourhood(store, oxigraph, cached=False)._closure()
        )
        self._quads, self._terms, self._evidence = dict(schema.quads), set(schema.terms), dict(schema.evidence)
        self._parents, self._below, self._closed = schema.parents, set(schema.below), len(schema.quads)

    # ------------------------------------------------------------ reading

    def _add(self, quads: Iterable[ox.Quad]) -> list[ox.Quad]:
        kept = [q for q in quads if q.graph_name != _INFERRED]
        for quad in kept:
            self._quads[quad] = None
        return kept

    def _schema(self) -> None:
        for graph in (ONTOLOGY_IRI, LEXICON_GRAPH):
            self._add(self._ox.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        for quad in self._add(self._ox.quads_for_pattern(None, ox.NamedNode(SUBCLASS), None, None)):
            if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode):
                self._parents.setdefault(quad.subject.value, set()).add(quad.object.value)
        for kind in ("ObjectProperty", "DatatypeProperty"):
            for quad in self._add(self._ox.quads_for_pattern(None, ox.NamedNode(TYPE), ox.NamedNode(OWL + kind), None)):
                if isinstance(quad.subject, ox.NamedNode):
                    self._term(quad.subject.value)
        children: dict[str, set[str]] = {}
        for child, parents in self._parents.items():
            for parent in parents:
                children.setdefault(parent, set()).add(child)
        self._below = {ENTITY}
        todo = [ENTITY]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in self._below:
                    self._below.add(child)
                    todo.append(child)

    def _subject(self, iri: str) -> list[ox.Quad]:
        """Every statement whose subject is `iri` (but the inferred ones), read once: a resource's
        terms, attributes and evidence record all come from this one index lookup."""
        found = self._read.get(iri)
        if found is None:
            found = [
                q for q in self._ox.quads_for_pattern(ox.NamedNode(iri), None, None, None) if q.graph_name != _INFERRED
            ]
            self._read[iri] = found
        return found

    def _term(self, iri: str) -> None:
        """Types, labels (and a poll result's share) of a resource seen."""
        if iri in self._terms or iri in self._out:
            return
        self._terms.add(iri)
        self._add(q for q in self._subject(iri) if q.predicate.value in _TERM_PREDICATES)

    def attributes(self, iris: Iterable[str]) -> None:
        """Every statement whose subject is one of `iris`, and what their projected nodes depend on:
        the date of the event they were made at, the dated outcomes and status changes affecting them."""
        todo = [i for i in iris if i not in self._out]
        while todo:
            iri = todo.pop()
            if iri in self._out:
                continue
            node = ox.NamedNode(iri)
            quads = self._add(self._subject(iri))
            self._out[iri] = quads
            for quad in quads:
                if quad.predicate.value == KG + "madeAt" and isinstance(quad.object, ox.NamedNode):
                    todo.append(quad.object.value)
            for link in _DATE_LINKS:
                for quad in self._add(self._ox.quads_for_pattern(None, ox.NamedNode(link), node, None)):
                    if isinstance(quad.subject, ox.NamedNode):
                        todo.append(quad.subject.value)

    def is_evidence(self, graph: str) -> bool:
        """Whether `graph` is an evidence record (its statements become edges); reads the record."""
        if graph not in self._evidence:
            record = [q for q in self._subject(graph) if q.graph_name == _PROVENANCE]
            found = any(q.predicate.value == TYPE and q.object == _EVIDENCE for q in record)
            self._evidence[graph] = found
            if found:
                for quad in self._add(record):
                    if isinstance(quad.object, ox.NamedNode):
                        self._term(quad.object.value)  # its source's label, its kind of support
        return self._evidence[graph]

    def classes(self, iri: str) -> set[str]:
        """The kg: classes below kg:Entity of a resource whose attributes were read."""
        found = {
            q.object.value
            for q in self._out.get(iri, ())
            if q.predicate.value == TYPE and isinstance(q.object, ox.NamedNode)
        }
        return {c for c in found if c in self._below and c.startswith(KG)}

    def top(self, iri: str) -> str | None:
        """The top-level kind (Actor, Event, ...) of a projected entity, None when it is not one."""
        classes = self.classes(iri)
        return _top_class(_most_specific(classes, self._parents), self._parents) if classes else None

    def full(self, iris: Iterable[str]) -> set[str]:
        """Read every statement about `iris`; returns their neighbours in the projection (entities
        linked to them by a statement of an evidence graph), with those neighbours' attributes."""
        iris = set(iris)
        self.attributes(iris)
        linked: set[str] = set()
        for iri in sorted(iris):
            if iri not in self._in:
                self._in[iri] = self._add(self._ox.quads_for_pattern(None, None, ox.NamedNode(iri), None))
            for quad, other in [(q, q.object) for q in self._out[iri]] + [(q, q.subject) for q in self._in[iri]]:
                if (
                    isinstance(other, ox.NamedNode)
                    and isinstance(quad.graph_name, ox.NamedNode)
                    and quad.predicate.value != TYPE
                    and quad.predicate.value not in SKIPPED_RELATIONS
                    and other.value != iri
                    and self.is_evidence(quad.graph_name.value)
                ):
                    linked.add(other.value)
        self.attributes(linked)
        return {n for n in linked if self.classes(n)}

    def read_in_full(self) -> set[str]:
        """The resources whose every statement was read (by `full`)."""
        return set(self._in)

    def statements(self, iri: str) -> list[Statement]:
        """The statements of the entity `iri` as `Snapshot.statements` holds them (named graphs)."""
        self.attributes([iri])
        if iri not in self._own_in:
            self._own_in[iri] = self._add(self._ox.quads_for_pattern(None, None, ox.NamedNode(iri), None))
        found = [
            Statement("out", q.predicate.value, q.object, q.graph_name.value)
            for q in self._out[iri]
            if isinstance(q.graph_name, ox.NamedNode)
        ]
        found += [
            Statement("in", q.predicate.value, q.subject, q.graph_name.value)
            for q in self._own_in[iri]
            if isinstance(q.graph_name, ox.NamedNode)
        ]
        return found

    def around(self, iri: str, only: set[str] | None = None) -> None:
        """Read what `kg describe` shows of `iri`: its statements and those of every resource they link
        (with `only`, of the linked resources in `only`: the others are neither read nor labelled)."""
        if only is None:
            self.full([iri])
            linked = {q.object.value for q in self._out[iri] if isinstance(q.object, ox.NamedNode)}
            linked |= {q.subject.value for q in self._in[iri] if isinstance(q.subject, ox.NamedNode)}
            self.attributes(linked - {iri})
            return
        self.statements(iri)
        linked = set()
        for quad, other in [(q, q.object) for q in self._out[iri]] + [(q, q.subject) for q in self._own_in[iri]]:
            if isinstance(other, ox.NamedNode) and other.value != iri:
                if other.value in only:
                    linked.add(other.value)
                else:
                    self._quiet.add(quad)
        self.attributes(linked)

    def _mentioned(self, quads: list[ox.Quad]) -> None:
        """Read the types and labels of every resource `quads` mention and their evidence records."""
        for quad in quads:
            if quad in self._quiet:
                continue  # a hub's link to a resource `around(only=...)` leaves out
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.NamedNode):
                    self._term(term.value)
            if isinstance(quad.graph_name, ox.NamedNode):
                self.is_evidence(quad.graph_name.value)

    def _closure(self) -> _Schema:
        """The schema read by `_schema`, with everything it mentions, until nothing new is read."""
        done = 0
        while done < len(self._quads):
            todo = list(self._quads)[done:]
            done = len(self._quads)
            self._mentioned(todo)
        return _Schema(
            dict(self._quads), frozenset(self._terms), dict(self._evidence), self._parents, frozenset(self._below)
        )

    def snapshot(self) -> Snapshot:
        """The snapshot of everything read, with the types and labels of every resource it mentions."""
        self._mentioned(list(self._quads)[self._closed :])
        snap = Snapshot.of_quads(list(self._quads))
        snap.store = self.store
        return snap


def anchored(store: GraphStore | Snapshot) -> Neighbourhood | None:
    """A `Neighbourhood` reader for an embedded store; None for a snapshot or a remote store."""
    oxigraph = getattr(store, "oxigraph", None)
    if isinstance(store, Snapshot) or not isinstance(oxigraph, ox.Store):
        return None
    return Neighbourhood(store, oxigraph)


__all__ = ["TOP_CLASSES", "Neighbourhood", "anchored"]
