"""`graph_page()`: the one pipeline from the graph to an interactive page (render, demo, notebooks, site).

snapshot → entity graph (as of a date, some classes) → focus on one entity → view → node sizes by
a measure → pyvis network → `GraphPage`, which gives the HTML (`html()`) or writes it (`write()`).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.dates import Period
from kg.errors import NotInGraphError, ParameterError
from kg.snapshot import Snapshot, snapshot_of
from kg.storage.protocol import GraphStore

if TYPE_CHECKING:
    from pyvis.network import Network


@dataclass
class GraphPage:
    """An interactive graph page: the graph shown, its pyvis network, title and subtitle."""

    graph: Any  # the networkx graph shown
    network: Network
    title: str
    subtitle: str = ""
    links: dict[str, str] = field(default_factory=dict)  # node id -> page URL (double-click opens it)

    @property
    def nodes(self) -> int:
        return int(self.graph.number_of_nodes())

    @property
    def edges(self) -> int:
        return int(self.graph.number_of_edges())

    def html(self, *, asset_prefix: str | None = None, extra_html: str = "") -> str:
        """The page's HTML: self-contained, or linking vis-network from `asset_prefix` (a site)."""
        from kg.pages.render import page_html

        return page_html(
            self.network,
            title=self.title,
            subtitle=self.subtitle,
            links=self.links,
            asset_prefix=asset_prefix,
            extra_html=extra_html,
        )

    def write(self, path: Path) -> None:
        """Write the self-contained page (OSError if the file cannot be written)."""
        path.write_text(self.html(), encoding="utf-8")


def graph_page(
    source: GraphStore | Snapshot | Any,
    *,
    focus: str | None = None,
    hops: int = 2,
    as_of: Period | None = None,
    classes: Iterable[str] = (),
    view: str = "full",
    size: str = "pagerank",
    sizes: dict[str, float] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
) -> GraphPage:
    """The page of a store's (or snapshot's) entity graph, or of a networkx graph given as `source`.

    `focus` (a name, label or IRI) keeps the `hops`-link neighbourhood of one entity; `view` picks a
    projection (kg.analysis.project.VIEWS); nodes are sized by the measure `size` (a centrality of
    kg.analysis.measures.MEASURES, or "none") unless `sizes` are given. Raises NotInGraphError
    when the focus is not in the graph (e.g. not yet as of the date).
    """
    from kg import progress
    from kg.analysis.project import entity_graph
    from kg.analysis.project import view as project_view
    from kg.pages.render import LAYOUT_THRESHOLD, network
    from kg.pages.render import focus as neighbourhood

    if hops < 0:
        raise ParameterError(f"hops must be 0 or more, not {hops}")
    when = f" as of {as_of.text}" if as_of is not None else ""
    given = hasattr(source, "is_directed") and hasattr(source, "nodes")
    # a progress bar for a whole command (`kg render`, `kg demo`: a store); not for the many pages of
    # a site or a notebook, which pass a snapshot or a graph
    whole = not given and not isinstance(source, Snapshot)
    with progress.task("Drawing", total=4, unit="step") if whole else nullcontext(None) as bar:
        _step(bar, "reading the store")
        graph: Any = source
        default_title = "kg graph"
        if not given:
            snap = snapshot_of(source)
            _step(bar, "entity graph", advance=1)
            graph = entity_graph(snap, as_of=as_of, classes=classes)
            default_title = "kg graph" + when
            if focus is not None:
                from kg.describe import find_entity

                center = find_entity(snap, focus)
                if center.iri not in graph:
                    raise NotInGraphError(f"{focus!r} is not in the graph{when}")
                graph = neighbourhood(graph, center.iri, hops)
                default_title = f"{center.label}: {hops}-hop neighbourhood{when}"
            graph = project_view(graph, view)
        _step(bar, f"node sizes ({size}) of {graph.number_of_nodes():,} nodes", advance=1)
        if sizes is None and size != "none":
            from kg.analysis.measures import node_sizes

            sizes = node_sizes(graph, size)
        _step(bar, "layout" if graph.number_of_nodes() > LAYOUT_THRESHOLD else "network", advance=1)
        net = network(graph, sizes=sizes, title=title or default_title, size_by=size if sizes else "")
        _step(bar, "done", advance=1)
    return GraphPage(graph, net, title or default_title, f"{view} view" if subtitle is None else subtitle)


def _step(bar: Any, name: str, advance: int = 0) -> None:
    """Move a progress bar (or nothing) on to the step `name`."""
    if bar is not None:
        bar.advance(advance)
        bar.describe(name)
