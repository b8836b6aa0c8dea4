"""Commands that analyse linkages: analyze, path, neighbors, timeline."""

from __future__ import annotations

import click

from kg.cli.base import InputError, Session, pass_session, write_rows
from kg.cli.options import as_of as as_of_option
from kg.cli.options import between as between_option
from kg.cli.options import output_format, view
from kg.dates import Period


def _measure_columns() -> list[str]:
    from kg.analysis.measures import MEASURES

    return ["label", "kind", *(m.name for m in MEASURES)]


def _measures_help() -> str:
    from kg.analysis.measures import MEASURES

    return "\b\nColumns (--write-back stores each as its kg: property):\n" + "\n".join(
        f"  {m.name}: {m.description} (kg:{m.property})" for m in MEASURES
    )


@click.command(epilog=_measures_help())
@view()
@as_of_option()
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True, help="Rows to show (0: all).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for sampling and Louvain.")
@click.option(
    "--samples",
    type=click.IntRange(min=1),
    help="Betweenness from this many sampled sources (default: exact up to 1,000 nodes, else 128).",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "networkx", "igraph"]),
    default="auto",
    show_default=True,
    help="auto: networkx for small graphs, igraph above 2,000 nodes.",
)
@output_format("rows", "table")
@click.option("--write-back", is_flag=True, help="Store the scores in the graph kgg:analysis (atomic update).")
@pass_session
def analyze(
    session: Session,
    view_name: str,
    as_of: Period | None,
    top: int,
    seed: int,
    samples: int | None,
    engine: str,
    fmt: str,
    write_back: bool,
) -> None:
    """Centrality, communities (Louvain), brokers and k-core of a projection of the graph.

    Example: kg analyze --view actors --as-of 2023-03-15 --top 10
    """
    from kg.analysis.measures import analyze as run_analysis
    from kg.analysis.project import projected

    graph = projected(session.open(), as_of=as_of, view_name=view_name)
    result = run_analysis(graph, seed=seed, samples=samples, engine=engine)
    rows, groups, modularity, found = result.rows, result.communities, result.modularity, result.brokers
    if write_back:
        from kg.analysis.measures import write_back as store_scores

        store_scores(session.location, rows, {"view": view_name, "as_of": as_of.text if as_of else "", "seed": seed})
    write_rows(rows[:top] if top else rows, _measure_columns(), fmt)
    click.echo(
        f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} links; {len(groups)} communities "
        f"(modularity {modularity:.3f}); {len(found['articulation_points'])} brokers, "
        f"{len(found['bridges'])} bridges" + ("; scores written to kgg:analysis" if write_back else ""),
        err=True,
    )


@click.command()
@click.argument("source")
@click.argument("target")
@click.option("--k", "k", type=int, default=3, show_default=True, help="How many paths.")
@as_of_option()
@click.option("--via-hubs", is_flag=True, help="Count every step alike (by default busy nodes and claims cost more).")
@output_format("text", "text")
@pass_session
def path(session: Session, source: str, target: str, k: int, as_of: Period | None, via_hubs: bool, fmt: str) -> None:
    """Explain how two entities are linked: the k best paths, every hop with its date and evidence.

    Example: kg path "Supreme Court forced-labour ruling of October 2018" "Japan-ROK summit of 16 March 2023"
    """
    import dataclasses
    import json

    from kg.analysis.explore import explain_paths

    if k < 1:
        raise InputError(f"--k must be 1 or more, not {k}")
    found = explain_paths(session.open(), source, target, k=k, as_of=as_of, avoid_hubs=not via_hubs)
    if fmt == "json":
        click.echo(json.dumps([dataclasses.asdict(p) for p in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("No path links them" + (f" as of {as_of.text}" if as_of else "") + ".")
    for number, explained in enumerate(found, 1):
        click.echo(f"Path {number} ({len(explained.hops)} steps):")
        click.echo("\n".join("  " + line for line in explained.lines()))


@click.command()
@click.argument("name")
@click.option("--hops", type=int, default=1, show_default=True, help="How far to look (0 or more).")
@as_of_option()
@output_format("rows", "table")
@pass_session
def neighbors(session: Session, name: str, hops: int, as_of: Period | None, fmt: str) -> None:
    """Entities within --hops links of NAME, nearest first, with the link that reaches each.

    Example: kg neighbors Kishida --hops 2
    """
    from kg.analysis.explore import neighbors as find_neighbors

    if hops < 0:
        raise InputError(f"--hops must be 0 or more, not {hops}")
    rows = find_neighbors(session.open(), name, hops=hops, as_of=as_of)
    write_rows(rows, ["distance", "label", "kind", "date", "via"], fmt)


@click.command()
@click.option("--actor", metavar="NAME", help="Only entries this actor takes part in.")
@between_option()
@output_format("rows", "table")
@click.option("--quotes/--no-quotes", default=False, help="Show the evidence quote of each entry (table).")
@pass_session
def timeline(session: Session, actor: str | None, between: Period | None, fmt: str, quotes: bool) -> None:
    """Dated events, rulings, agreements, status changes and claims in date order, with evidence.

    Example: kg timeline --actor "Yoon Suk-yeol" --between 2022 2023-04
    """
    from kg.analysis.explore import timeline as build_timeline

    rows = build_timeline(session.open(), actor=actor, between=between)
    columns = ["date", "kind", "label", "status", "actors"]
    if quotes or fmt != "table":
        columns.append("quote")
    write_rows(rows, columns, fmt)
