"""A static site over the graph: an index with the whole graph and every entity, one page per
entity (its neighbourhood, facts with evidence, timeline) and one page per canned query.

`site_pages()` returns the pages as text keyed by relative path; the `kg site` command writes them.
Pages open from file:// with no server: vis-network sits in `assets/`, links are relative, and
every string from the data is escaped by Jinja's autoescape or put in place with textContent.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kg.analysis.explore import timeline
from kg.analysis.project import entity_graph
from kg.describe import describe, inverse_labels, relation_text
from kg.namespaces import KGR
from kg.output import term_text
from kg.pages.graph import graph_page
from kg.pages.render import focus, templates, vis_asset
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


def site_pages(store: GraphStore, *, hops: int = 1) -> dict[str, str]:
    """Every page of the site, by relative path (index.html, entities/…, queries/…, assets/…).

    The store is read once: its statements make the `Snapshot` the pages are written from, and an
    in-memory copy that answers the canned queries.
    """
    from kg.analysis.measures import node_sizes
    from kg.storage.embedded import memory_store

    env = templates()
    quads = store.quads()
    snap = Snapshot.of_quads(quads)
    local = memory_store()
    local.oxigraph.extend(quads)
    del quads
    graph = entity_graph(snap)
    taken: set[str] = set()
    slugs = {node: slug(node, taken) for node in sorted(graph.nodes)}
    sizes = node_sizes(graph, "pagerank")
    pages: dict[str, str] = {
        "assets/vis-network.min.js": vis_asset("vis-network.min.js"),
        "assets/vis-network.css": vis_asset("vis-network.css"),
    }
    entities = sorted(
        (
            {"href": f"entities/{slugs[n]}.html", "label": d["label"], "kind": d["kind"], "date": d.get("date", "")}
            for n, d in graph.nodes(data=True)
        ),
        key=lambda e: (e["label"].casefold(), e["href"]),
    )
    queries = [
        {"href": f"queries/{name}.html", "title": q.title, "description": q.description}
        for name, q in canned_queries().items()
    ]
    index_extra = env.get_template("index_details.html").render(entities=entities, queries=queries)
    from kg.pages.site_events import LINK, event_pages

    event_page = event_pages(local, env)
    index_extra += LINK if event_page else ""
    index = graph_page(
        graph,
        sizes=sizes,
        title="kg: the whole graph",
        subtitle=f"{graph.number_of_nodes()} entities, {graph.number_of_edges()} links; "
        "double-click a node to open its page",
    )
    index.links = {n: f"entities/{s}.html" for n, s in slugs.items()}
    pages["index.html"] = index.html(asset_prefix="assets/", extra_html=index_extra)
    from kg.ontology_docs import shipped_ontology_html

    pages["ontology/index.html"] = shipped_ontology_html()
    pages["entities.json"] = json.dumps({n: f"entities/{s}.html" for n, s in sorted(slugs.items())}, indent=0)
    events: dict[str, list[dict[str, Any]]] = {}
    for position, entry in enumerate(timeline(snap)):
        events.setdefault(entry["node"], []).append({**entry, "_index": position})
    undirected = graph.to_undirected(as_view=True)
    inverses = inverse_labels(local)
    from kg import progress

    with progress.task("Writing pages", total=graph.number_of_nodes() + len(canned_queries()), unit="page") as bar:
        for node, data in graph.nodes(data=True):
            page = _entity_page(env, snap, graph, node, data, slugs, sizes, events, hops, undirected, inverses)
            pages[f"entities/{slugs[node]}.html"] = page
            bar.advance()
        for name in canned_queries():
            pages[f"queries/{name}.html"] = _query_page(env, local, name, slugs)
            bar.advance()
    return pages | event_page


def _entity_page(
    env: Any,
    snap: Snapshot,
    graph: Any,
    node: str,
    data: dict[str, Any],
    slugs: dict[str, str],
    sizes: dict[str, float],
    events: dict[str, list[dict[str, Any]]],
    hops: int,
    undirected: Any,
    inverses: dict[str, str],
) -> str:
    import networkx as nx

    description = describe(snap, node)
    facts = []
    for fact in description.facts:
        target = _expand(fact.value)
        relation = relation_text(fact, inverses)
        facts.append(
            {
                "relation": relation,
                "value": fact.value_label,
                "quotes": fact.quotes,
                "href": f"{slugs[target]}.html" if target in slugs else None,
            }
        )
    near = set(nx.all_neighbors(graph, node)) | {node}
    own_timeline = [
        {**entry, "href": f"{slugs[entry['node']]}.html" if entry["node"] in slugs else None}
        for entry in sorted((e for n in near for e in events.get(n, ())), key=lambda e: e["_index"])
    ]
    also = "; ".join(
        f"{text} ({lang})" if lang else text for text, lang in description.labels if text != description.label
    )
    extra = env.get_template("entity_details.html").render(
        home="../index.html",
        kind=data["kind"],
        date=data.get("date", ""),
        also=also,
        facts=facts,
        timeline=own_timeline,
    )
    ego = focus(graph, node, hops, undirected)
    page = graph_page(
        ego,
        sizes={n: sizes.get(n, 0.0) for n in ego},
        title=str(data["label"]),
        subtitle=f"{data['kind']} · neighbourhood of {ego.number_of_nodes()} entities",
    )
    page.links = {n: f"{slugs[n]}.html" for n in ego if n in slugs}
    return page.html(asset_prefix="../assets/", extra_html=extra)


def _expand(value: str) -> str:
    return KGR + value[4:] if value.startswith("kgr:") else value


def _query_page(env: Any, store: GraphStore, name: str, slugs: dict[str, str]) -> str:
    canned = canned_queries()[name]
    result = run_canned(store, name)
    columns = [v.value for v in result.variables]
    rows = []
    for solution in result:
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
            home="../index.html",
        )
    )
