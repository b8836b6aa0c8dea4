"""A static site over the graph: an index with the whole graph, every entity listed and searchable,
one page per entity (its neighbourhood, facts with evidence, timeline) and one per canned query.

`write_site()` streams the pages into a new folder that replaces the old site only when complete
(kg.pages.site_folder; entity pages in worker processes on large graphs, see
kg.pages.site_entities); `site_pages()` returns them as text keyed by relative path. The store
is read once: its statements make the `Snapshot` the pages are written from, and an in-memory copy
that answers the canned queries. The index is paged and searched offline (kg.pages.site_index); the
whole-graph drawing has positions computed here, and above `OVERVIEW_LIMIT` entities it draws the
most linked ones and says so. Pages open from file:// with no server: vis-network sits in
`assets/`, links are relative, and every string from the data is escaped by Jinja's autoescape or
put in place with textContent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.analysis.explore import timeline
from kg.analysis.project import entity_graph
from kg.describe import inverse_labels
from kg.namespaces import KGR
from kg.output import term_text
from kg.pages.graph import graph_page
from kg.pages.render import templates, vis_asset
from kg.pages.site_entities import EGO_LIMIT
from kg.pages.site_index import PAGE_SIZE
from kg.query import canned_queries, run_canned
from kg.snapshot import Snapshot
from kg.storage.protocol import GraphStore


def slug(iri: str, taken: set[str]) -> str:
    """A stable, readable file name for an entity: the IRI's local name, made safe and unique."""
    local = iri[len(KGR) :] if iri.startswith(KGR) else iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    base = re.sub(r"[^a-z0-9-]+", "-", local.lower()).strip("-") or "entity"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


OVERVIEW_LIMIT = 1500  # entities drawn on the whole-graph page; above, the most linked ones
QUERY_ROWS = 2000  # rows of a canned query's page (the page says how many there are in all)


@dataclass(frozen=True)
class _Options:
    hops: int  # an entity page's neighbourhood
    overview: int  # entities drawn on the whole-graph page at most
    page_size: int  # entities per list page
    ego_limit: int  # neighbours drawn on an entity page at most


@dataclass
class SiteSummary:
    """What `write_site` wrote: files, entity pages, list pages, bytes, worker processes."""

    files: int
    entity_pages: int
    list_pages: int
    bytes: int
    jobs: int
    overview: int  # entities drawn on the whole-graph page
    entities: int


def site_pages(
    store: GraphStore,
    *,
    hops: int = 1,
    overview: int = OVERVIEW_LIMIT,
    page_size: int = PAGE_SIZE,
    ego_limit: int = EGO_LIMIT,
) -> dict[str, str]:
    """Every page of the site, by relative path (index.html, list/…, entities/…, queries/…, assets/…),
    in memory (for tests and small graphs; `write_site` streams them to a folder)."""
    pages: dict[str, str] = {}
    options = _Options(hops, overview, page_size, ego_limit)
    _generate(store, pages.__setitem__, options, jobs=1, outdir=None)
    return pages


def write_site(
    store: GraphStore,
    outdir: Path,
    *,
    hops: int = 1,
    overview: int = OVERVIEW_LIMIT,
    jobs: int | None = None,
    page_size: int = PAGE_SIZE,
    ego_limit: int = EGO_LIMIT,
) -> SiteSummary:
    """Write the site into `outdir`, each page as soon as it is made; entity pages in `jobs` worker
    processes (default: by the number of pages and CPUs, see site_entities.default_jobs).

    The pages go to a new folder beside `outdir` that replaces it only once complete
    (kg.pages.site_folder): a failure leaves an earlier site as it was, and a rebuild leaves no page
    of the earlier site behind. Raises SiteFolderError when `outdir` exists and is neither empty nor
    a kg site, OSError when the folder cannot be written."""
    from kg.pages.site_folder import MARKER, marker_text, replacing

    with replacing(outdir) as folder:
        for sub in ("assets", "entities", "list", "queries", "ontology"):
            (folder / sub).mkdir()
        written = {"files": 0, "bytes": 0}

        def sink(relative: str, text: str) -> None:
            data = text.encode("utf-8")
            (folder / relative).write_bytes(data)
            written["files"] += 1
            written["bytes"] += len(data)

        options = _Options(hops, overview, page_size, ego_limit)
        summary = _generate(store, sink, options, jobs=jobs, outdir=folder)
        sink(MARKER, marker_text(folder))  # last: it lists what the site holds
        summary.files += written["files"]
        summary.bytes += written["bytes"]
    return summary


