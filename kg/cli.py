"""The `kg` command: parse arguments, call the library, format what it returns."""

from __future__ import annotations

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


class KgGroup(click.Group):
    """Turns library errors into one-line messages instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KgError as error:
            raise (CheckFailed if error.exit_code == EXIT_CHECK_FAILED else InputError)(str(error)) from None


def _store_path(ctx: click.Context) -> Path:
    from kg.store import default_store_path

    chosen = ctx.obj.get("store") if ctx.obj else None
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
    metavar="PATH",
    help="Store folder (default: the user's data folder; env KG_STORE).",
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
            click.echo(violation.line(), err=True)
        raise
    for violation in report.violations:
        click.echo(("warning: " if report.conforms is False else "") + violation.line(), err=True)
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
        click.echo(violation.line())
    errors = sum(v.severity == "Violation" for v in violations)
    if errors:
        click.echo(f"{errors} violation(s): the data does not conform", err=True)
        sys.exit(EXIT_CHECK_FAILED)
    click.echo("Conforms" + (f" ({len(violations)} warning(s))" if violations else ""), err=True)


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
        rows = [(c.name, c.description or c.title) for c in q.canned_queries().values()]
        click.echo(format_table(["name", "question"], rows))
        return
    if (query is None) == (query_file is None):
        raise click.UsageError("give a query (text or canned name) or -f FILE.rq, not both")
    bound = _parse_params(params)
    store = _open(ctx)
    if query_file is not None:
        result = q.run_query(store, q.read_query_file(query_file), bound)
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
            click.echo(f"  ← {fact.predicate_label} of {fact.value_label}")
        for quote in fact.quotes:
            click.echo(f"      “{quote}”")


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
        raise click.FileError(str(output), error.strerror) from None
    click.echo(f"Wrote {output}", err=True)


DEMO_QUERIES = [
    "cq1-summit-leaders", "cq2-ruling-order", "cq3-compensation-plan", "cq4-export-controls",
    "cq5-phnom-penh-statement", "cq6-minefields", "cq7-ruling-to-summit",
]


@cli.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Build the store from the bundled data and answer the public competency questions.

    Example: kg demo
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
    click.echo("Next: kg query --list | kg describe Yoon | kg query 'SELECT ...' | kg export --format graphml")


def main() -> None:
    cli(prog_name="kg")
