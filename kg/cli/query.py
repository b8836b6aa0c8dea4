"""Commands that ask the graph: query (SPARQL) and describe (one entity)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.base import InputError, Session, pass_session, read_text, stdout
from kg.cli.options import output_format
from kg.describe import DESCRIBE_LIMIT


def _parse_params(values: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not name=value", param_hint="--param")
        params[name.lstrip("?$")] = value
    return params


@click.command()
@click.argument("query", required=False)
@click.option("-f", "--file", "query_file", type=click.Path(path_type=Path), help="Read the query from a .rq file.")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind ?NAME to VALUE (typed, never pasted into the query text).",
)
@output_format("query", "table")
@click.option("--list", "list_queries", is_flag=True, help="List the canned queries.")
@pass_session
def query(
    session: Session,
    query: str | None,
    query_file: Path | None,
    params: tuple[str, ...],
    fmt: str,
    list_queries: bool,
) -> None:
    """Run SPARQL over the store: a query text, a .rq file, or the name of a canned query.

    The default graph is the union of all graphs; the kg prefixes (kg:, kgr:, rdfs:, ...) are
    predeclared. SERVICE, LOAD and FROM of graphs not in the store are refused.

    Example: kg query cq1-summit-leaders --param date=2023-03-16
    """
    from kg import query as q
    from kg.output import format_table, terminal_width, write_result

    if list_queries:
        rows = [(c.name, c.description or c.title, q.describe_params(c)) for c in q.canned_queries().values()]
        click.echo(format_table(["name", "question", "parameters (--param name=value)"], rows))
        return
    if query is None and query_file is None:
        raise click.UsageError("give a query (SPARQL text or a canned name) or -f FILE.rq")
    if query is not None and query_file is not None:
        raise click.UsageError("give a query or -f FILE.rq, not both")
    bound = _parse_params(params)
    store = session.open()
    if not session.location.is_remote:  # a local store: this process never needs the network
        from kg.sandbox import deny_network_if_one_shot

        deny_network_if_one_shot()
    if query_file is not None:
        result = q.run_query(store, read_text(query_file, "query file"), bound)
    elif query in q.canned_queries():
        result = q.run_canned(store, query, bound)
    elif query is not None and (len(query.split()) > 1 or "{" in query):
        result = q.run_query(store, query, bound)
    else:
        q.get_canned(query or "")  # a single word is a canned query's name: raises with suggestions
        return
    try:
        write_result(result, fmt, stdout(), width=terminal_width(sys.stdout) if fmt == "table" else None)
    except BrokenPipeError:
        raise
    except (OSError, RuntimeError) as error:  # raised while the engine evaluates lazily
        raise InputError(f"query failed: {' '.join(str(error).split())}") from None


@click.command()
@click.argument("name")
@output_format("text", "text")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=DESCRIBE_LIMIT,
    show_default=True,
    help="List at most this many values of each relation, and count the rest (0: list everything).",
)
@pass_session
def describe(session: Session, name: str, fmt: str, limit: int) -> None:
    """Show an entity's facts with dates and evidence; NAME is a label or alias in any language.

    A hub (a state taking part in thousands of events) is summarised: each relation lists its
    first --limit values (by IRI) with their n-ary nodes, then how many it has in all.

    Example: kg describe "President Yoon"
    """
    import dataclasses
    import json

    from kg.describe import describe as run_describe

    entity = run_describe(session.open(), name, limit=limit or None)
    if fmt == "json":
        click.echo(json.dumps(dataclasses.asdict(entity), ensure_ascii=False, indent=2))
        return
    click.echo(f"{entity.label}  <{entity.iri}>")
    click.echo("  class: " + ", ".join(entity.classes))
    others = [f"{text} ({lang})" if lang else text for text, lang in entity.labels if text != entity.label]
    if others:
        click.echo("  also: " + "; ".join(others))
    for fact in entity.facts:
        if fact.direction == "out":
            click.echo(f"  {fact.predicate_label} → {fact.value_label}")
        else:
            click.echo(f"  {fact.predicate_label} ← {fact.value_label}")
        for quote in fact.quotes:
            click.echo(f"      “{quote}”")
    for cut in entity.omitted:
        arrow = "→" if cut.direction == "out" else "←"
        click.echo(
            f"  {cut.predicate_label} {arrow} … {cut.total - cut.shown:,} more ({cut.shown} of {cut.total:,} listed)"
        )
    for node in entity.nodes:  # second hop: the n-ary nodes the entity takes part in
        arrow = "→" if node.direction == "out" else "←"
        click.echo(f"  {node.predicate_label} {arrow} {node.label} [{', '.join(node.classes)}]")
        for fact in node.facts:
            click.echo(f"      {fact.predicate_label}: {fact.value_label}")
        for quote in sorted({q for fact in node.facts for q in fact.quotes}):
            click.echo(f"          “{quote}”")
