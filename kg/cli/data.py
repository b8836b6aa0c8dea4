"""Commands that make or dump the store: build, validate, stats, export."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli.base import (
    EXIT_CHECK_FAILED,
    InputError,
    Session,
    echo_json,
    one_line,
    pass_session,
    stdout,
    violation_json,
)
from kg.cli.options import engine as engine_option
from kg.cli.options import output_format
from kg.errors import KgError


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--only", is_flag=True, help="Load only the given files, not the bundled graphs.")
@click.option("--infer", is_flag=True, help="Add the OWL 2 RL closure (owlrl) in the graph kgg:inferred.")
@click.option("--allow-invalid", is_flag=True, help="Load data that fails validation; print violations as warnings.")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation (for large imports).")
@output_format("text", "text")
@engine_option()
@pass_session
def build(
    session: Session,
    paths: tuple[Path, ...],
    only: bool,
    infer: bool,
    allow_invalid: bool,
    no_validate: bool,
    fmt: str,
    engine: str,
) -> None:
    """Build the store from the ontology, the bundled graphs and any RDF files or folders.

    Turtle, TriG, N-Triples, N-Quads, JSON-LD and RDF/XML are read (and any file a reader of
    `kg import` claims). The build is atomic: a failed build leaves the previous store exactly as it was.

    Example: kg build my-notes.trig --infer
    """
    from kg.build import build as run_build

    if only and not paths:
        raise click.UsageError("--only needs at least one file or folder")
    try:
        report = run_build(
            session.location,
            list(paths),
            only=only,
            infer=infer,
            allow_invalid=allow_invalid,
            validate=not no_validate,
            engine=engine,
        )
    except KgError as error:
        if fmt == "json":
            echo_json(
                {
                    "built": False,
                    "error": str(error),
                    "violations": [violation_json(v) for v in getattr(error, "violations", [])],
                }
            )
        else:
            for violation in getattr(error, "violations", [])[:50]:
                click.echo(one_line(violation.line()), err=True)
        raise
    if fmt == "json":
        import dataclasses

        payload = {"built": True, **dataclasses.asdict(report), "conforms": report.conforms}
        payload["violations"] = [violation_json(v) for v in report.violations]
        echo_json(payload)
        return
    for violation in report.violations:
        click.echo(one_line(("warning: " if report.conforms is False else "") + violation.line()), err=True)
    click.echo(
        f"Built {report.store}: {report.quads} statements in {report.graphs} graphs, "
        f"{report.evidence_records} evidence records"
        + (f", {report.inferred} inferred" if infer else "")
        + f", from {len(report.inputs)} files in {report.seconds:.2f} s"
        + ("" if report.validated else " (not validated)")
    )


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--only", is_flag=True, help="Validate only the given files, without the bundled graphs.")
@output_format("text", "text")
@engine_option()
@pass_session
def validate(session: Session, paths: tuple[Path, ...], only: bool, fmt: str, engine: str) -> None:
    """Check data against the SHACL shapes; one line per violation, exit 1 if any.

    With no PATHS, validates the built store; with PATHS, validates those files together with
    the ontology and the bundled graphs (as `kg build` would load them).

    Example: kg validate my-notes.trig
    """
    from kg.build import validate_files
    from kg.validate import validate_store

    violations = (
        validate_files(list(paths), only, engine=engine) if paths else validate_store(session.open(), engine=engine)
    )
    errors = sum(v.severity == "Violation" for v in violations)
    if fmt == "json":
        echo_json({"conforms": not errors, "violations": [violation_json(v) for v in violations]})
        if errors:
            sys.exit(EXIT_CHECK_FAILED)
        return
    for violation in violations:
        click.echo(one_line(violation.line()))
    if errors:
        click.echo(f"{errors} violation(s): the data does not conform", err=True)
        sys.exit(EXIT_CHECK_FAILED)
    click.echo("Conforms" + (f" ({len(violations)} warning(s))" if violations else ""), err=True)


@click.command()
@click.option(
    "--format",
    "fmt",
    default="table",
    show_default=True,
    type=click.Choice(["table", "json"]),
    help="Tables for reading, JSON for scripts.",
)
@pass_session
def stats(session: Session, fmt: str) -> None:
    """Counts by class and property, and entities without evidence.

    Example: kg stats --format json
    """
    import dataclasses
    import json

    from kg.namespaces import shorten
    from kg.output import format_table
    from kg.stats import stats as run_stats

    result = run_stats(session.open())
    if fmt == "json":
        click.echo(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.quads} statements, {result.graphs} graphs, {result.evidence_records} evidence records\n")
    click.echo(format_table(["class", "instances"], [(shorten(c), str(n)) for c, n in result.classes]))
    click.echo()
    click.echo(format_table(["property", "statements"], [(shorten(p), str(n)) for p, n in result.properties]))
    click.echo()
    if result.without_evidence:
        click.echo(
            format_table(
                ["entity without evidence", "label"], [(shorten(i), label) for i, label in result.without_evidence]
            )
        )
    else:
        click.echo("Every entity has evidence.")


@click.command()
@output_format("export", "turtle")
@click.option("--dynamic", is_flag=True, help="GEXF: a dynamic graph, each dated node with its time spell.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to a file instead of standard output.")
@pass_session
def export(session: Session, fmt: str, dynamic: bool, output: Path | None) -> None:
    """Export the store as RDF, as GraphML/GEXF for Gephi, or as CSV node and edge lists.

    Turtle, N-Triples, RDF/XML and JSON-LD hold the union of all graphs; N-Quads and TriG keep
    every named graph (evidence and provenance included). Network formats keep every evidenced
    link, each with a unique id and a weight (its number of evidence records).

    Example: kg export --format graphml -o japan-rok.graphml
    """
    from kg.export import export as run_export

    if dynamic and fmt != "gexf":
        raise click.UsageError("--dynamic applies to --format gexf only")
    store = session.open()
    if output is None:
        run_export(store, fmt, stdout(), dynamic=dynamic)
        return
    try:
        with open(output, "wb") as stream:
            run_export(store, fmt, stream, dynamic=dynamic)
    except OSError as error:
        raise InputError(f"{output}: cannot write ({error.strerror})") from None
    click.echo(f"Wrote {output}", err=True)
