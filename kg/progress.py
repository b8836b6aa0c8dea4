"""Progress on long work: a bar with counts and rate on a terminal, nothing when piped or in CI.

One place decides: the CLI sets the verbosity once (`kg -q …` / `kg -v …`) with `configure`; the
library opens tasks with `task(...)` and never asks where the output goes. Bars are drawn on
stderr by tqdm (imported only when a bar is shown) and only when stderr is a terminal, CI is not
set and the user did not ask for quiet.

    with progress.task("Loading", total=size, unit="B") as bar:
        ...
        bar.advance(n)
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

QUIET, NORMAL, VERBOSE = -1, 0, 1
_verbosity = NORMAL
_stream: TextIO | None = None  # tests point this at a pseudo-terminal


def configure(quiet: bool = False, verbose: bool = False, stream: TextIO | None = None) -> None:
    """Set the verbosity for the process (the CLI calls this once, from its global options)."""
    global _verbosity, _stream
    _verbosity = QUIET if quiet else VERBOSE if verbose else NORMAL
    _stream = stream


def verbosity() -> int:
    return _verbosity


def _out() -> TextIO:
    return _stream or sys.stderr


def enabled() -> bool:
    """True when bars are drawn: a terminal, not CI, not quiet."""
    if _verbosity == QUIET or os.environ.get("CI", "").lower() not in ("", "0", "false"):
        return False
    try:
        return _out().isatty()
    except (AttributeError, ValueError):
        return False


class _Stream:
    """The terminal as tqdm sees it: writes and flushes only (handed sys.stderr itself on a pseudo-
    terminal, tqdm 4.70 drew nothing but the final newline)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.encoding = getattr(stream, "encoding", None)

    def write(self, text: str) -> int:
        return self._stream.write(text)

    def flush(self) -> None:
        self._stream.flush()


class _Bar:
    """What a task yields: `advance(n)`, `total` and a `describe(text)` for the current step."""

    def __init__(self, bar: Any = None) -> None:
        self._bar = bar

    def advance(self, n: float = 1) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def set_total(self, total: float | None) -> None:
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def describe(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)


@contextlib.contextmanager
def task(description: str, total: float | None = None, unit: str = "it") -> Iterator[_Bar]:
    """A progress bar for one piece of long work (a no-op unless `enabled()`)."""
    if not enabled():
        yield _Bar()
        return
    import shutil

    from tqdm import tqdm

    scale = unit == "B"
    width = shutil.get_terminal_size().columns or 80  # a terminal that reports no size gets 80
    encoding = (getattr(_out(), "encoding", "") or "").lower().replace("-", "")
    with tqdm(
        total=total,
        desc=description,
        unit=unit,
        unit_scale=scale,
        unit_divisor=1024 if scale else 1000,
        file=_Stream(_out()),
        leave=_verbosity == VERBOSE,
        ncols=width,
        mininterval=0.2,
        ascii=encoding != "utf8",
    ) as bar:  # block characters only where they can be written
        yield _Bar(bar)


def note(message: str) -> None:
    """A line of detail, shown with -v only (on stderr)."""
    if _verbosity == VERBOSE:
        print(message, file=_out(), flush=True)
