"""`kg import KIND FILE…`: add files to the store with a reader of the registry (kg.readers).

One subcommand per registered reader, its options generated from the reader's entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kg.cli.base import Session, one_line, pass_session
from kg.errors import KgError


class ImportGroup(click.Group):
    """Lists and builds one subcommand per registered reader (read when first asked)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from kg.readers import readers

        return list(readers())

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """A reader's own command when it has one (added with add_command: `kg import gdelt`, which
        reports rows and skips), else the generic command built from its registry entry."""
        from kg.readers import readers

        if name in self.commands:
            return self.commands[name]
        reader = readers().get(name)
        return None if reader is None else _reader_command(reader)


def _reader_command(reader: Any) -> click.Command:
    @click.pass_context
    def run(
        ctx: click.Context, /, paths: tuple[Path, ...], no_validate: bool, allow_invalid: bool, **options: Any
    ) -> None:
        from kg.build import import_files

        session = ctx.find_object(Session) or Session()
        try:
            report = import_files(
                session.location,
                reader.name,
                list(paths),
                options,
                validate=not no_validate,
                allow_invalid=allow_invalid,
            )
        except KgError as error:
            for violation in getattr(error, "violations", [])[:50]:
                click.echo(one_line(violation.line()), err=True)
            raise
        for violation in report.violations:
            click.echo(one_line("warning: " + violation.line()), err=True)
        note = "" if report.validated else " (not validated)"
        click.echo(
            f"Imported {len(report.inputs)} file(s) into {report.store}: {report.added} statements added, "
            f"{report.quads} in all, in {report.seconds:.2f} s{note}"
        )

    params: list[click.Parameter] = [
        click.Argument(["paths"], nargs=-1, required=True, type=click.Path(path_type=Path)),
        click.Option(["--no-validate"], is_flag=True, help="Skip SHACL validation (for large imports)."),
        click.Option(
            ["--allow-invalid"], is_flag=True, help="Keep data that fails validation; print violations as warnings."
        ),
    ]
    for option in reader.options:
        flag = "--" + option.name.replace("_", "-")
        if option.type is bool:
            params.append(
                click.Option([flag, option.name], is_flag=True, default=bool(option.default), help=option.help)
            )
        else:
            params.append(
                click.Option(
                    [flag, option.name],
                    type=option.type,
                    default=option.default,
                    show_default=option.default is not None,
                    help=option.help,
                )
            )
    example = f"\n\nExample: {reader.example}" if reader.example else ""
    return click.Command(
        reader.name,
        callback=run,
        params=params,
        help=f"{reader.summary}\n\nThe store gains these files' statements atomically: a failed "
        f"import leaves it exactly as it was.{example}",
    )


@click.group("import", cls=ImportGroup)
@pass_session
def import_group(session: Session) -> None:
    """Add files to the built store with one of kg's readers (KIND: rdf, and any registered reader).

    The import is validated and atomic, like a build: on any error the store is left as it was.

    Example: kg import rdf my-notes.trig
    """
