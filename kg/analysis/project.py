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
from itertools import combinations
from typing import TYPE_CHECKING, Any

from kg.dates import Period, period, window
from kg.errors import ParameterError
from kg.namespaces import KG, KGC, shorten
from kg.snapshot import TOP_CLASSES, Snapshot, snapshot_of
from kg.storage.protocol import GraphStore

if TYPE_CHECKING:
    import networkx as nx

# Which top-level kinds are n-ary "hub" nodes that can be contracted.
HUB_KINDS = frozenset({"Event", "Ruling", "Claim", "OfficeTerm", "PollResult", "DisputeSide"})
TEMPORAL_KINDS = frozenset({"Event", "Ruling", "Claim", "OfficeTerm", "PollResult", "Agreement", "Policy"})
CONFLICT_CLASSES = frozenset({"Dispute", "Ruling", "Incident", "LegalProceeding"})
COOPERATION_CLASSES = frozenset(
    {
        "Agreement",
        "Summit",
        "Visit",
        "Dialogue",
        "MilitaryExercise",
        "PressConference",
        "Invitation",
        "Treaty",
        "JointDeclaration",
        "JointStatement",
        "Arrangement",
        "Fund",
        "SecurityAgreement",
    }
)
CONFLICT_CLAIMS = frozenset({KGC + c for c in ("rejection", "denunciation", "complaint", "demand", "doubt")})
# Links from a claim to the proposition it asserts: kept as the claim's own edges, flagged.
CLAIM_LINKS = frozenset({KG + "claimedSubject", KG + "claimedObject"})


def _period_of(node: dict[str, Any]) -> Period | None:
    when = node.get("date") or node.get("since")
    return period(when) if when else None


def _keep(node: dict[str, Any], as_of: Period | None, between: Period | None) -> bool:
    when = _period_of(node)
    if when is None:
        # A snapshot keeps only what certainly happened by then: an undated event, claim, agreement
        # or policy might not have; actors, places, offices and issues persist.
        return (as_of is None and between is None) or node.get("top") not in TEMPORAL_KINDS
    if as_of is not None and when.last > as_of.last:
        return False
    return not (between is not None and (when.last < between.first or when.first > between.last))


def entity_graph(
    source: GraphStore | Snapshot,
    *,
    as_of: Period | None = None,
    between: Period | tuple[Period, Period] | None = None,
    classes: Iterable[str] = (),
) -> nx.MultiDiGraph:
    """Entities as nodes and evidenced relations as edges, optionally as of a date or in a period
    (`between`: a Period, e.g. `kg.dates.span(start, end)`).

    `classes` keeps only nodes whose class or top-level class is named (e.g. "Actor", "Summit").
    """
    import networkx as nx

    facts = snapshot_of(source)
    between = window(between)
    wanted = set(classes)
    unknown = sorted(wanted - facts.class_names - set(TOP_CLASSES))
    if unknown:
        raise ParameterError(
            f"unknown class {', '.join(unknown)} (classes: {', '.join(TOP_CLASSES)}, "
            "or any class of the ontology such as Summit or Treaty)"
        )
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
        quote, cited = facts.evidence[evidence_graph]
        if graph.has_edge(subject, obj, key=predicate):
            existing = graph.edges[subject, obj, predicate]
            existing.update(quote=quote, source=cited, evidence=existing["evidence"] + 1)
            continue
        date = graph.nodes[subject]["date"] or graph.nodes[obj]["date"]
        graph.add_edge(
            subject,
            obj,
            key=predicate,
            relation=shorten(predicate),
            label=facts.relation_labels.get(predicate, shorten(predicate)),
            date=date,
            quote=quote,
            source=cited,
            claim=predicate in CLAIM_LINKS,
            evidence=1,
        )
    _apply_statuses(graph, facts, as_of, between)
    return graph


def _apply_statuses(
    graph: nx.MultiDiGraph, facts: Snapshot, as_of: Period | None, between: Period | None = None
) -> None:
    """Give each agreement or policy the status set by its latest status change that had happened by
    `as_of` (or by the end of `between`), whether or not the change itself is in the graph."""
    cut = as_of if as_of is not None else between
    latest: dict[str, tuple[str, str]] = {}
    for subject, predicate, obj, _ in facts.edges:
        if predicate != KG + "affects" or obj not in graph:
            continue
        change = facts.nodes[subject]
        if "status" in change and _keep(change, cut, None):
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
            result.add_edge(
                a,
                b,
                key=f"{hub}|{role_a}|{role_b}",
                relation="via",
                label=label,
                via=hub,
                date=data["date"],
                quote=quote,
                claim=data["top"] == "Claim",
            )
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
        network.add_edge(
            a,
            b,
            weight=len(links),
            sign=(total > 0) - (total < 0),
            via="; ".join(sorted({label for label, _ in links})),
        )
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


def to_networkx(source: GraphStore | Snapshot) -> nx.MultiDiGraph:
    """The full entity graph with attributes GraphML and GEXF can hold (strings and booleans)."""
    graph = entity_graph(source)
    for _, data in graph.nodes(data=True):
        data.pop("quotes", None)
    return graph


def projected(source: GraphStore | Snapshot, *, as_of: Period | None = None, view_name: str = "full") -> Any:
    """The store read once, its entity graph (as of a date) and one of its VIEWS: what `kg analyze`
    measures. On a terminal a progress bar names the step (kg.progress)."""
    from kg import progress

    with progress.task("Projecting", total=3, unit="step") as bar:
        bar.describe("reading the store")
        facts = snapshot_of(source)
        bar.advance()
        bar.describe(f"entity graph of {len(facts.nodes):,} entities")
        graph = entity_graph(facts, as_of=as_of)
        bar.advance()
        bar.describe(f"{view_name} view")
        shown = view(graph, view_name)
        bar.advance()
    return shown
