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
from kg.neighbourhood import anchored
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

    On an embedded store only the entities around the two ends are read (`kg.neighbourhood`), in
    rounds: the paths are searched among the entities read in full, and the search grows until no
    path leaving them can cost less than the k-th path found (every step costs at least its lower
    bound from what was read), or PATH_MAX_ENTITIES entities were read.
    """
    if k < 1:
        raise ParameterError(f"k must be 1 or more, not {k}")
    reader = anchored(source)
    if reader is None:
        snap = snapshot_of(source)
        start, target = find_entity(snap, a), find_entity(snap, b)
        return _paths(snap, start.iri, target.iri, (a, b), k, as_of, avoid_hubs, None)[0]
    start, target = find_entity(source, a), find_entity(source, b)
    reader.full([start.iri, target.iri])
    while True:
        inside = reader.read_in_full()
        paths, wanted = _paths(reader.snapshot(), start.iri, target.iri, (a, b), k, as_of, avoid_hubs, inside)
        if not wanted:
            return paths
        if len(inside) > PATH_MAX_ENTITIES:
            if len(paths) >= k:
                return paths
            # fewer than k paths among everything read so far: the whole store answers instead
            whole = snapshot_of(source)
            return _paths(whole, start.iri, target.iri, (a, b), k, as_of, avoid_hubs, None)[0]
        reader.full(wanted)


# How many entities the anchored path search reads in full at most (see explain_paths): past it, the
# k paths found among them are returned as they are (between two hubs, such as two states with
# thousands of events each, the k cheapest may then not be the whole graph's); with fewer than k
# found, the whole store is read and searched.
PATH_MAX_ENTITIES = 5_000


def _paths(
    snap: Snapshot,
    start: str,
    target: str,
    names: tuple[str, str],
    k: int,
    as_of: Period | None,
    avoid_hubs: bool,
    inside: set[str] | None,
) -> tuple[list[ExplainedPath], set[str]]:
    """The k cheapest paths through the entities `inside` (None: all), and the entities outside
    to read in full before they are certainly the k cheapest of the whole graph (empty: they are)."""
    import networkx as nx

    graph = entity_graph(snap, as_of=as_of)
    _require_node(graph, start, names[0], _when(as_of))
    _require_node(graph, target, names[1], _when(as_of))
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
    whole = undirected
    if inside is not None:  # costs are exact (degrees whole) only between entities read in full
        undirected = whole.subgraph([n for n in whole if n in inside])
    try:
        found = list(islice(nx.shortest_simple_paths(undirected, start, target, weight="cost"), k))
    except nx.NetworkXNoPath:
        found = []
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
    if inside is None:
        return paths, set()
    return paths, _outside(whole, undirected, start, target, paths[-1].cost if len(paths) == k else None)


def _outside(whole: nx.Graph, inner: nx.Graph, start: str, target: str, limit: float | None) -> set[str]:
    """Entities outside `inner` a path cheaper than `limit` (None: any path) might go through.

    A path that leaves `inner` costs at least: the cheapest way inside from `start` to a last entity
    u, the step from u out (its cost from what was read is a lower bound: the entity outside may have
    more links than read), and the same from `target`'s side."""
    import networkx as nx

    sides = []
    for end in (start, target):
        reach = nx.single_source_dijkstra_path_length(inner, end, weight="cost") if end in inner else {}
        steps: dict[str, float] = {}
        for u, d in reach.items():
            for v, data in whole[u].items():
                if v not in inner and d + data["cost"] < steps.get(v, float("inf")):
                    steps[v] = d + data["cost"]
        sides.append(steps)
    if not sides[0] or not sides[1]:
        return set()  # one end cannot leave: every path stays inside
    least = [min(steps.values()) for steps in sides]
    if limit is None:  # no k paths yet: grow the side with fewer entities to read by one hop
        side = 0 if len(sides[0]) <= len(sides[1]) else 1
        return set(sides[side])
    if least[0] + least[1] > limit:
        return set()
    return {v for v, d in sides[0].items() if d + least[1] <= limit} | {
        v for v, d in sides[1].items() if d + least[0] <= limit
    }


def neighbors(
    source: GraphStore | Snapshot, name: str, *, hops: int = 1, as_of: Period | None = None
) -> list[dict[str, Any]]:
    """Entities within `hops` links of one entity, nearest first, with the link that reaches them."""

    if hops < 0:
        raise ParameterError(f"hops must be 0 or more, not {hops}")
    reader = anchored(source)
    if reader is not None:
        iri = find_entity(source, name).iri
        reader.attributes([iri])
        seen, frontier = {iri}, {iri}
        for _ in range(hops):
            frontier = reader.full(frontier) - seen
            if not frontier:
                break
            seen |= frontier
        source, name = reader.snapshot(), iri
    snap = snapshot_of(source)
    entity = find_entity(snap, name)
    graph = entity_graph(snap, as_of=as_of)
    _require_node(graph, entity.iri, name, _when(as_of))
    undirected = graph.to_undirected(as_view=True)
    reached = _reached(undirected, entity.iri, hops)
    rows = []
    for node, (distance, previous) in reached.items():
        via = ""
        if previous is not None:
            forward = graph.has_edge(previous, node)
            edges = graph.get_edge_data(previous, node) if forward else graph.get_edge_data(node, previous)
            label = edges[sorted(edges)[0]]["label"]
            other = graph.nodes[previous]["label"]
            via = f"{other} —{label}→" if forward else f"←{label}— {other}"
        data = graph.nodes[node]
        rows.append(
            {
                "distance": distance,
                "label": data["label"],
                "kind": data["kind"],
                "date": data.get("date") or None,
                "via": via or None,
                "node": node,
            }
        )
    return sorted(rows, key=lambda r: (r["distance"], r["kind"], r["label"], r["node"]))


def _reached(graph: Any, start: str, hops: int) -> dict[str, tuple[int, str | None]]:
    """Each node within `hops` links of `start`: its distance and the node it is reached from, the
    first by IRI of its neighbours one link nearer (the same answer whatever order the graph was
    built in: a breadth-first search's own choice followed Python's string hashing, which changes
    from one process to the next)."""
    reached: dict[str, tuple[int, str | None]] = {start: (0, None)}
    frontier = [start]
    for distance in range(1, hops + 1):
        found: dict[str, str] = {}
        for node in frontier:
            for other in graph[node]:
                if other not in reached and (other not in found or node < found[other]):
                    found[other] = node
        if not found:
            break  # nothing further: a large --hops costs no more than the graph's diameter
        reached.update((node, (distance, previous)) for node, previous in found.items())
        frontier = list(found)
    return reached


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
