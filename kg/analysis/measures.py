"""Linkage analysis over networkx graphs: centrality, communities, brokers, k-core.

networkx is the model and the API; above ``ENGINE_THRESHOLD`` nodes the heavy algorithms run in
igraph (compiled) behind the same functions, which is 10–40× faster on this machine (see
bench/README.md). Results are plain rows (lists of dicts), deterministic for a given seed.
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import networkx as nx

    from kg.storage.location import Location

ENGINE_THRESHOLD = 2000
ENGINES = ("auto", "networkx", "igraph")
# Exact betweenness up to this many nodes; above, from DEFAULT_SAMPLES sources drawn with the seed
EXACT_BETWEENNESS_LIMIT = 1000
DEFAULT_SAMPLES = 128


def simple_undirected(graph: Any) -> nx.Graph:
    """Collapse a (multi)(di)graph to an undirected simple graph; parallel links add up in `weight`.

    A graph that is already simple and undirected is returned as it is.
    """
    import networkx as nx

    if type(graph) is nx.Graph:
        return graph
    weights: dict[tuple[str, str], float] = {}
    multi = graph.is_multigraph()
    for source, target, data in graph.edges(data=True):
        if source == target:
            continue
        pair = (source, target) if source <= target else (target, source)
        weights[pair] = weights.get(pair, 0) + (1 if multi else data.get("weight", 1))
    simple = nx.Graph()
    simple.add_nodes_from(sorted(graph.nodes(data=True), key=lambda item: item[0]))
    simple.add_edges_from((u, v, {"weight": w}) for (u, v), w in sorted(weights.items()))
    return simple


def _engine(graph: nx.Graph, engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}")
    if engine == "auto":
        return "igraph" if graph.number_of_nodes() > ENGINE_THRESHOLD else "networkx"
    return engine


@dataclass(frozen=True)
class _IGraph:
    graph: Any
    names: list[str]


_CONVERTED: weakref.WeakKeyDictionary[Any, tuple[int, int, _IGraph]] = weakref.WeakKeyDictionary()


def igraph_of(graph: Any) -> _IGraph:
    """The graph collapsed as `simple_undirected` collapses it, straight into igraph (no networkx copy
    in between), converted once per graph object: every measure of one run shares it. Vertices are
    the nodes in sorted order; edges, in (source, target) order, carry `weight`."""
    cached = _CONVERTED.get(graph)
    if cached is not None and cached[:2] == (graph.number_of_nodes(), graph.number_of_edges()):
        return cached[2]
    converted = _convert(graph)
    _CONVERTED[graph] = (graph.number_of_nodes(), graph.number_of_edges(), converted)
    return converted


def _to_igraph(graph: nx.Graph) -> _IGraph:
    """The (simple) graph in igraph, converted once per graph object."""
    return igraph_of(graph)


def _convert(graph: Any) -> _IGraph:
    import networkx as nx

    from kg.analysis.igraph_import import load_igraph

    igraph = load_igraph()

    if type(graph) is nx.Graph:  # simple_undirected keeps a simple graph as it is (self-loops too)
        names = list(graph.nodes)
        index = {name: i for i, name in enumerate(names)}
        edges = [(index[u], index[v]) for u, v in graph.edges]
        converted = igraph.Graph(n=len(names), edges=edges, directed=False)
        converted.es["weight"] = [float(d.get("weight", 1)) for _, _, d in graph.edges(data=True)]
        return _IGraph(converted, names)
    names = sorted(graph.nodes)
    index = {name: i for i, name in enumerate(names)}
    pairs: list[tuple[int, int]] = []
    weights: list[float] = []
    if graph.is_multigraph():
        for u, v in graph.edges():
            if u != v:
                pairs.append((index[u], index[v]))
        weights = [1.0] * len(pairs)
    else:
        for u, v, w in graph.edges(data="weight", default=1):
            if u != v:
                pairs.append((index[u], index[v]))
                weights.append(float(w))
    converted = igraph.Graph(n=len(names), edges=pairs, directed=False)
    converted.es["weight"] = weights
    # parallel links (and both directions of a directed pair) add up, as in simple_undirected
    converted.simplify(multiple=True, loops=True, combine_edges={"weight": "sum"})
    return _IGraph(converted, names)


@dataclass
class Context:
    """What a measure's function gets besides the graph: seed, sampled betweenness sources, and a cache
    shared by the measures of one run (communities and brokers are computed once)."""

    seed: int = 0
    samples: int | None = None
    engine: str = "auto"
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Measure:
    """One measure of a node: the column of `kg analyze`, the `--size` choice (centralities), the
    property `--write-back` stores (declared in ontology/kg.ttl), and how it is computed: `networkx`
    (simple undirected graph, Context) -> {node: value}; a centrality may add `igraph`
    (_IGraph, Context) -> [value per node] for large graphs."""

    name: str
    kind: str  # "centrality" (a float, sizes nodes), "community" or "structure"
    property: str  # local name in the kg: ontology
    datatype: str  # "decimal", "integer" or "boolean"
    description: str
    networkx: Callable[[Any, Context], dict[str, Any]]
    igraph: Callable[[Any, Context], list[Any]] | None = None


def _degree(simple: nx.Graph, ctx: Context) -> dict[str, Any]:
    import networkx as nx

    return dict(nx.degree_centrality(simple))


def _degree_ig(ig: _IGraph, ctx: Context) -> list[float]:
    n = ig.graph.vcount()
    return [d / max(n - 1, 1) for d in ig.graph.degree()]


def _betweenness(simple: nx.Graph, ctx: Context) -> dict[str, Any]:
    import networkx as nx

    return dict(nx.betweenness_centrality(simple, k=ctx.samples, seed=ctx.seed))


def _betweenness_ig(ig: _IGraph, ctx: Context) -> list[float]:
    n = ig.graph.vcount()
    if ctx.samples:
        sources = random.Random(ctx.seed).sample(range(n), ctx.samples)
        raw, scale = ig.graph.betweenness(vertices=None, directed=False, sources=sources), n / ctx.samples
    else:
        raw, scale = ig.graph.betweenness(directed=False), 1.0
    norm = 2 / ((n - 1) * (n - 2)) if n > 2 else 1.0
    return [b * scale * norm for b in raw]


def _pagerank(simple: nx.Graph, ctx: Context) -> dict[str, Any]:
    import networkx as nx

    return dict(nx.pagerank(simple, weight="weight"))


def _pagerank_ig(ig: _IGraph, ctx: Context) -> list[float]:
    return list(ig.graph.pagerank(weights="weight", implementation="arpack"))


def _eigenvector_nx(simple: nx.Graph, ctx: Context) -> dict[str, Any]:
    return {k: abs(v) for k, v in _eigenvector(simple).items()}


def _eigenvector_ig(ig: _IGraph, ctx: Context) -> list[float]:
    return _igraph_eigenvector(ig)


def _community(simple: nx.Graph, ctx: Context) -> dict[str, Any]:
    groups, modularity = communities(simple, seed=ctx.seed, engine=ctx.engine)
    ctx.cache["communities"], ctx.cache["modularity"] = groups, modularity
    return {node: i for i, group in enumerate(groups) for node in group}


def _community_ig(ig: _IGraph, ctx: Context) -> list[Any]:
    groups, modularity = _igraph_communities(ig, ctx.seed, 1.0)
    ctx.cache["communities"], ctx.cache["modularity"] = groups, modularity
    number = {node: i for i, group in enumerate(groups) for node in group}
    return [number[name] for name in ig.names]


def _brokers(simple: nx.Graph, ctx: Context) -> dict[str, Any]:
    if "brokers" not in ctx.cache:
        ctx.cache["brokers"] = brokers(simple)
    found: dict[str, Any] = ctx.cache["brokers"]
    return found


def _broker(simple: nx.Graph, ctx: Context) -> dict[str, Any]:
    articulation = set(_brokers(simple, ctx)["articulation_points"])
    return {node: node in articulation for node in simple}


def _core(simple: nx.Graph, ctx: Context) -> dict[str, Any]:
    return dict(_brokers(simple, ctx)["core_number"])


def _brokers_ig(ig: _IGraph, ctx: Context) -> dict[str, Any]:
    if "brokers" not in ctx.cache:
        ctx.cache["brokers"] = _igraph_brokers(ig)
    found: dict[str, Any] = ctx.cache["brokers"]
    return found


def _broker_ig(ig: _IGraph, ctx: Context) -> list[Any]:
    articulation = set(_brokers_ig(ig, ctx)["articulation_points"])
    return [name in articulation for name in ig.names]


def _core_ig(ig: _IGraph, ctx: Context) -> list[Any]:
    core = _brokers_ig(ig, ctx)["core_number"]
    return [core[name] for name in ig.names]


# The measures, in column order. Adding one: an entry here and its property in ontology/kg.ttl.
MEASURES: tuple[Measure, ...] = (
    Measure(
        "degree",
        "centrality",
        "degreeCentrality",
        "decimal",
        "share of the other nodes a node is linked to",
        _degree,
        _degree_ig,
    ),
    Measure(
        "betweenness",
        "centrality",
        "betweenness",
        "decimal",
        "share of shortest paths through the node (sampled above 1,000 nodes)",
        _betweenness,
        _betweenness_ig,
    ),
    Measure(
        "pagerank",
        "centrality",
        "pagerank",
        "decimal",
        "PageRank over the undirected, weighted graph",
        _pagerank,
        _pagerank_ig,
    ),
    Measure(
        "eigenvector",
        "centrality",
        "eigenvectorCentrality",
        "decimal",
        "eigenvector centrality on the largest component, the top node 1",
        _eigenvector_nx,
        _eigenvector_ig,
    ),
    Measure(
        "community",
        "community",
        "community",
        "integer",
        "Louvain (Leiden on large graphs) community, 0 the largest",
        _community,
        _community_ig,
    ),
    Measure(
        "broker",
        "structure",
        "broker",
        "boolean",
        "articulation point: removing it disconnects the graph",
        _broker,
        _broker_ig,
    ),
    Measure("core", "structure", "coreNumber", "integer", "k-core number", _core, _core_ig),
)
CENTRALITIES = tuple(m.name for m in MEASURES if m.kind == "centrality")


def measure(name: str) -> Measure:
    """The measure called `name`; ValueError naming the known ones."""
    for item in MEASURES:
        if item.name == name:
            return item
    raise ValueError(f"unknown measure {name!r}; choose from {', '.join(m.name for m in MEASURES)}")


def _samples(n: int, samples: int | None) -> int | None:
    """Betweenness sources for a graph of n nodes: `samples`, else exact up to EXACT_BETWEENNESS_LIMIT
    nodes and DEFAULT_SAMPLES above; None (exact) when there are no more nodes than sources."""
    if samples is None and n > EXACT_BETWEENNESS_LIMIT:
        samples = DEFAULT_SAMPLES
    return samples if samples is not None and samples < n else None


def _scores(graph: Any, items: tuple[Measure, ...], ctx: Context, bar: Any = None) -> dict[str, dict[str, Any]]:
    """{measure: {node: value}} for `items`: in igraph when the engine says so (the graph collapsed
    straight into igraph, once), else in networkx on `simple_undirected(graph)`. `bar` (a progress
    task) advances once per measure."""
    ig = igraph_of(graph) if _engine(graph, ctx.engine) == "igraph" else None
    simple = None
    scores: dict[str, dict[str, Any]] = {}
    for item in items:
        if bar is not None:
            bar.describe(item.name)
        if ig is not None and item.igraph is not None:
            scores[item.name] = dict(zip(ig.names, item.igraph(ig, ctx), strict=True))
        else:
            simple = simple if simple is not None else simple_undirected(graph)
            scores[item.name] = item.networkx(simple, ctx)
        if bar is not None:
            bar.advance()
    return scores


def _rows(graph: Any, scores: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per node with every score (decimals rounded to 6 places), sorted by PageRank then label."""
    rows = []
    for name in sorted(graph.nodes):
        data = graph.nodes[name]
        row = {"node": name, "label": data.get("label", name), "kind": data.get("kind", "")}
        for item in MEASURES:
            if item.name not in scores:
                continue
            values = scores[item.name]
            if item.kind == "centrality":
                row[item.name] = round(values[name], 6)
            else:
                default = False if item.datatype == "boolean" else (-1 if item.name == "community" else 0)
                row[item.name] = values.get(name, default)
        rows.append(row)
    return sorted(rows, key=lambda r: (-r["pagerank"], r["label"], r["node"]))


