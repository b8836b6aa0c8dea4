"""Project the knowledge graph onto networkx graphs for linkage analysis.

* ``entity_graph`` — a typed MultiDiGraph: entities are nodes (label, class, dates, evidence as
  attributes), evidenced relations between entities are edges (relation, label, date, quotes).
  Literals and schema statements are attributes, ``rdf:type`` is never an edge, and the proposition
  inside a claim never becomes an edge (only the claim's own links to its subject and object do).
* ``contracted`` — the same with n-ary nodes (events, rulings, claims, office terms, poll results)
  replaced by labelled edges between their neighbours.
* ``actor_network`` — actors only, weighted by shared events, agreements, disputes and claims, with
  a cooperation/conflict sign where the linking node says so.
* ``actor_issue_graph`` — the bipartite actor–dispute view.

Snapshots: ``as_of`` keeps what had certainly happened or held by a date (a month-precision date
counts from its last day), ``between`` what may fall in a period. Output order is deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.dates import Period, period
from kg.errors import ParameterError
from kg.namespaces import KG, KGC, PROVENANCE_GRAPH, shorten
from kg.store import Store

if TYPE_CHECKING:
    import networkx as nx

# Top-level kinds, and which of them are n-ary "hub" nodes that can be contracted.
TOP_CLASSES = ("Actor", "Agreement", "Policy", "Ruling", "Dispute", "DisputeSide", "Relationship", "Event",
               "Claim", "Office", "OfficeTerm", "Place", "PollResult")
HUB_KINDS = frozenset({"Event", "Ruling", "Claim", "OfficeTerm", "PollResult", "DisputeSide"})
TEMPORAL_KINDS = frozenset({"Event", "Ruling", "Claim", "OfficeTerm", "PollResult", "Agreement", "Policy"})
CONFLICT_CLASSES = frozenset({"Dispute", "Ruling", "Incident", "LegalProceeding"})
COOPERATION_CLASSES = frozenset({"Agreement", "Summit", "Visit", "Dialogue", "MilitaryExercise",
                                 "PressConference", "Invitation", "Treaty", "JointDeclaration",
                                 "JointStatement", "Arrangement", "Fund", "SecurityAgreement"})
CONFLICT_CLAIMS = frozenset({KGC + c for c in ("rejection", "denunciation", "complaint", "demand", "doubt")})
# Links from a claim to the proposition it asserts: kept as the claim's own edges, flagged.
CLAIM_LINKS = frozenset({KG + "claimedSubject", KG + "claimedObject"})
SKIPPED_RELATIONS = frozenset({KG + "claimedRelation", KG + "newStatus", KG + "category",
                               KG + "outlook", KG + "claimType"})

_CLASSES = """
SELECT ?c ?super WHERE { ?c rdfs:subClassOf ?super FILTER(STRSTARTS(STR(?c), STR(kg:))) }"""
_ENTITIES = """
SELECT ?e ?c ?label ?date ?end ?madeAt WHERE {
  ?e a ?c . ?c rdfs:subClassOf* kg:Entity . FILTER(STRSTARTS(STR(?c), STR(kg:)))
  OPTIONAL { ?e rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }
  OPTIONAL { ?e kg:date|kg:startDate ?date }
  OPTIONAL { ?e kg:endDate ?end }
  OPTIONAL { ?e kg:madeAt/kg:date ?madeAt }
}"""
_EVIDENCE = f"""
SELECT ?g ?quote ?source WHERE {{
  GRAPH <{PROVENANCE_GRAPH}> {{ ?g a kg:Evidence ; kg:quote ?quote }}
  OPTIONAL {{ GRAPH <{PROVENANCE_GRAPH}> {{ ?g kg:source ?src }} OPTIONAL {{ ?src rdfs:label ?source }} }}
}}"""
_STATEMENTS = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?p != rdf:type) }"
_RELATION_LABELS = """
SELECT ?p ?label WHERE { ?p rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en"))
  { ?p a owl:ObjectProperty } UNION { ?p a owl:DatatypeProperty } }"""


@dataclass
class _Facts:
    """Everything a projection needs, read from the store in a few flat queries."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)  # s, p, o, evidence graph
    relation_labels: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, tuple[str, str]] = field(default_factory=dict)  # graph -> (quote, source)
    class_names: set[str] = field(default_factory=set)  # local names of the ontology's classes


