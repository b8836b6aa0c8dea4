"""The `kg` command: parse arguments, call the library, format what it returns."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from kg.errors import KgError

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE = 0, 1, 2


class InputError(click.ClickException):
    """Bad input or usage: one line, exit 2."""

    exit_code = EXIT_USAGE


class CheckFailed(click.ClickException):
    """A check failed (the data does not conform): one line, exit 1."""

    exit_code = EXIT_CHECK_FAILED


# Characters that would break an error line or reach the terminal as commands: C0/C1 controls
# (newlines, ANSI escapes), bidirectional overrides, and the surrogates that stand for bytes of a
# file name that are not UTF-8.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(char: str) -> str:
    code = ord(char)
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a non-UTF-8 file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """`text` with control characters escaped, so an error stays one harmless line."""
    return _UNPRINTABLE.sub(lambda match: _escape_char(match.group()), text)


class KgGroup(click.Group):
    """Turns library errors into one-line messages instead of tracebacks (the one place for it)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgError as error:
            raise (CheckFailed if error.exit_code == EXIT_CHECK_FAILED else InputError)(one_line(str(error))) from None
        except click.ClickException as error:
            error.message = one_line(error.message)  # type: ignore[misc]  # click marks it Final
            raise
        except MemoryError as error:
            raise InputError(one_line(f"out of memory ({error or 'MemoryError'}); the input is too large")) from None
        except RecursionError:
            raise InputError("the input is nested too deeply to process") from None


def _store_path(ctx: click.Context) -> Path | str:
    """The --store folder, or the SPARQL endpoint URL as given (a Path would mangle its //)."""
    from kg.remote import is_remote
    from kg.store import default_store_path

    chosen = ctx.obj.get("store") if ctx.obj else None
    if is_remote(chosen):
        return str(chosen)
    if chosen and "://" in chosen:
        raise click.UsageError(f"--store {chosen}: a store is a folder or an http(s):// SPARQL endpoint URL")
    return Path(chosen) if chosen else default_store_path()


def _open(ctx: click.Context) -> Any:
    from kg.store import open_store

    return open_store(_store_path(ctx))


def _stdout() -> Any:
    sys.stdout.flush()  # text written by click.echo must come out before the bytes
    return sys.stdout.buffer


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--store",
    envvar="KG_STORE",
    metavar="PATH|URL",
    help="Store folder, or the URL of a SPARQL server (docs/remote-stores.md); "
    "default: the user's data folder; env KG_STORE.",
)
@click.version_option(package_name="kg-diplomacy", prog_name="kg")
@click.pass_context
def cli(ctx: click.Context, store: str | None) -> None:
    """kg: a knowledge graph of diplomatic actors, agreements, disputes and claims.

    Every fact points to the sentence of the source that supports it.

    Example: kg demo
    """
    ctx.obj = {"store": store}


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--only", is_flag=True, help="Load only the given files, not the bundled graphs.")
@click.option("--infer", is_flag=True, help="Add the OWL 2 RL closure (owlrl) in the graph kgg:inferred.")
@click.option("--allow-invalid", is_flag=True, help="Load data that fails validation; print violations as warnings.")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation (for large imports).")
@click.pass_context
def build(
    ctx: click.Context, paths: tuple[Path, ...], only: bool, infer: bool, allow_invalid: bool, no_validate: bool
) -> None:
    """Build the store from the ontology, the bundled graphs and any RDF files or folders.

    Turtle, TriG, N-Triples, N-Quads, JSON-LD and RDF/XML are read. The build is atomic: a
    failed build leaves the previous store exactly as it was.

    Example: kg build my-notes.trig --infer
    """
    from kg.build import build as run_build

    if only and not paths:
        raise click.UsageError("--only needs at least one file or folder")
    try:
        report = run_build(
            _store_path(ctx), list(paths), only=only, infer=infer,
            allow_invalid=allow_invalid, validate=not no_validate,
        )
    except KgError as error:
        for violation in getattr(error, "violations", [])[:50]:
            click.echo(one_line(violation.line()), err=True)
        raise
    for violation in report.violations:
        click.echo(one_line(("warning: " if report.conforms is False else "") + violation.line()), err=True)
    click.echo(
        f"Built {report.store}: {report.quads} statements in {report.graphs} graphs, "
        f"{report.evidence_records} evidence records"
        + (f", {report.inferred} inferred" if infer else "")
        + f", from {len(report.inputs)} files in {report.seconds:.2f} s"
        + ("" if report.validated else " (not validated)")
    )


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--only", is_flag=True, help="Validate only the given files, without the bundled graphs.")
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...], only: bool) -> None:
    """Check data against the SHACL shapes; one line per violation, exit 1 if any.

    With no PATHS, validates the built store; with PATHS, validates those files together with
    the ontology and the bundled graphs (as `kg build` would load them).

    Example: kg validate my-notes.trig
    """
    from kg.build import validate_files
    from kg.validate import validate_store

    violations = validate_files(list(paths), only) if paths else validate_store(_open(ctx))
    for violation in violations:
        click.echo(one_line(violation.line()))
    errors = sum(v.severity == "Violation" for v in violations)
    if errors:
        click.echo(f"{errors} violation(s): the data does not conform", err=True)
        sys.exit(EXIT_CHECK_FAILED)
    click.echo("Conforms" + (f" ({len(violations)} warning(s))" if violations else ""), err=True)