def centrality(graph: Any, *, seed: int = 0, samples: int | None = None, engine: str = "auto") -> list[dict[str, Any]]:
    """Every centrality of MEASURES for every node (betweenness from `samples` sampled sources; by
    default exact up to EXACT_BETWEENNESS_LIMIT nodes, else DEFAULT_SAMPLES), sorted by PageRank then
    label."""
    n = graph.number_of_nodes()
    if n == 0:
        return []
    ctx = Context(seed=seed, samples=_samples(n, samples), engine=engine)
    return _rows(graph, _scores(graph, tuple(m for m in MEASURES if m.kind == "centrality"), ctx))


def node_sizes(graph: Any, name: str, *, seed: int = 0, engine: str = "auto") -> dict[str, float]:
    """One centrality of every node (only that one is computed), for sizing nodes on a page (`--size`)."""
    if name not in CENTRALITIES:
        raise ValueError(f"unknown centrality {name!r}; choose from {', '.join(CENTRALITIES)}")
    n = graph.number_of_nodes()
    if n == 0:
        return {}
    ctx = Context(seed=seed, samples=_samples(n, None), engine=engine)
    values = _scores(graph, (measure(name),), ctx)[name]
    return {node: round(values[node], 6) for node in sorted(graph.nodes)}


def _eigenvector(simple: nx.Graph) -> dict[str, float]:
    """Eigenvector centrality on the largest connected component (it is undefined across components),
    scaled so the most central node has 1."""
    import networkx as nx

    scores = dict.fromkeys(simple, 0.0)
    if simple.number_of_edges() == 0:
        return scores
    largest = simple.subgraph(max(nx.connected_components(simple), key=lambda c: (len(c), sorted(c)[0])))
    if largest.number_of_nodes() > 2:
        values = {k: abs(v) for k, v in nx.eigenvector_centrality_numpy(largest, weight="weight").items()}
        top = max(values.values()) or 1.0
        scores.update({k: v / top for k, v in values.items()})
    return scores


