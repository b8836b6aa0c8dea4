"""Commands that write pages: render (one graph page), site (a static site), demo (build + answers + page)."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli.base import InputError, Session, pass_session, stdout, write_file
from kg.cli.options import as_of as as_of_option
from kg.cli.options import view
from kg.dates import Period
from kg.errors import NotInGraphError


def _size_choices() -> list[str]:
    from kg.analysis.measures import CENTRALITIES

    return [*sorted(CENTRALITIES, key=lambda m: m != "pagerank"), "none"]


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("kg-graph.html"),
    show_default=True,
    help="HTML file to write.",
)
@click.option("--focus", "focus_name", metavar="NAME", help="Only the neighbourhood of this entity.")
@click.option("--hops", type=int, default=2, show_default=True, help="Size of the --focus neighbourhood.")
@as_of_option()
@click.option("--class", "classes", multiple=True, metavar="CLASS", help="Keep only these classes (Actor, Summit…).")
@view()
@click.option(
    "--size",
    type=click.Choice(_size_choices()),
    default="pagerank",
    show_default=True,
    help="Node size by this centrality.",
)
@pass_session
def render(
    session: Session,
    output: Path,
    focus_name: str | None,
    hops: int,
    as_of: Period | None,
    classes: tuple[str, ...],
    view_name: str,
    size: str,
) -> None:
    """Write an interactive graph page: one HTML file that works offline.

    Example: kg render -o summit.html --focus "Japan-ROK summit of 16 March 2023" --hops 1
    """
    from kg import progress
    from kg.pages.graph import graph_page

    if hops < 0:
        raise InputError(f"--hops must be 0 or more, not {hops}")
    try:
        page = graph_page(
            session.open(), focus=focus_name, hops=hops, as_of=as_of, classes=classes, view=view_name, size=size
        )
    except NotInGraphError as error:
        raise InputError(f"--focus: {error}") from None
    with progress.task("Writing", total=page.nodes, unit="node") as bar:
        write_file(output, page.html())
        bar.advance(page.nodes)
    click.echo(f"Wrote {output}: {page.nodes} nodes, {page.edges} links", err=True)


@click.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option(
    "--hops",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Size of each entity page's neighbourhood graph.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for the entity pages (default: one per CPU, up to 4, from 2,000 entities).",
)
@pass_session
def site(session: Session, outdir: Path, hops: int, jobs: int | None) -> None:
    """Write a static site: the whole graph, a paged and searchable index, a page per entity and per
    canned query; opens from file://. OUTDIR is replaced only once the new site is complete; if it
    exists it must be empty or a site kg wrote, holding nothing else (a store or .git inside is refused).

    Example: kg site japan-rok-site && xdg-open japan-rok-site/index.html
    """
    from kg.pages.site import write_site

    try:
        done = write_site(session.open(), outdir, hops=hops, jobs=jobs)
    except OSError as error:
        raise InputError(f"{outdir}: cannot write ({error.strerror})") from None
    click.echo(
        f"Wrote {done.files} files ({done.entity_pages} entity pages, {done.list_pages} list pages, "
        f"{done.bytes / 1e6:.1f} MB) to {outdir}; open {outdir / 'index.html'}",
        err=True,
    )


DEMO_QUERIES = [
    "cq1-summit-leaders",
    "cq2-ruling-order",
    "cq3-compensation-plan",
    "cq4-export-controls",
    "cq5-phnom-penh-statement",
    "cq6-minefields",
    "cq7-ruling-to-summit",
]


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("japan-rok-2023.html"),
    show_default=True,
    help="Where to write the interactive page of the whole graph.",
)
@click.option(
    "--demo-store",
    type=click.Path(file_okay=False, path_type=Path),
    help="The demo's own store folder (default: 'demo' in the user's data folder). "
    "--store and KG_STORE are never used by the demo.",
)
def demo(output: Path, demo_store: Path | None) -> None:
    """Build the bundled data into the demo's own store, answer the public competency questions and
    write the interactive page of the graph. Your own store (--store, KG_STORE) is left alone.

    Example: kg demo -o japan-rok-2023.html
    """
    from kg import query as q
    from kg.build import build as run_build
    from kg.output import write_result
    from kg.pages.graph import graph_page
    from kg.storage import open_store
    from kg.storage.location import Location, default_demo_store_path

    where = Location(path=demo_store or default_demo_store_path())
    click.echo(f"kg demo uses its own store, {where.path}; your store is not touched.")
    report = run_build(where)
    click.echo(
        f"Built {report.store}: {report.quads} statements, {report.evidence_records} evidence records "
        f"({report.seconds:.1f} s); the data conforms to the shapes.\n"
    )
    store = open_store(where)
    for name in DEMO_QUERIES:
        canned = q.get_canned(name)
        click.echo(f"== {canned.description or canned.title}")
        write_result(q.run_canned(store, name), "table", stdout())
        click.echo()
    page = graph_page(store)
    write_file(output, page.html())
    click.echo(f"Wrote {output}: {page.nodes} nodes, {page.edges} links", err=True)
    click.echo(
        f"Open {output} in a browser (it works offline). Next, on the demo store: "
        f"kg --store {where.path} query --list | describe Yoon | path Yoon Kishida | site SITE_FOLDER"
    )
