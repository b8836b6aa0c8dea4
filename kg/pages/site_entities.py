"""The entity pages of `kg site`, written in one pass from the snapshot, in worker processes when
there are enough of them to pay for the processes.

`EntityPages` holds what every page reads (the snapshot, the entity graph, slugs, sizes, events),
built once in the parent. `write_all()` renders every entity page and hands each one to a sink;
with `jobs > 1` the pages are rendered by forked workers (they inherit the prepared state, nothing
is pickled but node names and counts) that write their pages straight to the output folder.
A hub's neighbourhood graph is cut to the `EGO_LIMIT` closest, most central neighbours (the page
says so); its facts and timeline stay complete.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.describe import describe, relation_text
from kg.namespaces import KGR
from kg.pages.render import induced
from kg.snapshot import Snapshot

EGO_LIMIT = 250  # neighbours drawn on an entity page's graph (a state at 1M quads has thousands)
PARALLEL_FROM = 2000  # fewer entity pages than this: one process (forking costs more than it saves)
CHUNK = 100  # entity pages per task handed to a worker


@dataclass
class EntityPages:
    """Everything the entity pages are written from (built once, shared by forked workers)."""

    env: Any  # the Jinja environment
    snap: Snapshot
    graph: Any  # the entity graph (networkx MultiDiGraph)
    undirected: Any  # graph.to_undirected(as_view=True)
    slugs: dict[str, str]
    sizes: dict[str, float]
    events: dict[str, list[dict[str, Any]]]  # node -> its timeline entries (with their "_index")
    inverses: dict[str, str]
    hops: int = 1
    ego_limit: int = EGO_LIMIT

    def page(self, node: str) -> str:
        """One entity's page."""
        return _entity_page(self, node)


def default_jobs(pages: int) -> int:
    """Worker processes for `pages` entity pages: one below PARALLEL_FROM, else up to the CPUs (≤ 4)."""
    if pages < PARALLEL_FROM or not hasattr(os, "fork"):
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


_SHARED: EntityPages | None = None  # the state forked workers read
_OUTDIR: Path | None = None


def write_all(
    state: EntityPages,
    sink: Callable[[str, str], None],
    *,
    jobs: int = 1,
    outdir: Path | None = None,
    advance: Callable[[int], None] = lambda n: None,
    meanwhile: Callable[[], None] = lambda: None,
) -> int:
    """Render every entity page; `sink(relative path, html)` receives each one (in workers, with
    `jobs > 1` and an `outdir`, pages are written to `outdir` directly). `meanwhile()` runs in this
    process, first, or while the workers render. Returns the bytes of the entity pages."""
    nodes = list(state.graph.nodes)
    if jobs <= 1 or outdir is None or len(nodes) < 2:
        meanwhile()
        total = 0
        for node in nodes:
            html = state.page(node)
            sink(f"entities/{state.slugs[node]}.html", html)
            total += len(html.encode("utf-8"))
            advance(1)
        return total
    import multiprocessing

    global _SHARED, _OUTDIR
    _SHARED, _OUTDIR = state, outdir
    try:
        context = multiprocessing.get_context("fork")
        total = 0
        with context.Pool(jobs) as pool:
            results = pool.imap_unordered(_write_chunk, _chunks(nodes, CHUNK))  # dispatched at once
            meanwhile()
            for count, written in results:
                total += written
                advance(count)
        return total
    finally:
        _SHARED, _OUTDIR = None, None


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write_chunk(nodes: list[str]) -> tuple[int, int]:
    """In a worker: write the pages of `nodes`; (pages, bytes)."""
    assert _SHARED is not None and _OUTDIR is not None
    written = 0
    for node in nodes:
        data = _SHARED.page(node).encode("utf-8")
        (_OUTDIR / "entities" / f"{_SHARED.slugs[node]}.html").write_bytes(data)
        written += len(data)
    return len(nodes), written


def ego(state: EntityPages, center: str) -> tuple[Any, int]:
    """The neighbourhood graph drawn on `center`'s page and how many entities are within reach:
    everything within `hops` links, or, past `ego_limit`, the closest and then most central ones."""
    import networkx as nx

    graph, limit = state.graph, state.ego_limit
    reached = nx.single_source_shortest_path_length(state.undirected, center, cutoff=state.hops)
    within = len(reached)
    if within > limit + 1:
        ranked = sorted(reached, key=lambda n: (reached[n], -state.sizes.get(n, 0.0), n))
        reached = {n: reached[n] for n in ranked[: limit + 1]}
    return induced(graph, reached), within


def _expand(value: str) -> str:
    return KGR + value[4:] if value.startswith("kgr:") else value


def _entity_page(state: EntityPages, node: str) -> str:
    import networkx as nx

    from kg.pages.graph import graph_page

    snap, graph, slugs = state.snap, state.graph, state.slugs
    data = graph.nodes[node]
    description = describe(snap, node)
    facts = []
    for fact in description.facts:
        target = _expand(fact.value)
        facts.append(
            {
                "relation": relation_text(fact, state.inverses),
                "value": fact.value_label,
                "quotes": fact.quotes,
                "href": f"{slugs[target]}.html" if target in slugs else None,
            }
        )
    near = set(nx.all_neighbors(graph, node)) | {node}
    own_timeline = [
        {**entry, "href": f"{slugs[entry['node']]}.html" if entry["node"] in slugs else None}
        for entry in sorted((e for n in near for e in state.events.get(n, ())), key=lambda e: e["_index"])
    ]
    also = "; ".join(
        f"{text} ({lang})" if lang else text for text, lang in description.labels if text != description.label
    )
    extra = state.env.get_template("entity_details.html").render(
        home="../index.html",
        kind=data["kind"],
        date=data.get("date", ""),
        also=also,
        facts=facts,
        timeline=own_timeline,
    )
    part, within = ego(state, node)
    shown = part.number_of_nodes()
    subtitle = f"{data['kind']} · neighbourhood of {shown} entities"
    if shown < within:
        subtitle = f"{data['kind']} · neighbourhood: the {shown} closest and most central of {within} entities"
    page = graph_page(
        part, sizes={n: state.sizes.get(n, 0.0) for n in part}, title=str(data["label"]), subtitle=subtitle
    )
    page.links = {n: f"{slugs[n]}.html" for n in part if n in slugs}
    return page.html(asset_prefix="../assets/", extra_html=extra)