def _igraph_eigenvector(ig: _IGraph) -> list[float]:
    """igraph's eigenvector centrality, on the largest component like `_eigenvector`, max scaled to 1."""
    if ig.graph.ecount() == 0:
        return [0.0] * ig.graph.vcount()
    components = ig.graph.connected_components()
    largest = max(components, key=lambda c: (len(c), min(ig.names[i] for i in c)))
    scores = [0.0] * ig.graph.vcount()
    if len(largest) > 2:
        sub = ig.graph.induced_subgraph(largest)
        values = sub.eigenvector_centrality(weights="weight", scale=True)
        for index, value in zip(largest, values, strict=True):
            scores[index] = value
    return scores


def communities(
    graph: Any, *, seed: int = 0, engine: str = "auto", resolution: float = 1.0
) -> tuple[list[list[str]], float]:
    """Louvain communities (Leiden in igraph on large graphs), largest first, members sorted, and their
    modularity; same seed, same result."""
    import networkx as nx

    if _engine(graph, engine) == "igraph":
        ig = igraph_of(graph)
        if ig.graph.ecount() == 0:
            return [[n] for n in sorted(ig.names)], 0.0
        return _igraph_communities(ig, seed, resolution)
    simple = simple_undirected(graph)
    if simple.number_of_edges() == 0:
        return [[n] for n in sorted(simple)], 0.0
    groups = [
        list(c) for c in nx.community.louvain_communities(simple, weight="weight", seed=seed, resolution=resolution)
    ]
    modularity = nx.community.modularity(simple, groups, weight="weight", resolution=resolution)
    return sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0])), modularity


