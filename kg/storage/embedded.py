"""The embedded store: an Oxigraph database in a folder, replaced atomically on every build.

Layout of a store folder::

    STORE/.kg-store          marker: this folder belongs to kg
    STORE/.lock              held while a build runs
    STORE/current -> gen-…   symlink to the live generation (swapped with one rename)
    STORE/gen-…/oxigraph/    the Oxigraph (RocksDB) database
    STORE/gen-…/build.json   what the generation was built from
    STORE/gen-…/snapshot.nq  every quad as N-Quads, for long-lived processes (kg.storage.memory)

A build writes a new generation beside the live one and swaps the ``current`` link only when
loading and validation succeed, so a failed build leaves the previous store exactly as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import os
import shutil
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import StoreError
from kg.namespaces import PREFIXES

MARKER = ".kg-store"
CURRENT = "current"


@dataclass
class Store:
    """An open Oxigraph store (a `GraphStore`); queries see the union of all graphs as their default graph."""

    oxigraph: ox.Store
    location: str
    generation: Path | None = None  # the generation the statements come from (for its search index)
    read_only: bool = False  # the live generation's disk store, as opened by open_folder

    def query(self, sparql: str, substitutions: dict[ox.Variable, Any] | None = None, union: bool = True) -> Any:
        """Run a SPARQL query; returns pyoxigraph QuerySolutions, QueryBoolean or QueryTriples.

        With `union` (the default) the query's default graph is the union of all graphs;
        without it, the store's own default graph (statements outside any named graph).
        """
        return self.oxigraph.query(
            sparql,
            use_default_graph_as_union=union,
            prefixes=PREFIXES,
            substitutions=substitutions,
        )

    def named_graphs(self) -> set[str]:
        return {g.value for g in self.oxigraph.named_graphs() if isinstance(g, ox.NamedNode)}

    def quads(self) -> list[ox.Quad]:
        """Every statement of every graph (of a live generation: from its snapshot file, when complete)."""
        if self.generation is not None and self.read_only:
            from kg.storage.memory import read_snapshot

            parsed = read_snapshot(self.generation)
            if parsed is not None:
                return parsed
        return list(self.oxigraph.quads_for_pattern(None, None, None, None))

    def __len__(self) -> int:
        return len(self.oxigraph)

    def close(self) -> None:
        """Release the database (RocksDB closes when the last reference goes)."""
        del self.oxigraph
        gc.collect()


def memory_store() -> Store:
    return Store(ox.Store(), ":memory:")


def open_folder(path: Path) -> Store:
    """Open the live generation of a built store folder, read-only (kg.storage.memory loads it into memory)."""
    database = _live_database(path)
    try:
        return Store(ox.Store.read_only(str(database)), str(path), database.parent, read_only=True)
    except OSError as error:
        raise StoreError(f"{path}: cannot open the store: {error}") from None


def build_info(path: Path) -> dict[str, Any]:
    """What the live generation was built from (inputs, counts, time), as written by the build."""
    info_file = _live_database(path).parent / "build.json"
    try:
        data: dict[str, Any] = json.loads(info_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data


def _live_database(path: Path) -> Path:
    link = path / CURRENT
    if not link.exists():
        raise StoreError(f"{path}: no store has been built here yet; run `kg build` first")
    return link.resolve() / "oxigraph"


@contextlib.contextmanager
def new_generation(
    path: Path, *, copy_current: bool = False, keep_previous: bool = False, snapshot: bool = True
) -> Iterator[tuple[Store, Path]]:
    """Yield a writable store in a new generation folder; make it live only if the block succeeds.

    The new generation starts empty, or (`copy_current`) as a copy of the live one, for updates.
    `keep_previous` leaves the replaced generation on disk for readers that still have it open
    (the server's workers); the next build or update removes it.
    `snapshot` writes the generation's in-memory snapshot (kg.storage.memory) before it goes live.
    On any exception the new generation is deleted and the live one is left untouched.
    """
    if copy_current:
        live = _live_database(path)
    _prepare_store_folder(path)
    with _build_lock(path):
        _remove_stale_generations(path)
        generation = path / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns()}"
        generation.mkdir()
        if copy_current:
            ox.Store.read_only(str(live)).backup(str(generation / "oxigraph"))
            info = live.parent / "build.json"
            if info.exists():
                shutil.copyfile(info, generation / "build.json")
        store = Store(ox.Store(str(generation / "oxigraph")), str(path))
        try:
            yield store, generation
            store.oxigraph.flush()
            if snapshot:
                from kg.storage.memory import write_snapshot

                write_snapshot(store.oxigraph, generation)
            store.close()
        except BaseException as error:
            # Frames of the failed load still hold the database; RocksDB would write files into the
            # removed folder when they are freed. Drop them first.
            traceback.clear_frames(error.__traceback__)
            store.close()
            shutil.rmtree(generation, ignore_errors=True)
            raise
        previous = (path / CURRENT).resolve() if (path / CURRENT).exists() else None
        temporary_link = path / f".{CURRENT}.{os.getpid()}"
        temporary_link.unlink(missing_ok=True)
        temporary_link.symlink_to(generation.name)
        os.replace(temporary_link, path / CURRENT)
        if previous is not None and previous != generation and not keep_previous:
            shutil.rmtree(previous, ignore_errors=True)


def _prepare_store_folder(path: Path) -> None:
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not (path / MARKER).exists():
        raise StoreError(f"{path}: folder is not empty and is not a kg store; choose another --store")
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / MARKER).touch()
    except OSError as error:
        raise StoreError(f"{path}: cannot create the store folder: {error.strerror}") from None


@contextlib.contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    with open(path / ".lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"{path}: another build is running on this store") from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove_stale_generations(path: Path) -> None:
    """Remove generations left by a build that was killed (never the live one)."""
    live = (path / CURRENT).resolve() if (path / CURRENT).exists() else None
    for child in path.glob("gen-*"):
        if child.resolve() != live:
            shutil.rmtree(child, ignore_errors=True)