def _generate(
    store: GraphStore,
    sink: Callable[[str, str], None],
    options: _Options,
    *,
    jobs: int | None,
    outdir: Path | None,
) -> SiteSummary:
    """Make every page and hand it to `sink`; entity pages written by workers are counted in the
    summary (files, bytes), the others by the sink's owner."""
    from kg import progress
    from kg.analysis.measures import node_sizes
    from kg.ontology_docs import shipped_ontology_html
    from kg.pages.site_entities import EntityPages, default_jobs, write_all
    from kg.pages.site_events import LINK, event_pages
    from kg.pages.site_index import SEARCH_INDEX, SEARCH_SCRIPT, first_page, list_pages, search_index, search_script
    from kg.storage.embedded import memory_store

    env = templates()
    with progress.task("Reading the graph", total=4, unit="step") as bar:
        quads = store.quads()
        bar.advance()
        snap = Snapshot.of_quads(quads)
        bar.advance()
        local = memory_store()
        local.oxigraph.extend(quads)
        del quads
        bar.advance()
        graph = entity_graph(snap)
        taken: set[str] = set()
        slugs = {node: slug(node, taken) for node in sorted(graph.nodes)}
        sizes = node_sizes(graph, "pagerank")
        bar.advance()
    sink("assets/vis-network.min.js", vis_asset("vis-network.min.js"))
    sink("assets/vis-network.css", vis_asset("vis-network.css"))
    sink(SEARCH_SCRIPT, search_script())
    entities = sorted(
        (
            {"href": f"entities/{slugs[n]}.html", "label": d["label"], "kind": d["kind"], "date": d.get("date", "")}
            for n, d in graph.nodes(data=True)
        ),
        key=lambda e: (e["label"].casefold(), e["href"]),
    )
    sink(SEARCH_INDEX, search_index(entities))
    listed = list_pages(env, entities, options.page_size)
    for relative, text in listed.items():
        sink(relative, text)
    queries = [
        {"href": f"queries/{name}.html", "title": q.title, "description": q.description}
        for name, q in canned_queries().items()
    ]
    drawn = _overview(graph, options.overview)
    note = (
        f"The drawing shows the {drawn.number_of_nodes():,} most linked of {graph.number_of_nodes():,} entities "
        "(by number of links); every entity has its own page: search or browse the list below."
        if drawn.number_of_nodes() < graph.number_of_nodes()
        else ""
    )
    index_extra = env.get_template("index_details.html").render(
        listing=first_page(entities, options.page_size), queries=queries, overview_note=note
    )
    event_page = event_pages(local, env)
    index_extra += LINK if event_page else ""
    subtitle = f"{graph.number_of_nodes()} entities, {graph.number_of_edges()} links"
    if note:
        subtitle = f"{drawn.number_of_nodes()} most linked of " + subtitle
    index = graph_page(
        drawn,
        sizes={n: sizes.get(n, 0.0) for n in drawn},
        title="kg: the whole graph",
        subtitle=subtitle + "; double-click a node to open its page",
    )
    _fixed_layout(index.network, drawn)
    index.links = {n: f"entities/{slugs[n]}.html" for n in drawn}
    sink("index.html", index.html(asset_prefix="assets/", extra_html=index_extra))
    sink("ontology/index.html", shipped_ontology_html())
    sink("entities.json", json.dumps({n: f"entities/{s}.html" for n, s in sorted(slugs.items())}, indent=0))
    for relative, text in event_page.items():
        sink(relative, text)
    events: dict[str, list[dict[str, Any]]] = {}
    for position, entry in enumerate(timeline(snap)):
        events.setdefault(entry["node"], []).append({**entry, "_index": position})
    state = EntityPages(
        env=env,
        snap=snap,
        graph=graph,
        undirected=graph.to_undirected(as_view=True),
        slugs=slugs,
        sizes=sizes,
        events=events,
        inverses=inverse_labels(local),
        hops=options.hops,
        ego_limit=options.ego_limit,
    )
    workers = (jobs if jobs is not None else default_jobs(len(slugs))) if outdir is not None else 1
    in_workers = workers > 1 and outdir is not None
    with progress.task("Writing pages", total=len(slugs) + len(canned_queries()), unit="page") as bar:

        def query_pages() -> None:  # in this process, while workers write entity pages
            for name in canned_queries():
                sink(f"queries/{name}.html", _query_page(env, local, name, slugs))
                bar.advance()

        written = write_all(state, sink, jobs=workers, outdir=outdir, advance=bar.advance, meanwhile=query_pages)
    return SiteSummary(
        files=len(slugs) if in_workers else 0,
        entity_pages=len(slugs),
        list_pages=len(listed) + 1,
        bytes=written if in_workers else 0,
        jobs=workers,
        overview=drawn.number_of_nodes(),
        entities=graph.number_of_nodes(),
    )


def _overview(graph: Any, limit: int) -> Any:
    """The graph drawn on the index: all of it, or the `limit` entities with the most links (ties
    by IRI) and the links between them."""
    if graph.number_of_nodes() <= limit:
        return graph
    ranked = sorted(graph.degree(), key=lambda item: (-item[1], item[0]))
    return graph.subgraph(sorted(node for node, _ in ranked[:limit])).copy()


def _fixed_layout(net: Any, graph: Any) -> None:
    """Positions computed here (igraph) for every node, physics off: the browser only draws."""
    from kg.pages.render import _layout, _options

    if not all("x" in node for node in net.nodes):
        positions = _layout(graph, 0)
        for node in net.nodes:
            node["x"], node["y"] = positions[node["id"]]
            node["physics"] = False
    net.options = _options(large=True, directed=graph.is_directed())


def _query_page(env: Any, store: GraphStore, name: str, slugs: dict[str, str]) -> str:
    canned = canned_queries()[name]
    result = run_canned(store, name)
    columns = [v.value for v in result.variables]
    rows = []
    total = 0
    for solution in result:
        total += 1
        if total > QUERY_ROWS:
            continue
        row = []
        for column in columns:
            term = solution[column]
            iri = getattr(term, "value", "") if type(term).__name__ == "NamedNode" else ""
            row.append({"text": term_text(term), "href": f"../entities/{slugs[iri]}.html" if iri in slugs else None})
        rows.append(row)
    return str(
        env.get_template("table.html").render(
            title=canned.title,
            description=canned.description,
            sparql=canned.text,
            columns=columns,
            rows=rows,
            total=total,
            name=name,
            home="../index.html",
        )
    )