def _read_text(path: Path, what: str) -> str:
    """A small UTF-8 text file named on the command line; a FIFO, device or folder is refused at once."""
    from kg.errors import InputFileError
    from kg.limits import MB, read_regular_file

    data = read_regular_file(path, 16 * MB, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError(str(path), f"{what} is not UTF-8 text (byte {error.start})") from None


def _parse_params(values: tuple[str, ...]) -> dict[str, str]:
    params = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not name=value", param_hint="--param")
        params[name.lstrip("?$")] = value
    return params


@cli.command()
@click.argument("query", required=False)
@click.option("-f", "--file", "query_file", type=click.Path(path_type=Path), help="Read the query from a .rq file.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Bind ?NAME to VALUE (typed, never pasted into the query text).")
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "csv", "tsv", "json", "xml", "turtle", "ntriples", "jsonld"]),
              help="Output format; json is W3C SPARQL results JSON.")
@click.option("--list", "list_queries", is_flag=True, help="List the canned queries.")
@click.pass_context
def query(
    ctx: click.Context, query: str | None, query_file: Path | None, params: tuple[str, ...],
    fmt: str, list_queries: bool,
) -> None:
    """Run SPARQL over the store: a query text, a .rq file, or the name of a canned query.

    The default graph is the union of all graphs; the kg prefixes (kg:, kgr:, rdfs:, ...) are
    predeclared. SERVICE, LOAD and FROM of graphs not in the store are refused.

    Example: kg query cq1-summit-leaders --param date=2023-03-16
    """
    from kg import query as q
    from kg.output import format_table, write_result

    if list_queries:
        rows = [(c.name, c.description or c.title, q.describe_params(c)) for c in q.canned_queries().values()]
        click.echo(format_table(["name", "question", "parameters (--param name=value)"], rows))
        return
    if query is None and query_file is None:
        raise click.UsageError("give a query (SPARQL text or a canned name) or -f FILE.rq")
    if query is not None and query_file is not None:
        raise click.UsageError("give a query or -f FILE.rq, not both")
    bound = _parse_params(params)
    store = _open(ctx)
    if query_file is not None:
        result = q.run_query(store, _read_text(query_file, "query file"), bound)
    elif query in q.canned_queries():
        result = q.run_canned(store, query, bound)
    elif query is not None and (len(query.split()) > 1 or "{" in query):
        result = q.run_query(store, query, bound)
    else:
        q.get_canned(query or "")  # a single word is a canned query's name: raises with suggestions
        return
    write_result(result, fmt, _stdout())


