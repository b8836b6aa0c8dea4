"""Find entities by label or alias in any language, and describe them with their evidence."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kg.errors import UnknownEntityError
from kg.names import normalize
from kg.namespaces import KG, LABEL_PROPERTIES, PREFIXES, PROVENANCE_GRAPH, RDF, shorten
from kg.snapshot import Snapshot, Statement, snapshot_of
from kg.storage.protocol import GraphStore

__all__ = ["DESCRIBE_LIMIT", "EntityRef", "Omitted", "describe", "find_entity", "normalize"]


@dataclass(frozen=True)
class EntityRef:
    iri: str
    label: str


def entity_labels(source: GraphStore | Snapshot) -> dict[str, list[str]]:
    """Every label and alias of every entity, by entity IRI."""
    snap = snapshot_of(source)
    return {entity: [text for text, _ in labels] for entity, labels in snap.labels.items()}


def preferred_label(source: GraphStore | Snapshot, iri: str) -> str:
    """An entity's first English (or untagged) rdfs:label, else its short IRI."""
    return snapshot_of(source).label(iri)


def find_entity(source: GraphStore | Snapshot, name: str) -> EntityRef:
    """The one entity whose label or alias is `name` (case- and accent-insensitive), or an IRI/CURIE.

    Raises UnknownEntityError with suggestions when nothing or several entities match.
    """
    if not isinstance(source, Snapshot) and (indexed := _find_indexed(source, name)) is not None:
        return indexed
    snap = snapshot_of(source)
    iri = _as_iri(name)
    if iri is not None and iri in snap.entities:
        return EntityRef(iri, snap.label(iri))
    labels = entity_labels(snap)
    wanted = normalize(name)
    exact = sorted({e for e, names in labels.items() if any(normalize(n) == wanted for n in names)})
    if len(exact) == 1:
        return EntityRef(exact[0], snap.label(exact[0]))
    if len(exact) > 1:
        options = [f"{snap.label(e)} ({shorten(e)})" for e in exact]
        raise UnknownEntityError(f"{name!r} is ambiguous", options)
    if (found := _search_fallback(source, name)) is not None:
        return found
    raise UnknownEntityError(f"no entity is called {name!r}", _suggestions(snap, labels, wanted))


def _find_indexed(store: GraphStore, name: str) -> EntityRef | None:
    """`find_entity` on an embedded store without reading every label: the IRI's own statements,
    the search index's table of normalised names, then its best match. None when nothing matches
    (the caller then reads every label for the suggestions of its error) or for a remote store."""
    from kg.neighbourhood import anchored
    from kg.search import named

    reader = anchored(store)
    if reader is None:
        return None
    iri = _as_iri(name)
    if iri is not None:
        try:
            ox.NamedNode(iri)
        except ValueError:  # not a valid IRI ("<x>"): looked up as a name, as before
            return None
        reader.attributes([iri])
        snap = reader.snapshot()
        return EntityRef(iri, snap.label(iri)) if iri in snap.entities else None
    exact = named(store, name)
    if exact:
        for entity in exact:
            reader.attributes([entity])
        snap = reader.snapshot()
        exact = [e for e in exact if e in snap.entities]
    if len(exact) == 1:
        return EntityRef(exact[0], snap.label(exact[0]))
    if len(exact) > 1:
        options = [f"{snap.label(e)} ({shorten(e)})" for e in exact]
        raise UnknownEntityError(f"{name!r} is ambiguous", options)
    if any(unicodedata.category(c)[0] == "C" for c in name):
        return None
    return _search_fallback(store, name)


def _search_fallback(source: GraphStore | Snapshot, name: str) -> EntityRef | None:
    """No label is `name`: the unique best match of the full-text index (kg.search), if any."""
    from kg.search import best_match

    store = source.store if isinstance(source, Snapshot) else source
    if store is None or any(unicodedata.category(c)[0] == "C" for c in name):
        return None  # no store to search, or control characters: never a name to guess from
    found = best_match(store, name)
    return EntityRef(found[0], found[1]) if found else None


def _as_iri(name: str) -> str | None:
    if name.startswith("<") and name.endswith(">"):
        return name[1:-1]
    if name.startswith(("http://", "https://", "urn:")):
        return name
    prefix, colon, local = name.partition(":")
    if colon and prefix in PREFIXES:
        return PREFIXES[prefix] + local
    return None


def _suggestions(snap: Snapshot, labels: dict[str, list[str]], wanted: str) -> list[str]:
    by_name: dict[str, str] = {}
    for entity, names in labels.items():
        for n in names:
            by_name.setdefault(normalize(n), entity)
    contains = [n for n in by_name if wanted and wanted in n]
    close = difflib.get_close_matches(wanted, list(by_name), n=5, cutoff=0.6)
    picked: list[str] = []
    for n in sorted(contains, key=len)[:5] + close:
        label = snap.label(by_name[n])
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
class Omitted:
    """A relation with more values than a description lists (`describe(..., limit=N)`)."""

    direction: str
    predicate: str
    predicate_label: str
    shown: int
    total: int


