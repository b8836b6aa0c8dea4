"""Limits on what kg reads, in one place: input sizes, nesting depth, and regular files only.

Every RDF input path (build, validate, the Graph Store and update bodies of the endpoint) checks
its bytes with :func:`kg.safe_rdf.check_rdf` against these limits before a parser sees them, and
every file kg reads on a user's behalf (data, queries, token files, local copies of sources) is
opened with :func:`read_regular_file`, which refuses FIFOs, devices, sockets and folders at once.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputFileError

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The largest input kg accepts; `KG_MAX_INPUT_MB` raises or lowers the size of one input."""

    max_input_bytes: int = 1024 * MB
    """One input file or request body."""
    max_literal_bytes: int = 8 * MB
    """One line of a line-based format, one JSON string, one XML text node or attribute."""
    max_depth: int = 128
    """Nesting of blank nodes, collections, formulas, JSON objects/arrays or XML elements."""
    max_entity_bytes: int = 1024
    """Replacement text of one internal entity of an RDF/XML DOCTYPE (entities may not nest)."""
    max_source_bytes: int = 64 * MB
    """A local copy of a source read to check quotes."""

    @classmethod
    def from_env(cls) -> Limits:
        value = os.environ.get("KG_MAX_INPUT_MB", "").strip()
        if not value:
            return cls()
        try:
            megabytes = float(value)
        except ValueError:
            raise InputFileError("KG_MAX_INPUT_MB", f"{value!r} is not a number of megabytes") from None
        if megabytes <= 0:
            raise InputFileError("KG_MAX_INPUT_MB", "must be more than 0")
        return cls(max_input_bytes=int(megabytes * MB))


def describe_size(size: int) -> str:
    return f"{size / MB:g} MB" if size >= MB else f"{size} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    return "is not a regular file"


def check_regular_file(path: Path, what: str = "file") -> os.stat_result:
    """Stat `path` (following links) and refuse anything but a regular file, without opening it."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(str(path), f"no such {what}") from None
    except PermissionError:
        raise InputFileError(str(path), "permission denied") from None
    except OSError as error:
        raise InputFileError(str(path), error.strerror or str(error)) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(str(path), _kind(info.st_mode))
    return info


def read_regular_file(path: Path, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `max_bytes`; anything else is refused with one line.

    The file is checked with stat before it is opened, opened without blocking (a FIFO swapped in
    meanwhile cannot hang the read) and checked again on the open descriptor.
    """
    info = check_regular_file(path, what)
    if info.st_size > max_bytes:
        raise InputFileError(str(path), f"{what} is larger than the limit of {describe_size(max_bytes)}")
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except PermissionError:
        raise InputFileError(str(path), "permission denied") from None
    except OSError as error:
        raise InputFileError(str(path), error.strerror or str(error)) from None
    with os.fdopen(descriptor, "rb") as stream:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise InputFileError(str(path), _kind(os.fstat(descriptor).st_mode))
        try:
            data = stream.read(max_bytes + 1)
        except OSError as error:
            raise InputFileError(str(path), error.strerror or str(error)) from None
    if len(data) > max_bytes:
        raise InputFileError(str(path), f"{what} is larger than the limit of {describe_size(max_bytes)}")
    return data