def _read(store: Store) -> _Facts:
    facts = _Facts()
    parents: dict[str, set[str]] = defaultdict(set)
    for row in store.query(_CLASSES):
        parents[row["c"].value].add(row["super"].value)
        facts.class_names.add(row["c"].value.removeprefix(KG))
    for row in store.query(_EVIDENCE):
        facts.evidence[row["g"].value] = (row["quote"].value, row["source"].value if row["source"] else "")
    for row in store.query(_RELATION_LABELS):
        facts.relation_labels.setdefault(row["p"].value, row["label"].value)
    classes: dict[str, set[str]] = defaultdict(set)
    for row in store.query(_ENTITIES):
        iri = row["e"].value
        node = facts.nodes.setdefault(iri, {"iri": iri, "label": "", "date": "", "end": ""})
        classes[iri].add(row["c"].value)
        if row["label"] and (not node["label"] or row["label"].value < node["label"]):
            node["label"] = row["label"].value
        for key, term in (("date", row["date"]), ("end", row["end"]), ("date", row["madeAt"])):
            if term is not None and not node[key]:
                node[key] = term.value
    for iri, node in facts.nodes.items():
        kind = _most_specific(classes[iri], parents)
        node["kind"] = shorten(kind).removeprefix("kg:")
        node["top"] = _top_class(kind, parents)
        node["label"] = node["label"] or shorten(iri)
        node["quotes"] = []
    for row in store.query(_STATEMENTS):
        subject, predicate, obj, graph = row["s"].value, row["p"].value, row["o"], row["g"].value
        if graph not in facts.evidence or subject not in facts.nodes:
            continue
        quote = facts.evidence[graph]
        node = facts.nodes[subject]
        if quote not in node["quotes"]:
            node["quotes"].append(quote)
        if predicate in SKIPPED_RELATIONS:
            if predicate == KG + "newStatus":
                node["status"] = shorten(obj.value).removeprefix("kgc:")
            elif predicate == KG + "claimType":
                node["claim_type"] = obj.value
            continue
        if isinstance(obj, ox.NamedNode) and obj.value in facts.nodes:
            facts.edges.append((subject, predicate, obj.value, graph))
    for node in facts.nodes.values():
        node["quotes"].sort()
    facts.edges.sort()
    _date_outcomes(facts)
    return facts


def _date_outcomes(facts: _Facts) -> None:
    """An undated plan, measure or agreement exists from the first dated event that produced it or
    changed its status (so an as-of snapshot keeps it from then on)."""
    starts: dict[str, list[str]] = defaultdict(list)
    for subject, predicate, obj, _ in facts.edges:
        if predicate in (KG + "outcome", KG + "affects") and facts.nodes[subject]["date"] \
                and not facts.nodes[obj]["date"]:
            starts[obj].append(facts.nodes[subject]["date"])
    for iri, dates in starts.items():
        known = [(when.first, text) for text in dates if (when := period(text)) is not None]
        if known:
            facts.nodes[iri]["since"] = min(known)[1]


