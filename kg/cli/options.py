"""Options shared by several commands, each defined once with one help text, and the date type.

Dates are parsed here, at the edge: `--as-of` gives the library a `kg.dates.Period`, `--between`
one Period from the first day of START to the last day of END.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from kg import formats as registry
from kg.dates import Period, parse_user_date, span
from kg.errors import ParameterError

F = TypeVar("F", bound=Callable[..., Any])


class PeriodType(click.ParamType):  # type: ignore[type-arg]
    """A date of any precision (YYYY, YYYY-MM, YYYY-MM-DD), as the Period of days it may mean."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Period:
        if isinstance(value, Period):
            return value
        from kg.cli.base import InputError

        option = param.opts[0] if param is not None and param.opts else "date"
        try:
            return parse_user_date(str(value), option)
        except ParameterError as error:
            raise InputError(str(error)) from None


PERIOD = PeriodType()


def _between(ctx: click.Context, param: click.Parameter, value: tuple[Period, Period] | None) -> Period | None:
    from kg.cli.base import InputError

    if not value:
        return None
    try:
        return span(*value)
    except ParameterError as error:
        raise InputError(f"--between: {error}") from None


def as_of() -> Callable[[F], F]:
    """--as-of DATE → `as_of: Period | None`."""
    return click.option(
        "--as-of",
        "as_of",
        type=PERIOD,
        metavar="DATE",
        help="Only what had happened or held by DATE (YYYY, YYYY-MM or YYYY-MM-DD).",
    )


def between() -> Callable[[F], F]:
    """--between START END → `between: Period | None` (START's first day to END's last)."""
    return click.option(
        "--between",
        nargs=2,
        type=PERIOD,
        metavar="START END",
        callback=_between,
        help="Only entries that may fall between two dates (YYYY, YYYY-MM or YYYY-MM-DD).",
    )


def view() -> Callable[[F], F]:
    """--view NAME → `view_name`, one of kg.analysis.project.VIEWS."""
    from kg.analysis.project import VIEWS

    return click.option(
        "--view",
        "view_name",
        type=click.Choice(VIEWS),
        default="full",
        show_default=True,
        help="full: entities and n-ary nodes; contracted: n-ary nodes as edges; actors; bipartite.",
    )


FORMAT_HELP = {
    "query": "Output format: table, SPARQL results (json, xml, csv, tsv) for SELECT/ASK, "
    "an RDF syntax for CONSTRUCT/DESCRIBE.",
    "export": "An RDF syntax; graphml/gexf for Gephi; nodes-csv/edges-csv for spreadsheets, Kumu or Flourish.",
    "rows": "Output format: an aligned table, CSV, or a JSON array.",
    "text": "Text for reading, JSON for scripts.",
}


def format_choices(kind: str) -> list[str]:
    """The --format choices of a kind of output, from the format registry."""
    if kind == "query":
        return ["table", *registry.names("results"), *registry.names("rdf", writable=True)]
    if kind == "export":
        return [*registry.names("rdf", writable=True), *registry.names("network")]
    if kind == "rows":
        return registry.names("rows")
    if kind == "text":
        return ["text", "json"]
    raise ValueError(f"no format kind {kind!r}")


def output_format(kind: str, default: str) -> Callable[[F], F]:
    """--format NAME → `fmt`, its choices read from the format registry (kinds of FORMAT_HELP)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(format_choices(kind)),
        default=default,
        show_default=True,
        help=FORMAT_HELP[kind],
    )


STORE_HELP = (
    "Store folder, or the URL of a SPARQL server (docs/remote-stores.md); "
    "default: the user's data folder; env KG_STORE."
)


def store() -> Callable[[F], F]:
    """--store PATH|URL (env KG_STORE) → `store`."""
    return click.option("--store", envvar="KG_STORE", metavar="PATH|URL", help=STORE_HELP)


def engine() -> Callable[[F], F]:
    """--engine: which SHACL engine validates (kg.validate.ENGINES)."""
    return click.option(
        "--engine",
        type=click.Choice(["sparql", "pyshacl"]),
        default="sparql",
        show_default=True,
        help="SHACL engine: the shapes compiled to SPARQL on Oxigraph, or pySHACL (the reference; slow on large data).",
    )


def verbosity() -> Callable[[F], F]:
    """-q/--quiet and -v/--verbose of the kg group (kg.progress)."""

    def decorate(function: F) -> F:
        function = click.option("-v", "--verbose", is_flag=True, help="Keep finished progress bars and print details.")(
            function
        )
        return click.option("-q", "--quiet", is_flag=True, help="No progress bars.")(function)

    return decorate
