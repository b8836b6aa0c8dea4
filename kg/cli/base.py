"""What every command module shares: the session object in ctx.obj, exit codes, errors, stdout."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import IO, Any

import click

from kg.storage.location import Location
from kg.storage.protocol import GraphStore

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE = 0, 1, 2


class InputError(click.ClickException):
    """Bad input or usage: one line, exit 2."""

    exit_code = EXIT_USAGE


class CheckFailed(click.ClickException):
    """A check failed (the data does not conform): one line, exit 1."""

    exit_code = EXIT_CHECK_FAILED


@dataclass
class Session:
    """What the `kg` group passes to every command (ctx.obj): where the graph lives."""

    store: str | None = None  # the --store value as given (or KG_STORE)

    @property
    def location(self) -> Location:
        """The store's Location (parsed when a command needs it, so `kg --help` never fails)."""
        return Location.parse(self.store or None)

    def open(self) -> GraphStore:
        """The store, opened read-only."""
        from kg.storage.location import open_store

        return open_store(self.location)


pass_session = click.make_pass_decorator(Session, ensure=True)


def stdout() -> IO[bytes]:
    """Standard output for bytes, after flushing what click.echo wrote."""
    sys.stdout.flush()
    return sys.stdout.buffer


def write_rows(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> None:
    from kg.output import write_rows as write

    write(rows, columns, fmt, stdout())


def write_file(path: Any, text: str) -> None:
    """Write a text file; one-line InputError if it cannot be written."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write ({error.strerror})") from None