@cli.command()
@click.argument("name")
@click.option("--format", "fmt", default="text", show_default=True, type=click.Choice(["text", "json"]),
              help="Text for reading, JSON for scripts.")
@click.pass_context
def describe(ctx: click.Context, name: str, fmt: str) -> None:
    """Show an entity's facts with dates and evidence; NAME is a label or alias in any language.

    Example: kg describe "President Yoon"
    """
    import dataclasses
    import json

    from kg.describe import describe as run_describe

    entity = run_describe(_open(ctx), name)
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
    for node in entity.nodes:  # second hop: the n-ary nodes the entity takes part in
        arrow = "→" if node.direction == "out" else "←"
        click.echo(f"  {node.predicate_label} {arrow} {node.label} [{', '.join(node.classes)}]")
        for fact in node.facts:
            click.echo(f"      {fact.predicate_label}: {fact.value_label}")
        for quote in sorted({q for fact in node.facts for q in fact.quotes}):
            click.echo(f"          “{quote}”")


@cli.command()
@click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(["table", "json"]),
              help="Tables for reading, JSON for scripts.")
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """Counts by class and property, and entities without evidence.

    Example: kg stats --format json
    """
    import dataclasses
    import json

    from kg.namespaces import shorten
    from kg.output import format_table
    from kg.stats import stats as run_stats

    result = run_stats(_open(ctx))
    if fmt == "json":
        click.echo(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.quads} statements, {result.graphs} graphs, {result.evidence_records} evidence records\n")
    click.echo(format_table(["class", "instances"], [(shorten(c), str(n)) for c, n in result.classes]))
    click.echo()
    click.echo(format_table(["property", "statements"], [(shorten(p), str(n)) for p, n in result.properties]))
    click.echo()
    if result.without_evidence:
        click.echo(format_table(["entity without evidence", "label"],
                                [(shorten(i), label) for i, label in result.without_evidence]))
    else:
        click.echo("Every entity has evidence.")


