"""Explained paths, neighbourhoods and timelines: linkages an analyst can read and cite.

Every hop of a path and every timeline entry carries the quote that supports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice, pairwise
from typing import TYPE_CHECKING, Any

from kg.analysis.project import HUB_KINDS, entity_graph
from kg.dates import Period, period, window
from kg.describe import find_entity
from kg.errors import ParameterError, UnknownEntityError
from kg.neighbourhood import Neighbourhood, anchored
from kg.snapshot import Snapshot, snapshot_of
from kg.storage.protocol import GraphStore

if TYPE_CHECKING:
    import networkx as nx


CLAIM_LINK_COST = 3.0


@dataclass(frozen=True)
class Hop:
    """One step of a path: `source —relation→ target` (or `←relation—` when walked backwards)."""

    source: str
    source_label: str
    relation: str
    forward: bool
    target: str
    target_label: str
    date: str
    quote: str
    evidence_source: str = ""

    def sentence(self) -> str:
        arrow = f"—{self.relation}→" if self.forward else f"←{self.relation}—"
        return f"{self.source_label} {arrow} {self.target_label}"


@dataclass
class ExplainedPath:
    hops: list[Hop] = field(default_factory=list)
    cost: float = 0.0

    def lines(self) -> list[str]:
        """The path as readable sentences, each hop followed by its evidence quote."""
        out = []
        for i, hop in enumerate(self.hops, 1):
            out.append(f"{i}. {hop.sentence()}")
            out.append(f"   “{hop.quote}”")
        return out


def _label(graph: nx.MultiDiGraph, node: str) -> str:
    data = graph.nodes[node]
    return f"{data['label']} ({data['date']})" if data.get("date") else str(data["label"])


def _require_node(graph: nx.MultiDiGraph, iri: str, name: str, when: str) -> None:
    if iri not in graph:
        raise UnknownEntityError(f"{name!r} is not in the graph {when}".rstrip())


def _when(as_of: Period | None) -> str:
    return f"as of {as_of.text}" if as_of is not None else ""


def explain_paths(
    source: GraphStore | Snapshot,
    a: str,
    b: str,
    *,
    k: int = 3,
    as_of: Period | None = None,
    avoid_hubs: bool = True,
) -> list[ExplainedPath]:
    """The k cheapest simple paths between two entities (found by label or alias), explained.

    With `avoid_hubs` a step through a node costs more the more links the node has, so paths go
    through specific events and rulings rather than through "Japan" or "Republic of Korea"; a step
    into or out of a claim costs three times a step between facts.
    """
    import networkx as nx

    if k < 1:
        raise ParameterError(f"k must be 1 or more, not {k}")
    inside: set[str] | None = None
    reader = anchored(source)
    if reader is not None:
        a_iri, b_iri = find_entity(source, a).iri, find_entity(source, b).iri
        inside = _between(reader, a_iri, b_iri)
        source, a, b = reader.snapshot(), a_iri, b_iri
    snap = snapshot_of(source)
    start, target = find_entity(snap, a), find_entity(snap, b)
    graph = entity_graph(snap, as_of=as_of)
    _require_node(graph, start.iri, a, _when(as_of))
    _require_node(graph, target.iri, b, _when(as_of))
    undirected = nx.Graph()
    undirected.add_nodes_from(graph.nodes)
    for u, v, _, data in sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        if u == v:
            continue
        pair = tuple(sorted((u, v)))
        if not undirected.has_edge(*pair):
            undirected.add_edge(*pair, links=[])
        undirected.edges[pair]["links"].append((u, v, data))
    for u, v, data in undirected.edges(data=True):
        cost = 1.0
        if avoid_hubs:
            cost = (undirected.degree(u) + undirected.degree(v)) / 2
        if {"Claim", "DisputeSide"} & {graph.nodes[u]["top"], graph.nodes[v]["top"]}:
            cost *= CLAIM_LINK_COST  # what someone says or stands for links less firmly than what happened
        data["cost"] = cost
    if inside is not None:  # costs are known (degrees are whole) only for the entities read in full
        undirected = undirected.subgraph(inside & set(undirected)).copy()
    try:
        found = list(islice(nx.shortest_simple_paths(undirected, start.iri, target.iri, weight="cost"), k))
    except nx.NetworkXNoPath:
        return []
    paths = []
    for nodes in found:
        path = ExplainedPath()
        for u, v in pairwise(nodes):
            links = undirected.edges[tuple(sorted((u, v)))]["links"]
            forward = [link for link in links if link[0] == u]
            s, _, data = (forward or links)[0]
            path.hops.append(
                Hop(
                    source=u,
                    source_label=_label(graph, u),
                    relation=data["label"],
                    forward=s == u,
                    target=v,
                    target_label=_label(graph, v),
                    date=data.get("date", ""),
                    quote=data["quote"],
                    evidence_source=data.get("source", ""),
                )
            )
            path.cost += undirected.edges[tuple(sorted((u, v)))]["cost"]
        paths.append(path)
    return paths


def neighbors(
    source: GraphStore | Snapshot, name: str, *, hops: int = 1, as_of: Period | None = None
) -> list[dict[str, Any]]:
    """Entities within `hops` links of one entity, nearest first, with the link that reaches them."""
    import networkx as nx

    if hops < 0:
        raise ParameterError(f"hops must be 0 or more, not {hops}")
    reader = anchored(source)
    if reader is not None:
        iri = find_entity(source, name).iri
        reader.attributes([iri])
        seen, frontier = {iri}, {iri}
        for _ in range(hops):
            frontier = reader.full(frontier) - seen
            seen |= frontier
        source, name = reader.snapshot(), iri
    snap = snapshot_of(source)
    entity = find_entity(snap, name)
    graph = entity_graph(snap, as_of=as_of)
    _require_node(graph, entity.iri, name, _when(as_of))
    undirected = nx.Graph(graph.to_undirected(as_view=True))
    reached = nx.single_source_shortest_path(undirected, entity.iri, cutoff=hops)
    rows = []
    for node, path in reached.items():
        via = ""
        if len(path) > 1:
            previous = path[-2]
            forward = graph.has_edge(previous, node)
            edges = graph.get_edge_data(previous, node) if forward else graph.get_edge_data(node, previous)
            label = edges[sorted(edges)[0]]["label"]
            other = graph.nodes[previous]["label"]
            via = f"{other} —{label}→" if forward else f"←{label}— {other}"
        data = graph.nodes[node]
        rows.append(
            {
                "distance": len(path) - 1,
                "label": data["label"],
                "kind": data["kind"],
                "date": data.get("date") or None,
                "via": via or None,
                "node": node,
            }
        )
    return sorted(rows, key=lambda r: (r["distance"], r["kind"], r["label"]))


def _between(reader: Neighbourhood, a: str, b: str) -> set[str]:
    """Read the entities around `a` and `b` in full, hop by hop from the side with the smaller
    frontier, until the two sides meet and then PATH_MARGIN hops more (at most PATH_MAX_HOPS hops
    in all, PATH_MAX_ENTITIES entities): the entities a path may go through."""
    sides = [({a} | reader.full([a]), reader.full([a]) - {a}), ({b} | reader.full([b]), reader.full([b]) - {b})]
    hops = 2
    margin = PATH_MARGIN if sides[0][0] & sides[1][0] else None
    while hops < PATH_MAX_HOPS and (margin is None or margin > 0):
        side = min((0, 1), key=lambda i: (len(sides[i][1]), i))
        seen, frontier = sides[side]
        if not frontier:
            side = 1 - side
            seen, frontier = sides[side]
            if not frontier:
                break
        reached = reader.full(frontier) - seen
        sides[side] = (seen | reached, reached)
        hops += 1
        if margin is None and sides[0][0] & sides[1][0]:
            margin = PATH_MARGIN
        elif margin is not None:
            margin -= 1
        if sum(len(s) for s, _ in sides) > PATH_MAX_ENTITIES:
            break
    return reader.read_in_full()


# Bounds of the anchored path search (see _between): both sides meet within PATH_MAX_HOPS hops.
PATH_MARGIN = 2
PATH_MAX_HOPS = 8
PATH_MAX_ENTITIES = 200_000

TIMELINE_KINDS = frozenset({"Event", "Ruling", "Agreement", "Policy", "Claim"})


def timeline(
    source: GraphStore | Snapshot,
    *,
    actor: str | None = None,
    between: Period | tuple[Period, Period] | None = None,
) -> list[dict[str, Any]]:
    """Dated events, rulings, agreements, status changes and claims in date order, with evidence.

    `actor` keeps entries the actor takes part in (directly, or through the event they belong to);
    `between` keeps entries that may fall in the period (dates of any precision).
    """
    import networkx as nx

    reader = anchored(source) if actor is not None else None
    if reader is not None and actor is not None:
        iri = find_entity(source, actor).iri
        around = reader.full([iri])
        hubs = {n for n in around if reader.top(n) in HUB_KINDS}
        around |= {n for n in reader.full(hubs) if reader.top(n) != "Actor"}
        reader.full({n for n in around if reader.top(n) in TIMELINE_KINDS})  # their actors
        source, actor = reader.snapshot(), iri
    snap = snapshot_of(source)
    graph = entity_graph(snap, between=window(between))
    involved: set[str] | None = None
    if actor is not None:
        who = find_entity(snap, actor)
        if who.iri not in graph:
            raise UnknownEntityError(f"{actor!r} is not in the graph")
        involved = set(nx.all_neighbors(graph, who.iri)) | {who.iri}
        involved |= {
            n
            for hub in list(involved)
            for n in nx.all_neighbors(graph, hub)
            if graph.nodes[hub]["hub"] and graph.nodes[n]["top"] != "Actor"
        }
    rows = []
    for node, data in graph.nodes(data=True):
        when = period(data["date"]) if data.get("date") else None
        if when is None or data["top"] not in TIMELINE_KINDS:
            continue
        if involved is not None and node not in involved:
            continue
        actors = sorted(
            {graph.nodes[n]["label"] for n in nx.all_neighbors(graph, node) if graph.nodes[n]["top"] == "Actor"}
        )
        rows.append(
            {
                "date": data["date"],
                "kind": data["kind"],
                "label": data["label"],
                "status": data.get("status") or None,
                "actors": actors,
                "quote": data["quotes"][0][0] if data["quotes"] else None,
                "node": node,
                "_sort": (when.first, when.last, data["label"]),
            }
        )
    rows.sort(key=lambda r: r.pop("_sort"))
    return rows
