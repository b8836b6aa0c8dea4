"""What every command module shares: the session object in ctx.obj, exit codes, errors, stdout."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
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


class ServerStartFailed(click.ClickException):
    """The endpoint could not start (address in use or not available): one line, exit 3."""

    exit_code = 3


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


def read_text(path: Path, what: str) -> str:
    """A small UTF-8 text file named on the command line; a FIFO, device or folder is refused at once."""
    from kg.errors import InputFileError
    from kg.limits import MB, read_regular_file

    data = read_regular_file(path, 16 * MB, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputFileError(str(path), f"{what} is not UTF-8 text (byte {error.start})") from None


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
    """Records as a table (fitted to the terminal, never cut when piped), CSV or JSON."""
    from kg.output import terminal_width
    from kg.output import write_rows as write

    write(rows, columns, fmt, stdout(), width=terminal_width(sys.stdout) if fmt == "table" else None)


def echo_json(payload: Any) -> None:
    import json

    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def violation_json(violation: Any) -> dict[str, Any]:
    """A SHACL violation for scripts: the focus node's IRI and label, path, message, severity."""
    return {
        "severity": violation.severity,
        "focus": violation.focus,
        "focus_label": violation.focus_label,
        "path": violation.path,
        "message": violation.message,
        "value": violation.value or None,
    }


def write_file(path: Any, text: str) -> None:
    """Write a text file; one-line InputError if it cannot be written."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write ({error.strerror})") from None