def _ancestors(cls: str, parents: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [cls]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _most_specific(classes: set[str], parents: dict[str, set[str]]) -> str:
    candidates = [c for c in classes if not any(c in _ancestors(o, parents) for o in classes if o != c)]
    return sorted(candidates)[0]


def _top_class(cls: str, parents: dict[str, set[str]]) -> str:
    for name in TOP_CLASSES:
        if cls == KG + name or KG + name in _ancestors(cls, parents):
            return name
    return "Entity"


def _period_of(node: dict[str, Any]) -> Period | None:
    when = node.get("date") or node.get("since")
    return period(when) if when else None


def _keep(node: dict[str, Any], as_of: Period | None, between: tuple[Period, Period] | None) -> bool:
    when = _period_of(node)
    if when is None:
        # A snapshot keeps only what certainly happened by then: an undated event, claim, agreement
        # or policy might not have; actors, places, offices and issues persist.
        return (as_of is None and between is None) or node.get("top") not in TEMPORAL_KINDS
    if as_of is not None and when.last > as_of.last:
        return False
    return not (between is not None and (when.last < between[0].first or when.first > between[1].last))


def entity_graph(
    store: Store,
    *,
    as_of: Period | None = None,
    between: tuple[Period, Period] | None = None,
    classes: Iterable[str] = (),
) -> nx.MultiDiGraph:
    """Entities as nodes and evidenced relations as edges, optionally as of a date or in a period.

    `classes` keeps only nodes whose class or top-level class is named (e.g. "Actor", "Summit").
    """
    import networkx as nx

    facts = _read(store)
    wanted = set(classes)
    unknown = sorted(wanted - facts.class_names - set(TOP_CLASSES))
    if unknown:
        raise ParameterError(f"unknown class {', '.join(unknown)} (classes: {', '.join(TOP_CLASSES)}, "
                             "or any class of the ontology such as Summit or Treaty)")
    graph = nx.MultiDiGraph()
    for iri in sorted(facts.nodes):
        node = facts.nodes[iri]
        if not _keep(node, as_of, between):
            continue
        if wanted and node["kind"] not in wanted and node["top"] not in wanted:
            continue
        attributes = {k: v for k, v in node.items() if k not in ("iri",)}
        attributes["quote"] = "\n".join(q for q, _ in node["quotes"])
        attributes["hub"] = node["top"] in HUB_KINDS
        graph.add_node(iri, **attributes)
    for subject, predicate, obj, evidence_graph in facts.edges:
        if subject not in graph or obj not in graph:
            continue
        quote, source = facts.evidence[evidence_graph]
        date = graph.nodes[subject]["date"] or graph.nodes[obj]["date"]
        graph.add_edge(
            subject, obj, key=predicate,
            relation=shorten(predicate),
            label=facts.relation_labels.get(predicate, shorten(predicate)),
            date=date, quote=quote, source=source, claim=predicate in CLAIM_LINKS,
        )
    _apply_statuses(graph, facts, as_of)
    return graph


def _apply_statuses(graph: nx.MultiDiGraph, facts: _Facts, as_of: Period | None) -> None:
    """Give each agreement or policy the status set by its latest status change kept in the graph."""
    latest: dict[str, tuple[str, str]] = {}
    for subject, predicate, obj, _ in facts.edges:
        if predicate != KG + "affects" or subject not in graph or obj not in graph:
            continue
        change = graph.nodes[subject]
        if "status" in change:
            key = (change.get("date", ""), change["status"])
            if obj not in latest or key > latest[obj]:
                latest[obj] = key
    for iri, (_, status) in latest.items():
        graph.nodes[iri]["status"] = status


def contracted(graph: nx.MultiDiGraph) -> nx.MultiGraph:
    """Replace each hub node (event, ruling, claim, office term, poll result) by labelled edges
    between its neighbours: "host / guest in Japan-ROK summit of 16 March 2023"."""
    import networkx as nx

    result = nx.MultiGraph()
    for node, data in graph.nodes(data=True):
        if not data["hub"]:
            result.add_node(node, **data)
    for source, target, key, data in graph.edges(keys=True, data=True):
        if not graph.nodes[source]["hub"] and not graph.nodes[target]["hub"]:
            result.add_edge(source, target, key=key, **data)
    for hub, data in graph.nodes(data=True):
        if not data["hub"]:
            continue
        roles = _neighbour_roles(graph, hub)
        for (a, role_a, quote_a), (b, role_b, quote_b) in combinations(roles, 2):
            if a == b:
                continue
            label = f"{role_a} / {role_b} in {data['label']}"
            quote = quote_a if quote_a == quote_b else f"{quote_a}\n{quote_b}"
            result.add_edge(a, b, key=f"{hub}|{role_a}|{role_b}", relation="via", label=label,
                            via=hub, date=data["date"], quote=quote, claim=data["top"] == "Claim")
    return result


def _neighbour_roles(graph: nx.MultiDiGraph, hub: str) -> list[tuple[str, str, str]]:
    roles = []
    for _, target, data in graph.out_edges(hub, data=True):
        if not graph.nodes[target]["hub"]:
            roles.append((target, data["label"], data["quote"]))
    for source, _, data in graph.in_edges(hub, data=True):
        if not graph.nodes[source]["hub"]:
            roles.append((source, f"{data['label']} of", data["quote"]))
    return sorted(roles)


def _sign(graph: nx.MultiDiGraph, hub: str) -> int:
    data = graph.nodes[hub]
    if data["kind"] in CONFLICT_CLASSES or data["top"] in CONFLICT_CLASSES:
        return -1
    if data["top"] == "Claim":
        return -1 if data.get("claim_type") in CONFLICT_CLAIMS else 0
    if data["kind"] in COOPERATION_CLASSES or data["top"] == "Agreement":
        return 1
    return 0


def actor_network(graph: nx.MultiDiGraph) -> nx.Graph:
    """Actors linked when they share an event, agreement, dispute, ruling, claim or policy.

    Edge attributes: weight (how many shared nodes), sign (+1 cooperation, -1 conflict, 0 mixed or
    neutral) and via (labels of the shared nodes, sorted).
    """
    import networkx as nx

    network = nx.Graph()
    actors = sorted(n for n, d in graph.nodes(data=True) if d["top"] == "Actor")
    for actor in actors:
        network.add_node(actor, **graph.nodes[actor])
    shared: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for node in sorted(graph.nodes):
        data = graph.nodes[node]
        if data["top"] == "Actor":
            continue
        linked = sorted({n for n in nx.all_neighbors(graph, node) if graph.nodes[n]["top"] == "Actor"})
        sign = _sign(graph, node)
        for a, b in combinations(linked, 2):
            shared[(a, b)].append((data["label"], sign))
    for source, target, data in graph.edges(data=True):
        if graph.nodes[source]["top"] == "Actor" and graph.nodes[target]["top"] == "Actor" and source != target:
            a, b = sorted((source, target))
            shared[(a, b)].append((data["label"], 0))
    for (a, b), links in sorted(shared.items()):
        total = sum(sign for _, sign in links)
        network.add_edge(a, b, weight=len(links), sign=(total > 0) - (total < 0),
                         via="; ".join(sorted({label for label, _ in links})))
    return network


def actor_issue_graph(graph: nx.MultiDiGraph) -> nx.Graph:
    """Bipartite actors–disputes: an actor is linked to a dispute it is party to, or that an event,
    claim, ruling or policy it takes part in concerns (weight: how many such links)."""
    import networkx as nx

    bipartite = nx.Graph()
    disputes = sorted(n for n, d in graph.nodes(data=True) if d["top"] == "Dispute")
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for dispute in disputes:
        for neighbour in sorted(set(nx.all_neighbors(graph, dispute))):
            kind = graph.nodes[neighbour]["top"]
            if kind == "Actor":
                counts[(neighbour, dispute)] += 1
                continue
            for actor in set(nx.all_neighbors(graph, neighbour)):
                if graph.nodes[actor]["top"] == "Actor":
                    counts[(actor, dispute)] += 1
    for (actor, dispute), weight in sorted(counts.items()):
        bipartite.add_node(actor, bipartite=0, **graph.nodes[actor])
        bipartite.add_node(dispute, bipartite=1, **graph.nodes[dispute])
        bipartite.add_edge(actor, dispute, weight=weight)
    return bipartite


VIEWS = ("full", "contracted", "actors", "bipartite")


def view(graph: nx.MultiDiGraph, name: str) -> Any:
    """One of the named views of an entity graph."""
    if name == "full":
        return graph
    if name == "contracted":
        return contracted(graph)
    if name == "actors":
        return actor_network(graph)
    if name == "bipartite":
        return actor_issue_graph(graph)
    raise ValueError(f"unknown view {name!r}; choose from {', '.join(VIEWS)}")


def to_networkx(store: Store) -> nx.MultiDiGraph:
    """The full entity graph with attributes GraphML and GEXF can hold (strings and booleans)."""
    graph = entity_graph(store)
    for _, data in graph.nodes(data=True):
        data.pop("quotes", None)
    return graph

