"""Values computed once per store generation and process, such as what a name lookup reads of the
ontology (kg.neighbourhood).

A generation folder never changes once it is live: every build, import, `kg add` and endpoint
update writes a new one (kg.storage.embedded.new_generation), so what is read from a generation's
statements can be kept for as long as the process lives. The key is the generation folder's path
and identity (device, inode), so a folder removed and made again under the same name is read
again. A store that names no generation (an in-memory store, a generation still being written, a
remote store) is read every time. A long-lived process (`kg serve`, a notebook) that moves on to
new generations keeps the values of the last `KEEP` only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
KEEP = 4  # generations whose values a process keeps
_VALUES: dict[tuple[str, int, int], dict[str, Any]] = {}


def generation_key(store: Any) -> tuple[str, int, int] | None:
    """What identifies the generation `store` reads from; None when it names none (never cached)."""
    folder = getattr(store, "generation", None)
    if not isinstance(folder, Path):
        return None
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return (str(folder), info.st_dev, info.st_ino)


def per_generation(store: Any, name: str, make: Callable[[], T]) -> T:
    """`make()`, computed once per generation of `store` and process under `name`."""
    key = generation_key(store)
    if key is None:
        return make()
    values = _VALUES.get(key)
    if values is None:
        while len(_VALUES) >= KEEP:
            del _VALUES[next(iter(_VALUES))]
        values = _VALUES[key] = {}
    if name not in values:
        values[name] = make()
    found: T = values[name]
    return found


def clear() -> None:
    """Forget every cached value (for tests and benchmarks)."""
    _VALUES.clear()
