"""The `kg` command: parse arguments, call the library, format what it returns.

One module per command family (data, query, analysis, pages, server, importing), registered
on the `cli` group below; shared options live in `kg.cli.options`, shared helpers and the
session object (ctx.obj) in `kg.cli.base`. Library errors (`kg.errors`) become one-line messages.
"""

from __future__ import annotations

from typing import Any

import click

from kg.cli import analysis, data, events, factsheet, importing, pages, query, server
from kg.cli.base import EXIT_CHECK_FAILED, CheckFailed, InputError, ServerStartFailed, Session, one_line
from kg.cli.options import store as store_option
from kg.cli.options import verbosity
from kg.errors import KgError

__all__ = ["CheckFailed", "InputError", "ServerStartFailed", "cli", "main", "one_line"]


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


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@store_option()
@verbosity()
@click.version_option(package_name="kg-diplomacy", prog_name="kg")
@click.pass_context
def cli(ctx: click.Context, store: str | None, quiet: bool, verbose: bool) -> None:
    """kg: a knowledge graph of diplomatic actors, agreements, disputes and claims.

    Every fact points to the sentence of the source that supports it.

    Example: kg demo
    """
    from kg import progress

    progress.configure(quiet=quiet, verbose=verbose)
    ctx.obj = Session(store=store)


for command in (
    data.build,
    data.validate,
    importing.import_group,
    query.query,
    query.describe,
    data.stats,
    data.export,
    analysis.analyze,
    analysis.path,
    analysis.neighbors,
    analysis.timeline,
    pages.render,
    pages.site,
    server.serve,
    pages.demo,
    events.tension,
    factsheet.source,
    factsheet.add,
    factsheet.search,
):
    cli.add_command(command)
importing.import_group.add_command(events.import_gdelt)  # the gdelt reader's own command (report, exit 1)


def main() -> None:
    from kg.sandbox import mark_one_shot

    mark_one_shot()  # this process is the one-shot command: `kg query` may lock it out of the network
    cli(prog_name="kg")