@dataclass
class EntityDescription:
    iri: str
    label: str
    classes: list[str]
    labels: list[tuple[str, str]]  # (text, language)
    facts: list[Fact] = field(default_factory=list)
    nodes: list[NaryNode] = field(default_factory=list)  # second hop: see nary_nodes
    omitted: list[Omitted] = field(default_factory=list)  # relations cut to `limit` values


# What `kg describe` lists of one relation (a state with thousands of events at 1M quads): the
# first values by IRI, then how many it left out. `--limit 0` lists everything.
DESCRIBE_LIMIT = 25


def shown_values(
    statements: Iterable[Statement], limit: int | None
) -> tuple[set[tuple[str, str, str]], list[tuple[str, str, int]]]:
    """The (direction, predicate, value) facts a description with at most `limit` values per relation
    lists (every fact with `limit` None or 0), and the relations cut: (direction, predicate, total)."""
    values: dict[tuple[str, str], set[str]] = {}
    for statement in statements:
        if statement.graph == PROVENANCE_GRAPH or statement.predicate in _NOT_FACTS:
            continue
        values.setdefault((statement.direction, statement.predicate), set()).add(statement.other.value)
    shown: set[tuple[str, str, str]] = set()
    cut: list[tuple[str, str, int]] = []
    for (direction, predicate), found in sorted(values.items()):
        kept = sorted(found)[:limit] if limit else found
        shown.update((direction, predicate, value) for value in kept)
        if len(kept) < len(found):
            cut.append((direction, predicate, len(found)))
    return shown, cut


def describe(source: GraphStore | Snapshot, name: str, *, limit: int | None = None) -> EntityDescription:
    """Everything the graph says about one entity, each fact with its evidence quotes.

    With `limit`, each relation lists at most `limit` values (the first by IRI; n-ary nodes among
    them only) and `omitted` counts the rest: around a hub only what is listed is read.
    On an embedded store only the entity's statements and those of the nodes it links to are read
    (`kg.neighbourhood`), not the whole store.
    """
    from kg.neighbourhood import anchored

    reader = anchored(source) if not isinstance(source, Snapshot) else None
    if reader is not None:
        found = find_entity(source, name)
        listed, cut = shown_values(reader.statements(found.iri), limit) if limit else (set(), [])
        reader.around(found.iri, only={value for _, _, value in listed} if cut else None)
        source, name = reader.snapshot(), found.iri
    snap = snapshot_of(source)
    entity = find_entity(snap, name)
    classes = sorted(shorten(c) for c in snap.types.get(entity.iri, ()))
    labels = sorted(set(snap.labels.get(entity.iri, ())), key=lambda item: (item[1] != "en", item[1], item[0]))
    shown, cut = shown_values(snap.statements.get(entity.iri, ()), limit)
    grouped: dict[tuple[str, str, Any], set[str]] = {}
    for statement in snap.statements.get(entity.iri, ()):
        if statement.graph == PROVENANCE_GRAPH or statement.predicate in _NOT_FACTS:
            continue
        if (statement.direction, statement.predicate, statement.other.value) not in shown:
            continue
        key = (statement.direction, statement.predicate, statement.other)
        grouped.setdefault(key, set()).update(_quotes(snap, statement.graph))  # marked if inferred etc.

    def order(item: tuple[tuple[str, str, Any], set[str]]) -> tuple[Any, ...]:
        (direction, predicate, other), _ = item
        plabel, olabel = snap.english.get(predicate), _english_label(snap, other)
        text = other.value if isinstance(other, ox.NamedNode | ox.Literal) else ""
        return (direction != "out", plabel is not None, plabel or "", olabel is not None, olabel or "", text)

    facts = []
    seen: set[tuple[str, str, str]] = set()
    for (direction, predicate, other), quotes in sorted(grouped.items(), key=order):
        if (direction, predicate, other.value) in seen:
            continue
        seen.add((direction, predicate, other.value))
        value_text = _term_text(other)
        facts.append(
            Fact(
                direction=direction,
                predicate=predicate,
                predicate_label=snap.english.get(predicate) or shorten(predicate),
                value=value_text,
                value_label=_english_label(snap, other) or value_text,
                quotes=tuple(sorted(quotes)),
            )
        )
    omitted = [
        Omitted(
            direction, predicate, snap.english.get(predicate) or shorten(predicate), min(total, limit or total), total
        )
        for direction, predicate, total in cut
    ]
    omitted.sort(key=lambda o: (o.direction != "out", o.predicate_label, o.predicate))
    nodes = nary_nodes(snap, entity.iri, shown=shown if cut else None)
    return EntityDescription(entity.iri, entity.label, classes, labels, facts, nodes, omitted)


_NOT_FACTS = frozenset({RDF + "type", *LABEL_PROPERTIES})


def _english_label(snap: Snapshot, term: Any) -> str | None:
    return snap.english.get(term.value) if isinstance(term, ox.NamedNode) else None