def _igraph_communities(ig: _IGraph, seed: int, resolution: float) -> tuple[list[list[str]], float]:
    """Leiden, Louvain's refinement (communities are connected): 3-16x faster than igraph's Louvain
    here, with higher modularity (bench/README.md)."""
    from kg.analysis.igraph_import import load_igraph

    igraph = load_igraph()
    if ig.graph.ecount() == 0:
        return [[n] for n in sorted(ig.names)], 0.0
    igraph.set_random_number_generator(random.Random(seed))
    try:
        clustering = ig.graph.community_leiden(
            objective_function="modularity", weights="weight", resolution=resolution, n_iterations=2
        )
    finally:
        igraph.set_random_number_generator(random)
    groups = [[ig.names[i] for i in members] for members in clustering]
    modularity = ig.graph.modularity(clustering.membership, weights="weight", resolution=resolution)
    return sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0])), modularity


def brokers(graph: Any, *, engine: str = "auto") -> dict[str, Any]:
    """Articulation points (nodes whose removal disconnects the graph), bridges, and k-core numbers."""
    import networkx as nx

    if _engine(graph, engine) == "igraph":
        return _igraph_brokers(igraph_of(graph))
    simple = simple_undirected(graph)
    if simple is graph:
        simple = simple.copy()
    simple.remove_edges_from(nx.selfloop_edges(simple))
    return {
        "articulation_points": sorted(nx.articulation_points(simple)),
        "bridges": sorted(tuple(sorted(edge)) for edge in nx.bridges(simple)),
        "core_number": dict(sorted(nx.core_number(simple).items())),
    }


def _igraph_brokers(ig: _IGraph) -> dict[str, Any]:
    """`brokers` in igraph: the same articulation points, bridges and core numbers (self-loops dropped)."""
    graph, names = ig.graph, ig.names
    if any(graph.is_loop()):
        graph = graph.copy()
        graph.simplify(multiple=False, loops=True)
    bridges = (graph.es[i].tuple for i in graph.bridges())
    return {
        "articulation_points": sorted(names[i] for i in graph.articulation_points()),
        "bridges": sorted(tuple(sorted((names[a], names[b]))) for a, b in bridges),
        "core_number": dict(sorted(zip(names, graph.coreness(), strict=True))),
    }


