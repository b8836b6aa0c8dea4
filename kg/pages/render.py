"""Interactive graph pages: pyvis networks, written as self-contained HTML that works offline.

`network()` returns a `pyvis.network.Network`; `page_html()` turns one into a page. The page is
kg's own template, not pyvis's: vis-network is inlined (or linked from a local asset folder), all
data travels as JSON inside a `<script type="application/json">` block with `<`, `>` and `&`
escaped, and every label, tooltip, legend entry and search option is put into the page with
`textContent`, so no string from the data is ever parsed as HTML or run as script.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx
    from pyvis.network import Network

LAYOUT_THRESHOLD = 500  # above this many nodes, lay out in Python and turn physics off
EDGE_LABEL_THRESHOLD = 1000

# Colour and shape by top-level class; the legend lists the classes present.
STYLE: dict[str, tuple[str, str]] = {
    "Actor": ("#1f77b4", "dot"),
    "Event": ("#ff7f0e", "diamond"),
    "Agreement": ("#2ca02c", "square"),
    "Policy": ("#17becf", "triangle"),
    "Ruling": ("#d62728", "star"),
    "Dispute": ("#9467bd", "triangleDown"),
    "Claim": ("#e377c2", "hexagon"),
    "Office": ("#8c564b", "dot"),
    "OfficeTerm": ("#c49c94", "dot"),
    "Place": ("#7f7f7f", "dot"),
    "PollResult": ("#bcbd22", "dot"),
    "Entity": ("#aaaaaa", "dot"),
}


SIGN_COLOURS = {-1: "#d62728", 0: "#999999", 1: "#2ca02c"}  # conflict, neutral, cooperation


def vis_asset(name: str) -> str:
    """vis-network's JS or CSS as shipped inside pyvis (9.1.2), read from the installed package."""
    return (files("pyvis") / "templates" / "lib" / "vis-9.1.2" / name).read_text(encoding="utf-8")


def _tooltip(data: dict[str, Any]) -> str:
    lines = [str(data.get("label", "")), str(data.get("kind", ""))]
    if data.get("date"):
        lines.append(f"date: {data['date']}" + (f" – {data['end']}" if data.get("end") else ""))
    if data.get("status"):
        lines.append(f"status: {data['status']}")
    for quote, source in data.get("quotes", [])[:3]:
        lines.append(f"“{quote}”" + (f" — {source}" if source else ""))
    return "\n".join(lines)


def network(
    graph: Any,
    *,
    sizes: dict[str, float] | None = None,
    title: str = "kg graph",
    seed: int = 0,
    size_by: str = "",
) -> Network:
    """A pyvis Network for a projected graph: colour and shape by class, size by `sizes`
    (e.g. PageRank, named by `size_by` in the legend), edge labels from relation labels, tooltips
    with dates and evidence.

    Nodes and edges are set directly (pyvis's add_node/add_edge are quadratic); large graphs get
    positions computed here and physics turned off.
    """
    from pyvis.network import Network

    net = Network(height="100%", width="100%", directed=graph.is_directed(), cdn_resources="in_line", heading=title)
    count = graph.number_of_nodes()
    positions = _layout(graph, seed) if count > LAYOUT_THRESHOLD else {}
    top = max(sizes.values()) if sizes else 0.0
    nodes = []
    for node, data in graph.nodes(data=True):
        colour, shape = STYLE.get(data.get("top", "Entity"), STYLE["Entity"])
        size = 10 + 30 * (sizes.get(node, 0.0) / top) if sizes and top else 14
        item: dict[str, Any] = {
            "id": node,
            "label": str(data.get("label", node)),
            "title": _tooltip(data),
            "group": data.get("top", "Entity"),
            "kind": data.get("kind", ""),
            "color": colour,
            "shape": shape,
            "size": round(size, 2),
            "value": round(size, 2),
        }
        if node in positions:
            item["x"], item["y"] = positions[node]
            item["physics"] = False
        nodes.append(item)
    edges = []
    show_labels = count <= EDGE_LABEL_THRESHOLD
    for index, (source, target, data) in enumerate(graph.edges(data=True)):
        label = str(data.get("label", ""))
        tip = label + (f" ({data['date']})" if data.get("date") else "")
        if data.get("quote"):
            tip += f"\n“{data['quote']}”"
        if data.get("via") and not data.get("quote"):
            tip += f"\nvia {data['via']}"
        edges.append(
            {
                "id": index,
                "from": source,
                "to": target,
                "label": label if show_labels else "",
                "title": tip,
                "dashes": bool(data.get("claim")),
                "width": 1 + min(float(data.get("weight", 1)), 10) / 2,
                "color": {"color": SIGN_COLOURS.get(data.get("sign", 0), SIGN_COLOURS[0])},
            }
        )
    net.nodes, net.edges = nodes, edges
    net.node_ids = [n["id"] for n in nodes]
    net.node_map = {n["id"]: n for n in nodes}
    net.options = _options(large=bool(positions), directed=graph.is_directed())
    net.size_by = size_by if sizes else ""
    return net