def _term_text(term: object) -> str:
    if isinstance(term, ox.Literal):
        if term.datatype.value.startswith(PREFIXES["xsd"]) and term.datatype.value != PREFIXES["xsd"] + "string":
            return f"{term.value} ({shorten(term.datatype.value)})"
        return term.value
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    return str(term)


# Top-level kinds whose instances are n-ary nodes: their facts belong to the entities they link.
NARY_KINDS = frozenset({"Event", "Ruling", "Claim", "OfficeTerm", "PollResult", "DisputeSide"})


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


def nary_nodes(
    source: GraphStore | Snapshot, iri: str, *, shown: set[tuple[str, str, str]] | None = None
) -> list[NaryNode]:
    """The n-ary nodes linked to the entity `iri`, each with its own facts and their quotes (two hops);
    with `shown`, only those linked by one of these (direction, predicate, node) facts.

    A quote from an inferred or outside-knowledge evidence graph ends with the kind in brackets.
    """
    snap = snapshot_of(source)
    links: dict[tuple[str, str, str], None] = {}
    for statement in snap.statements.get(iri, ()):
        other = statement.other
        if not isinstance(other, ox.NamedNode) or other.value == iri:
            continue
        if shown is not None and (statement.direction, statement.predicate, other.value) not in shown:
            continue
        if snap.nodes.get(other.value, {}).get("top") in NARY_KINDS:
            links[(other.value, statement.direction, statement.predicate)] = None
    nodes = [_node(snap, iri, node, direction, link) for node, direction, link in links]
    return sorted(nodes, key=lambda n: (n.predicate_label, n.label))


def _node(snap: Snapshot, iri: str, node: str, direction: str, link: str) -> NaryNode:
    quotes: dict[tuple[str, str], set[str]] = {}
    values: dict[tuple[str, str], Any] = {}
    for statement in snap.statements.get(node, ()):
        other = statement.other
        if statement.direction != "out" or statement.graph == PROVENANCE_GRAPH or statement.predicate in _NOT_FACTS:
            continue
        if isinstance(other, ox.NamedNode) and other.value == iri:
            continue
        key = (statement.predicate, _term_text(other))
        values[key] = other
        quotes.setdefault(key, set()).update(_quotes(snap, statement.graph))
    facts = [
        Fact(
            direction="out",
            predicate=predicate,
            predicate_label=snap.english.get(predicate) or shorten(predicate),
            value=text,
            value_label=_value_label(snap, values[(predicate, text)], text),
            quotes=tuple(sorted(found)),
        )
        for (predicate, text), found in quotes.items()
    ]
    return NaryNode(
        iri=node,
        label=snap.english.get(node) or shorten(node),
        classes=tuple(sorted(shorten(c) for c in snap.types.get(node, ()))),
        direction=direction,
        predicate=link,
        predicate_label=snap.english.get(link) or shorten(link),
        facts=tuple(sorted(facts, key=lambda f: (f.predicate_label, f.value))),
    )


def _quotes(snap: Snapshot, graph: str) -> set[str]:
    kind = snap.graph_support.get(graph)
    found = snap.graph_quotes.get(graph, set())
    return {f"{quote} [{kind}]" for quote in found} if kind else set(found)


def _value_label(snap: Snapshot, value: Any, text: str) -> str:
    label = _english_label(snap, value) or text
    if isinstance(value, ox.NamedNode):  # a poll result: its share is the fact that matters
        shares = _shares(snap).get(value.value)
        if shares:
            label += f" ({float(min(shares)):.0%})"
    return label


def _shares(snap: Snapshot) -> dict[str, list[str]]:
    """The kg:share values of each resource, indexed once per snapshot (scanning a hub's statements
    for every fact that names it cost `kg site` a minute at 100k quads)."""
    index: dict[str, list[str]] | None = snap.derived.get("shares")
    if index is None:
        index = {}
        for node, statements in snap.statements.items():
            for s in statements:
                if s.predicate == KG + "share" and s.direction == "out":
                    index.setdefault(node, []).append(s.other.value)
        snap.derived["shares"] = index
    return index


_INVERSE_LABELS = """
SELECT ?p ?label WHERE {
  { ?p owl:inverseOf ?inverse } UNION { ?inverse owl:inverseOf ?p }
  ?inverse rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en"))
}"""


def inverse_labels(store: GraphStore) -> dict[str, str]:
    """The English label of each property's declared inverse (kg:participant → "participated in")."""
    labels: dict[str, str] = {}
    for row in store.query(_INVERSE_LABELS):
        labels.setdefault(row["p"].value, row["label"].value)
    return labels


def relation_text(fact: Fact, inverses: dict[str, str]) -> str:
    """How a fact reads from the described entity: "host", "participated in" (a declared inverse),
    or "adopted by ←" (the value is the subject)."""
    if fact.direction == "out":
        return fact.predicate_label
    return inverses.get(fact.predicate) or f"{fact.predicate_label} ←"
