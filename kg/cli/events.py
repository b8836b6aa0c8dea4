"""`kg import gdelt` and `kg tension`: machine-coded event data (GDELT / CAMEO) in the graph.

`kg import gdelt` is the gdelt reader's own command (kg.readers.gdelt), added to `kg import`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from kg.cli.base import EXIT_CHECK_FAILED, Session, pass_session, write_rows
from kg.errors import KgError

MAX_LISTED = 20


@click.command("gdelt")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--actor-country", metavar="CODES", help="Keep events with an actor of these CAMEO countries (JPN,KOR).")
@click.option(
    "--dyad", "dyads", multiple=True, metavar="A:B", help="Keep events between A and B, either direction (repeatable)."
)
@click.option("--since", metavar="DATE", help="Keep events on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Keep events on or before DATE.")
@click.option("--root-codes", metavar="CODES", help="Keep these CAMEO root codes (03,04,14).")
@click.option(
    "--validate",
    is_flag=True,
    help="Also validate the whole store with the SHACL shapes; refuse the import on a violation.",
)
@pass_session
def import_gdelt(
    session: Session,
    files: tuple[Path, ...],
    actor_country: str | None,
    dyads: tuple[str, ...],
    since: str | None,
    until: str | None,
    root_codes: str | None,
    validate: bool,
) -> None:
    """Import GDELT events: 2.0 exports (61 columns, .CSV or .CSV.zip), 1.0 daily files (57/58
    columns) or CSV exports with a header row.

    Each event becomes a kg:Event with its CAMEO code, Goldstein value, counts, tone, date and
    place; its source article is a machine-coded evidence record. Importing again adds nothing.
    Malformed rows are reported with their line number and skipped; the command then exits 1.

    Example: kg import gdelt events.CSV.zip --dyad JPN:KOR --since 2017-06
    """
    from kg.event_import import event_files
    from kg.event_import import import_gdelt as run_import
    from kg.readers.gdelt import input_size, parse_filter

    chosen = parse_filter(actor_country, dyads, since, until, root_codes)
    store = session.location
    try:
        if sys.stderr.isatty():
            total = sum(input_size(f) for f in event_files(list(files)))
            with click.progressbar(length=total, label="Importing", file=sys.stderr) as bar:
                report = run_import(store, list(files), chosen, progress=bar.update, validate=validate)
        else:
            report = run_import(store, list(files), chosen, validate=validate)
    except KgError as error:
        for violation in getattr(error, "violations", [])[:MAX_LISTED]:
            click.echo(violation.line(), err=True)
        raise
    for skipped in report.skipped[:MAX_LISTED]:
        click.echo(f"skipped {skipped.text()}", err=True)
    if len(report.skipped) > MAX_LISTED:
        click.echo(f"... and {len(report.skipped) - MAX_LISTED} more skipped rows", err=True)
    reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(report.skip_reasons.items()))
    click.echo(
        f"Imported into {store}: {report.rows_read} rows read, {report.kept} kept, {report.filtered} filtered out, "
        f"{len(report.skipped)} skipped{f' ({reasons})' if reasons else ''}; "
        f"{report.events_added} new events, {report.quads_added} new statements in {report.seconds:.2f} s"
    )
    if report.skipped:
        sys.exit(EXIT_CHECK_FAILED)


@click.command()
@click.option("--dyad", nargs=2, required=True, metavar="A B", help="Two CAMEO country codes, e.g. JPN KOR.")
@click.option(
    "--by", type=click.Choice(["month", "week", "year"]), default="month", show_default=True, help="Period length."
)
@click.option("--since", metavar="DATE", help="From DATE (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Until DATE, inclusive.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--chart",
    type=click.Path(path_type=Path),
    metavar="FILE.png|svg",
    help="Also draw the series, with the dyad's curated events and agreements marked.",
)
@pass_session
def tension(
    session: Session,
    dyad: tuple[str, str],
    by: str,
    since: str | None,
    until: str | None,
    fmt: str,
    chart: Path | None,
) -> None:
    """Cooperation–conflict index of a dyad per period: events, Goldstein mean and mention-weighted
    mean, counts per quad class, for each direction and both together.

    Example: kg tension --dyad JPN KOR --by month --chart jpn-kor.png
    """
    from kg.tension import COLUMNS, curated_markers, tension_chart, tension_df

    store = session.open()
    frame = tension_df(store, dyad[0], dyad[1], by=by, since=since, until=until)
    rows: list[dict[str, Any]] = frame.to_dict(orient="records")
    if frame.empty:
        click.echo(
            f"no machine-coded events between {dyad[0].upper()} and {dyad[1].upper()}"
            " (import some with `kg import gdelt`)",
            err=True,
        )
    write_rows(rows, COLUMNS, fmt)
    if chart is not None:
        tension_chart(frame, chart, by, dyad[0], dyad[1], curated_markers(store, dyad[0], dyad[1]))
        click.echo(f"Chart written to {chart}", err=True)
