"""The embedded store: an Oxigraph database in a folder, replaced atomically on every build.

Layout of a store folder::

    STORE/.kg-store          marker: this folder belongs to kg
    STORE/.lock              held while a build runs
    STORE/current -> gen-…   symlink to the live generation (swapped with one rename)
    STORE/gen-…/oxigraph/    the Oxigraph (RocksDB) database
    STORE/gen-…/build.json   what the generation was built from

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
from typing import Any, cast

import pyoxigraph as ox

from kg.errors import InputFileError, StoreError
from kg.limits import Limits, check_regular_file, read_regular_file
from kg.namespaces import PREFIXES
from kg.safe_rdf import load_rdf

MARKER = ".kg-store"
CURRENT = "current"

RDF_EXTENSIONS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".n3": ox.RdfFormat.N3,
}
QUAD_FORMATS = (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)


def default_store_path() -> Path:
    """The store used when neither --store nor KG_STORE is given: under the user's data folder."""
    import platformdirs

    return Path(platformdirs.user_data_dir("kg", appauthor=False)) / "store"


@dataclass
class Store:
    """An open Oxigraph store; queries see the union of all graphs as their default graph."""

    oxigraph: ox.Store
    location: str

    def query(
        self, sparql: str, substitutions: dict[ox.Variable, Any] | None = None, union: bool = True
    ) -> Any:
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
        """Every statement of every graph (kg.remote.RemoteStore has the same method)."""
        return list(self.oxigraph.quads_for_pattern(None, None, None, None))

    def __len__(self) -> int:
        return len(self.oxigraph)

    def close(self) -> None:
        """Release the database (RocksDB closes when the last reference goes)."""
        del self.oxigraph
        gc.collect()


def memory_store() -> Store:
    return Store(ox.Store(), ":memory:")


def open_store(path: Path | str) -> Store:
    """Open the live generation of a built store, read-only; for an http(s) URL, that SPARQL server.

    A kg.remote.RemoteStore offers the same query(), named_graphs(), quads(), len() and close().
    """
    from kg.remote import is_remote, open_remote

    if is_remote(path):
        return cast(Store, open_remote(str(path)))
    path = Path(path)
    database = _live_database(path)
    try:
        return Store(ox.Store.read_only(str(database)), str(path))
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
    path: Path, *, copy_current: bool = False, keep_previous: bool = False
) -> Iterator[tuple[Store, Path]]:
    """Yield a writable store in a new generation folder; make it live only if the block succeeds.

    The new generation starts empty, or (`copy_current`) as a copy of the live one, for updates.
    `keep_previous` leaves the replaced generation on disk for readers that still have it open
    (the server's workers); the next build or update removes it.
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


def rdf_format(path: Path) -> ox.RdfFormat:
    fmt = RDF_EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(RDF_EXTENSIONS))
        raise InputFileError(str(path), f"unknown RDF file type {path.suffix!r} (known: {known})")
    return fmt


def expand_inputs(paths: list[Path]) -> list[Path]:
    """Files as given, and the RDF files inside given folders (sorted, recursive)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in RDF_EXTENSIONS and not p.is_dir())
            if not found:
                raise InputFileError(str(path), "folder holds no RDF files")
            for file in found:
                check_regular_file(file)
            files.extend(found)
        elif path.exists():
            check_regular_file(path)  # a FIFO, device or socket is refused here, before anything is opened
            files.append(path)
        else:
            raise InputFileError(str(path), "no such file or folder")
    return files


def load_file(store: Store, path: Path, graph: str | None = None) -> None:
    """Load one RDF file; triples of triple formats go to `graph` (default: the file's IRI).

    Errors name the file, line and column.
    """
    fmt = rdf_format(path)
    target = None
    if fmt not in QUAD_FORMATS:
        target = ox.NamedNode(graph or path.resolve().as_uri())
    limits = Limits.from_env()
    # Regular files only, within the size limits, checked before any parser sees the bytes; the
    # parser then reads exactly the bytes that were checked.
    data = read_regular_file(path, limits.max_input_bytes)
    # A build writes into a fresh generation, so the bulk loader (no transaction, several times
    # faster on disk) is safe: a failure discards the whole generation.
    load_rdf(store.oxigraph, data, fmt, str(path), limits=limits, bulk=store.location != ":memory:",
             base_iri=path.resolve().as_uri(), to_graph=target)