@cli.command()
@click.option("--format", "fmt", default="turtle", show_default=True,
              type=click.Choice(["turtle", "ntriples", "nquads", "trig", "jsonld", "graphml", "gexf"]),
              help="RDF format, or graphml/gexf for Gephi.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to a file instead of standard output.")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Export the store as RDF, or as GraphML/GEXF for Gephi.

    Turtle, N-Triples and JSON-LD hold the union of all graphs; N-Quads and TriG keep every
    named graph (evidence and provenance included).

    Example: kg export --format graphml -o japan-rok.graphml
    """
    from kg.export import export as run_export

    store = _open(ctx)
    if output is None:
        run_export(store, fmt, _stdout())
        return
    try:
        with open(output, "wb") as stream:
            run_export(store, fmt, stream)
    except OSError as error:
        raise InputError(f"{output}: cannot write ({error.strerror})") from None
    click.echo(f"Wrote {output}", err=True)


def _graph(store: Any, as_of: str | None = None, classes: tuple[str, ...] = ()) -> Any:
    from kg.dates import parse_user_date
    from kg.project import entity_graph

    cut = parse_user_date(as_of, "--as-of") if as_of else None
    return entity_graph(store, as_of=cut, classes=classes)


def _write_rows(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> None:
    from kg.output import write_rows

    write_rows(rows, columns, fmt, _stdout())


VIEW_CHOICE = click.Choice(["full", "contracted", "actors", "bipartite"])
ROWS_CHOICE = click.Choice(["table", "csv", "json"])


@cli.command()
@click.option("--view", "view_name", type=VIEW_CHOICE, default="full", show_default=True,
              help="full: entities and n-ary nodes; contracted: n-ary nodes as edges; actors; bipartite.")
@click.option("--as-of", metavar="DATE", help="Only what had happened or held by DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True, help="Rows to show (0: all).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for sampling and Louvain.")
@click.option("--samples", type=click.IntRange(min=1),
              help="Betweenness from this many sampled sources (default: exact up to 1,000 nodes, else 128).")
@click.option("--engine", type=click.Choice(["auto", "networkx", "igraph"]), default="auto", show_default=True,
              help="auto: networkx for small graphs, igraph above 2,000 nodes.")
@click.option("--format", "fmt", type=ROWS_CHOICE, default="table", show_default=True, help="Output format.")
@click.option("--write-back", is_flag=True, help="Store the scores in the graph kgg:analysis (atomic update).")
@click.pass_context
def analyze(ctx: click.Context, view_name: str, as_of: str | None, top: int, seed: int, samples: int | None,
            engine: str, fmt: str, write_back: bool) -> None:
    """Centrality, communities (Louvain), brokers and k-core of a projection of the graph.

    Example: kg analyze --view actors --as-of 2023-03-15 --top 10
    """
    from kg.analyze import analyze as run_analysis
    from kg.project import view

    graph = view(_graph(_open(ctx), as_of), view_name)
    result = run_analysis(graph, seed=seed, samples=samples, engine=engine)
    rows, groups, modularity, found = result.rows, result.communities, result.modularity, result.brokers
    if write_back:
        from kg.analyze import write_back as store_scores

        store_scores(_store_path(ctx), rows, {"view": view_name, "as_of": as_of or "", "seed": seed})
    columns = ["label", "kind", "degree", "betweenness", "pagerank", "eigenvector", "community", "broker", "core"]
    _write_rows(rows[:top] if top else rows, columns, fmt)
    click.echo(f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} links; {len(groups)} communities "
               f"(modularity {modularity:.3f}); {len(found['articulation_points'])} brokers, "
               f"{len(found['bridges'])} bridges" + ("; scores written to kgg:analysis" if write_back else ""),
               err=True)


@cli.command()
@click.argument("source")
@click.argument("target")
@click.option("--k", "k", type=int, default=3, show_default=True, help="How many paths.")
@click.option("--as-of", metavar="DATE", help="Only links that held by DATE.")
@click.option("--via-hubs", is_flag=True, help="Count every step alike (by default busy nodes and claims cost more).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Text for reading, JSON for scripts.")
@click.pass_context
def path(ctx: click.Context, source: str, target: str, k: int, as_of: str | None, via_hubs: bool, fmt: str) -> None:
    """Explain how two entities are linked: the k best paths, every hop with its date and evidence.

    Example: kg path "Supreme Court forced-labour ruling of October 2018" "Japan-ROK summit of 16 March 2023"
    """
    import dataclasses
    import json

    from kg.explore import explain_paths

    found = explain_paths(_open(ctx), source, target, k=k, as_of=as_of, avoid_hubs=not via_hubs)
    if fmt == "json":
        click.echo(json.dumps([dataclasses.asdict(p) for p in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("No path links them" + (f" as of {as_of}" if as_of else "") + ".")
    for number, explained in enumerate(found, 1):
        click.echo(f"Path {number} ({len(explained.hops)} steps):")
        click.echo("\n".join("  " + line for line in explained.lines()))


@cli.command()
@click.argument("name")
@click.option("--hops", type=int, default=1, show_default=True, help="How far to look (0 or more).")
@click.option("--as-of", metavar="DATE", help="Only links that held by DATE.")
@click.option("--format", "fmt", type=ROWS_CHOICE, default="table", show_default=True, help="Output format.")
@click.pass_context
def neighbors(ctx: click.Context, name: str, hops: int, as_of: str | None, fmt: str) -> None:
    """Entities within --hops links of NAME, nearest first, with the link that reaches each.

    Example: kg neighbors Kishida --hops 2
    """
    from kg.explore import neighbors as find_neighbors

    rows = find_neighbors(_open(ctx), name, hops=hops, as_of=as_of)
    _write_rows(rows, ["distance", "label", "kind", "date", "via"], fmt)


@cli.command()
@click.option("--actor", metavar="NAME", help="Only entries this actor takes part in.")
@click.option("--between", nargs=2, metavar="START END", help="Only entries that may fall between two dates.")
@click.option("--format", "fmt", type=ROWS_CHOICE, default="table", show_default=True, help="Output format.")
@click.option("--quotes/--no-quotes", default=False, help="Show the evidence quote of each entry (table).")
@click.pass_context
def timeline(ctx: click.Context, actor: str | None, between: tuple[str, str] | None, fmt: str, quotes: bool) -> None:
    """Dated events, rulings, agreements, status changes and claims in date order, with evidence.

    Example: kg timeline --actor "Yoon Suk-yeol" --between 2022 2023-04
    """
    from kg.explore import timeline as build_timeline

    rows = build_timeline(_open(ctx), actor=actor, between=between or None)
    columns = ["date", "kind", "label", "status", "actors"]
    if quotes or fmt != "table":
        columns.append("quote")
    _write_rows(rows, columns, fmt)


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("kg-graph.html"), show_default=True,
              help="HTML file to write.")
@click.option("--focus", "focus_name", metavar="NAME", help="Only the neighbourhood of this entity.")
@click.option("--hops", type=int, default=2, show_default=True, help="Size of the --focus neighbourhood.")
@click.option("--as-of", metavar="DATE", help="Only what had happened or held by DATE.")
@click.option("--class", "classes", multiple=True, metavar="CLASS", help="Keep only these classes (Actor, Summit…).")
@click.option("--view", "view_name", type=VIEW_CHOICE, default="full", show_default=True, help="Which projection.")
@click.option("--size", type=click.Choice(["pagerank", "degree", "betweenness", "none"]), default="pagerank",
              show_default=True, help="Node size by this centrality.")
@click.pass_context
def render(ctx: click.Context, output: Path, focus_name: str | None, hops: int, as_of: str | None,
           classes: tuple[str, ...], view_name: str, size: str) -> None:
    """Write an interactive graph page: one HTML file that works offline.

    Example: kg render -o summit.html --focus "Japan-ROK summit of 16 March 2023" --hops 1
    """
    from kg.analyze import centrality
    from kg.errors import ParameterError
    from kg.project import view
    from kg.render import focus, network, write_page

    if hops < 0:
        raise ParameterError(f"--hops must be 0 or more, not {hops}")
    store = _open(ctx)
    graph = _graph(store, as_of, classes)
    title = "kg graph" + (f" as of {as_of}" if as_of else "")
    if focus_name:
        from kg.describe import find_entity

        center = find_entity(store, focus_name)
        if center.iri not in graph:
            raise ParameterError(f"--focus: {focus_name!r} is not in the graph{' as of ' + as_of if as_of else ''}")
        graph = focus(graph, center.iri, hops)
        title = f"{center.label}: {hops}-hop neighbourhood" + (f" as of {as_of}" if as_of else "")
    graph = view(graph, view_name)
    sizes = {r["node"]: r[size] for r in centrality(graph)} if size != "none" else None
    net = network(graph, sizes=sizes, title=title)
    try:
        write_page(net, output, title=title, subtitle=f"{view_name} view")
    except OSError as error:
        raise InputError(f"{output}: cannot write ({error.strerror})") from None
    click.echo(f"Wrote {output}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} links", err=True)


@cli.command()
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--hops", type=click.IntRange(min=0), default=1, show_default=True,
              help="Size of each entity page's neighbourhood graph.")
@click.pass_context
def site(ctx: click.Context, outdir: Path, hops: int) -> None:
    """Write a static site: the whole graph, a page per entity and per canned query; opens from file://.

    Example: kg site japan-rok-site && xdg-open japan-rok-site/index.html
    """
    from kg.site import site_pages

    pages = site_pages(_open(ctx), hops=hops)
    try:
        for relative, text in pages.items():
            target = outdir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{outdir}: cannot write ({error.strerror})") from None
    click.echo(f"Wrote {len(pages)} files to {outdir}; open {outdir / 'index.html'}", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True, help="TCP port.")
@click.option("--workers", type=click.IntRange(min=1), default=3, show_default=True, help="Query processes.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Time limit per query or update, in seconds (the worker is stopped).")
@click.option("--max-result-mb", type=click.IntRange(min=1), default=50, show_default=True,
              help="Largest result the server sends.")
@click.option("--max-request-kb", type=click.IntRange(min=1), default=1024, show_default=True,
              help="Largest request body accepted.")
@click.option("--allow-update", is_flag=True, help="Accept SPARQL Update and Graph Store writes (needs a token).")
@click.option("--token-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File holding the bearer token for updates (or set KG_SERVE_TOKEN).")
@click.option("--no-site", is_flag=True, help="Do not serve the kg site pages at /site.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, timeout: float, max_result_mb: int,
          max_request_kb: int, allow_update: bool, token_file: Path | None, no_site: bool) -> None:
    """Serve the store as a SPARQL 1.1 endpoint at /sparql, with the site at /site and a query page.

    Read-only and bound to 127.0.0.1 unless told otherwise; SERVICE, LOAD and foreign FROM are
    refused; every query has a time limit.

    Example: kg serve --port 7878 --timeout 5
    """
    import os

    from kg.serve import ServeConfig
    from kg.serve import serve as run_server

    token = _read_text(token_file, "token file").strip() if token_file else os.environ.get("KG_SERVE_TOKEN")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: binding {host}: the endpoint is reachable from other machines", err=True)
    store_path = _store_path(ctx)
    if isinstance(store_path, str):
        raise click.UsageError("kg serve serves a store folder; a SPARQL server already has its own endpoint")
    config = ServeConfig(
        store_path=store_path, host=host, port=port, workers=workers, timeout=timeout,
        max_result_bytes=max_result_mb * 1024 * 1024, max_request_bytes=max_request_kb * 1024,
        allow_update=allow_update, token=token or None, site=not no_site,
    )
    click.echo(f"kg serve: http://{host}:{port}/sparql (query page http://{host}:{port}/query)"
               + (", updates allowed with the bearer token" if allow_update else ", read-only"), err=True)
    run_server(config)


DEMO_QUERIES = [
    "cq1-summit-leaders", "cq2-ruling-order", "cq3-compensation-plan", "cq4-export-controls",
    "cq5-phnom-penh-statement", "cq6-minefields", "cq7-ruling-to-summit",
]


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("japan-rok-2023.html"),
              show_default=True, help="Where to write the interactive page of the whole graph.")
@click.pass_context
def demo(ctx: click.Context, output: Path) -> None:
    """Build the store from the bundled data, answer the public competency questions and write the
    interactive page of the graph.

    Example: kg demo -o japan-rok-2023.html
    """
    from kg import query as q
    from kg.build import build as run_build
    from kg.output import write_result

    report = run_build(_store_path(ctx))
    click.echo(f"Built {report.store}: {report.quads} statements, {report.evidence_records} evidence records "
               f"({report.seconds:.1f} s); the data conforms to the shapes.\n")
    store = _open(ctx)
    for name in DEMO_QUERIES:
        canned = q.get_canned(name)
        click.echo(f"== {canned.description or canned.title}")
        write_result(q.run_canned(store, name), "table", _stdout())
        click.echo()
    ctx.invoke(render, output=output, focus_name=None, hops=2, as_of=None, classes=(), view_name="full",
               size="pagerank")
    click.echo(f"Open {output} in a browser (it works offline). "
               "Next: kg query --list | kg describe Yoon | kg path Yoon Kishida | kg site SITE_FOLDER")


def main() -> None:
    cli(prog_name="kg")