def _layout(graph: Any, seed: int) -> dict[str, tuple[float, float]]:
    """Positions for large graphs, scaled for vis: igraph's Fruchterman-Reingold with its grid
    approximation, with fewer iterations above 5,000 nodes (igraph's DrL took 8 s for 5,000 nodes)."""
    import random

    from kg.analysis.igraph_import import load_igraph

    igraph = load_igraph()

    names = list(graph.nodes)
    index = {n: i for i, n in enumerate(names)}
    edges = {(min(index[u], index[v]), max(index[u], index[v])) for u, v in graph.edges() if u != v}
    converted = igraph.Graph(n=len(names), edges=sorted(edges))
    igraph.set_random_number_generator(random.Random(seed))
    try:
        iterations = max(150, min(500, 2_500_000 // max(len(names), 1)))
        coordinates = converted.layout_fruchterman_reingold(grid=True, niter=iterations).coords
    finally:
        igraph.set_random_number_generator(random)
    xs = [c[0] for c in coordinates] or [0.0]
    ys = [c[1] for c in coordinates] or [0.0]
    left, top = min(xs), min(ys)
    span = max(max(xs) - left, max(ys) - top, 1e-9)
    scale = 40 * len(names) ** 0.5 / span
    return {
        n: (round((c[0] - left) * scale, 1), round((c[1] - top) * scale, 1))
        for n, c in zip(names, coordinates, strict=True)
    }


def _options(*, large: bool, directed: bool) -> dict[str, Any]:
    options: dict[str, Any] = {
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": large},
        "edges": {
            "arrows": {"to": {"enabled": directed, "scaleFactor": 0.5}},
            "font": {"size": 10, "align": "middle"},
            "smooth": False,
        },
        # Node size and label size follow the node's value (its centrality): the important labels are
        # the ones big enough to read when the whole graph is in view; the page's decluttering hides
        # the labels that would overlap them.
        "nodes": {
            "font": {"size": 12},
            "scaling": {
                "min": 10,
                "max": 40,
                "label": {"enabled": True, "min": 12, "max": 30, "maxVisible": 30, "drawThreshold": 7},
            },
        },
        "layout": {"improvedLayout": not large, "randomSeed": 0},
    }
    if large:
        options["physics"] = {"enabled": False}
    else:
        options["physics"] = {
            "enabled": True,
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 120},
            "stabilization": {"enabled": True, "iterations": 300, "updateInterval": 50},
        }
    return options


@cache
def templates() -> Any:
    """kg's Jinja environment (autoescaping HTML), created once: compiling a template is costly."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("kg", "templates"), autoescape=select_autoescape(["html"]))


# Characters escaped in JSON put into a page or script: "<" and ">" (no "</script" or "<!--" can end
# or open anything), "&", and the line and paragraph separators (valid in JSON strings, not in
# JavaScript string literals before ES2019).
_SCRIPT_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"}


def json_for_script(data: Any) -> str:
    """JSON that is also a JavaScript expression in any engine and cannot end a <script> block or
    open a comment, whatever strings it holds (the one place kg decides how data goes into scripts)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


def page_html(
    net: Network,
    *,
    title: str,
    subtitle: str = "",
    links: dict[str, str] | None = None,
    asset_prefix: str | None = None,
    extra_html: str = "",
) -> str:
    """One HTML page showing the network. With `asset_prefix` vis-network is linked from
    `{asset_prefix}vis-network.min.js` (for a site); without, it is inlined (one file, offline).

    `links` maps node ids to page URLs: double-clicking a node opens its page.
    `extra_html` must already be escaped (the site passes Jinja-rendered, autoescaped HTML).
    """
    env = templates()
    data = {
        "nodes": net.nodes,
        "edges": net.edges,
        "options": net.options,
        "links": links or {},
        "styles": {k: {"color": c, "shape": s} for k, (c, s) in STYLE.items()},
        "sizeBy": getattr(net, "size_by", "") or "",
        "signed": any(e["color"]["color"] != SIGN_COLOURS[0] for e in net.edges),
    }
    return str(
        env.get_template("graph.html").render(
            title=title,
            subtitle=subtitle,
            data_json=json_for_script(data),
            vis_js=None if asset_prefix is not None else vis_asset("vis-network.min.js"),
            vis_css=None if asset_prefix is not None else vis_asset("vis-network.css"),
            asset_prefix=asset_prefix,
            extra_html=extra_html,
        )
    )


def write_page(net: Network, path: Path, *, title: str, subtitle: str = "") -> None:
    """Write a single self-contained page (the `kg render` command's job)."""
    path.write_text(page_html(net, title=title, subtitle=subtitle), encoding="utf-8")


def focus(graph: nx.MultiDiGraph, center: str, hops: int, undirected: Any = None) -> nx.MultiDiGraph:
    """The part of a graph within `hops` links of `center`, in either direction (nodes in IRI order).

    `undirected` is `graph.to_undirected(as_view=True)`, for callers that focus many times.
    """
    import networkx as nx

    if undirected is None:
        undirected = graph.to_undirected(as_view=True)
    return induced(graph, nx.single_source_shortest_path_length(undirected, center, cutoff=hops))


def induced(graph: Any, nodes: Collection[str]) -> Any:
    """A copy of the part of `graph` among `nodes` (added in IRI order), with every link between them."""
    keep = sorted(nodes)
    wanted = set(keep)
    part = graph.__class__()
    part.graph.update(graph.graph)
    part.add_nodes_from((node, graph.nodes[node]) for node in keep)
    if graph.is_multigraph():
        part.add_edges_from(
            (u, v, key, data)
            for u in keep
            for v, keyed in graph.adj[u].items()
            if v in wanted
            for key, data in keyed.items()
        )
    else:
        part.add_edges_from((u, v, data) for u in keep for v, data in graph.adj[u].items() if v in wanted)
    return part