@dataclass
class Analysis:
    """Everything `kg analyze` reports: one row per node, the communities and the brokers."""

    rows: list[dict[str, Any]]
    communities: list[list[str]]
    modularity: float
    brokers: dict[str, Any]


def analyze(graph: Any, *, seed: int = 0, samples: int | None = None, engine: str = "auto") -> Analysis:
    """Every measure of MEASURES, the graph collapsed and converted once; communities and brokers too.
    On a terminal a progress bar names the measure being computed (kg.progress)."""
    from kg import progress

    n = graph.number_of_nodes()
    if n == 0:
        return Analysis([], [], 0.0, {"articulation_points": [], "bridges": [], "core_number": {}})
    ctx = Context(seed=seed, samples=_samples(n, samples), engine=engine)
    with progress.task("Analysing", total=len(MEASURES), unit="measure") as bar:
        scores = _scores(graph, MEASURES, ctx, bar)
    found = ctx.cache.get("brokers") or brokers(graph, engine=engine)
    return Analysis(_rows(graph, scores), ctx.cache["communities"], ctx.cache["modularity"], found)


def analysis_rows(
    graph: Any, *, seed: int = 0, samples: int | None = None, engine: str = "auto"
) -> list[dict[str, Any]]:
    """One row per node: the centralities, its community, whether it is a broker, its k-core."""
    return analyze(graph, seed=seed, samples=samples, engine=engine).rows


def spearman(a: list[str], b: list[str]) -> float:
    """Spearman rank correlation of two orderings of the same items (for comparing engines)."""
    rank_b = {item: i for i, item in enumerate(b)}
    n = len(a)
    if n < 2:
        return 1.0
    d2 = sum((i - rank_b[item]) ** 2 for i, item in enumerate(a))
    return 1 - 6 * d2 / (n * (n * n - 1))


def write_back(location: Location | Path | str, rows: list[dict[str, Any]], parameters: dict[str, Any]) -> int:
    """Replace the graph kgg:analysis with these scores, atomically (a new store generation).

    Each node gets the property of every measure of MEASURES (kg:pagerank, kg:community, ...);
    the graph's provenance record says when and how.
    Returns the number of statements written.
    """
    import datetime as dt

    import pyoxigraph as ox

    from kg.namespaces import ANALYSIS_GRAPH, KG, PROVENANCE_GRAPH, RDF, RDFS, XSD
    from kg.storage.location import writable

    graph = record = ox.NamedNode(ANALYSIS_GRAPH)
    provenance = ox.NamedNode(PROVENANCE_GRAPH)
    quads = []
    for row in rows:
        node = ox.NamedNode(row["node"])
        for item in MEASURES:
            value = row[item.name]
            text = (
                ("true" if value else "false")
                if item.datatype == "boolean"
                else (f"{value:.6f}" if item.datatype == "decimal" else str(int(value)))
            )
            quads.append(
                ox.Quad(
                    node,
                    ox.NamedNode(KG + item.property),
                    ox.Literal(text, datatype=ox.NamedNode(XSD + item.datatype)),
                    graph,
                )
            )
    description = ", ".join(f"{k}={v}" for k, v in sorted(parameters.items()))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    quads += [
        ox.Quad(record, ox.NamedNode(RDF + "type"), ox.NamedNode(KG + "AnalysisResults"), provenance),
        ox.Quad(
            record, ox.NamedNode(RDFS + "label"), ox.Literal("Network measures (kg analyze)", language="en"), provenance
        ),
        ox.Quad(record, ox.NamedNode("http://purl.org/dc/terms/description"), ox.Literal(description), provenance),
        ox.Quad(
            record,
            ox.NamedNode("http://www.w3.org/ns/prov#generatedAtTime"),
            ox.Literal(now, datatype=ox.NamedNode(XSD + "dateTime")),
            provenance,
        ),
    ]
    with writable(location, copy_current=True) as (store, _):
        store.oxigraph.update(f"DROP SILENT GRAPH <{ANALYSIS_GRAPH}>")
        store.oxigraph.update(f"DELETE WHERE {{ GRAPH <{PROVENANCE_GRAPH}> {{ <{ANALYSIS_GRAPH}> ?p ?o }} }}")
        store.oxigraph.extend(quads)
    return len(quads)
