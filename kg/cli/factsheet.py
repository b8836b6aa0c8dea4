"""`kg source`, `kg add` and `kg search`: bring your own sources and find things in the graph (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from kg.cli.base import Session, pass_session


@click.group()
def source() -> None:
    """Register the texts your quotes come from, and list the sources the store knows.

    Example: kg source add report.txt --title "Harbour talks" --publisher "Norland MFA" --issued 2024-05
    """


@source.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--title", required=True, help="The source's title.")
@click.option("--publisher", help="Who published it.")
@click.option("--issued", metavar="DATE", help="When: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--url", help="Where it was published (http or https).")
@click.option("--language", default="en", show_default=True, help="Language tag of the text (en, ja, ko, …).")
@pass_session
def source_add(
    session: Session, file: Path, title: str, publisher: str | None, issued: str | None, url: str | None, language: str
) -> None:
    """Register a plain-text or Markdown source: its text is copied into the store with its sha256.

    Example: kg source add report.txt --title "Harbour talks" --publisher "Norland MFA" --issued 2024-05
    """
    from kg.sources import SourceInfo, register

    found, new = register(session.location, file, SourceInfo(title, publisher, issued, url, language))
    verb = "Registered" if new else "Already registered"
    click.echo(f"{verb} {found.id}: {found.title} (sha256 {found.sha256})")


@source.command("list")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for reading, JSON for scripts.",
)
@pass_session
def source_list(session: Session, fmt: str) -> None:
    """List the sources of the store: id, title, publisher, date, local copy.

    Example: kg source list
    """
    import dataclasses

    from kg.sources import list_sources

    sources = list_sources(session.open())
    if fmt == "json":
        click.echo(json.dumps([{**dataclasses.asdict(s), "id": s.id} for s in sources], ensure_ascii=False, indent=2))
        return
    for s in sources:
        details = ", ".join(x for x in (s.publisher, s.issued, s.language) if x)
        copy = f"  [{s.local_copy}]" if s.local_copy else ""
        click.echo(f"{s.id}  {s.title}" + (f" ({details})" if details else "") + copy)


@click.command("add")
@click.argument("sheets", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", "source_id", metavar="ID", help="The registered source of the quotes (see kg source list).")
@click.option("--dry-run", is_flag=True, help="Check everything and show what would be added; change nothing.")
@click.option(
    "--to-trig",
    "to_trig",
    type=click.Path(path_type=Path),
    metavar="OUT.trig",
    help="Write the evidence graphs to a TriG file (for version control and `kg build`) instead.",
)
@pass_session
def add(session: Session, sheets: tuple[Path, ...], source_id: str | None, dry_run: bool, to_trig: Path | None) -> None:
    """Add fact sheets (YAML or CSV): each quote becomes an evidence graph of the facts it supports.

    All sheets are added, or none: the first bad entry stops with one line naming the sheet,
    entry and field, and the store is left as it was.

    Example: kg add examples/factsheet/facts.yaml
    """
    from kg.factsheets import add_sheets, sheets_to_trig, try_sheets

    if dry_run and to_trig:
        raise click.UsageError("--dry-run and --to-trig do not go together")
    store = session.location
    if to_trig:
        report = sheets_to_trig(store, list(sheets), to_trig, source_id)
    elif dry_run:
        report = try_sheets(store, list(sheets), source_id)
    else:
        report = add_sheets(store, list(sheets), source_id)
    if dry_run:
        for entry in report.entries:
            click.echo(
                f"{entry.sheet}: entry {entry.entry}: {entry.statements} statements, "
                f"quote at {entry.start}..{entry.end} → <{entry.evidence}>"
            )
    for new in report.new_sources:
        click.echo(f"{'Would register' if dry_run else 'Registered'} source {new.id}: {new.title}")
    verb = "Would add" if dry_run else ("Wrote" if to_trig else "Added")
    target = f" to {report.written}" if report.written else ""
    click.echo(
        f"{verb} {len(report.entries)} entries ({report.quads} statements, {report.new_entities} new "
        f"entities, {report.claims} claims) from {len(report.sheets)} sheet(s){target}"
    )


@click.command("search")
@click.argument("text")
@click.option(
    "--class", "classes", multiple=True, metavar="CLASS", help="Only entities of this class (Actor, Summit…)."
)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True, help="How many entities.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text for reading, JSON for scripts.",
)
@pass_session
def search(session: Session, text: str, classes: tuple[str, ...], limit: int, fmt: str) -> None:
    """Ranked full-text search over labels and aliases (any language), descriptions, claims and quotes.

    Example: kg search "radar incident" --class Event
    """
    import dataclasses

    from kg.search import search as run_search

    hits = run_search(session.open(), text, classes=classes, limit=limit)
    if fmt == "json":
        click.echo(json.dumps([dataclasses.asdict(h) for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo(f"nothing found for {text!r}", err=True)
    for number, hit in enumerate(hits, 1):
        where = hit.kind + (f"@{hit.language}" if hit.language else "")
        click.echo(f"{number}. {hit.label}  [{', '.join(hit.classes)}]  <{hit.entity}>")
        click.echo(f"     {where}: {hit.snippet}")
