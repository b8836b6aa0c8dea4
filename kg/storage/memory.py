"""The in-memory snapshot of a store generation: written with the generation, loaded by long-lived processes.

Every generation gets ``gen-…/snapshot.nq`` (every quad of the store as N-Quads, dumped by
Oxigraph) and ``gen-…/snapshot.json`` (its quad count and size) before it goes live, on every path
that creates one (`kg.storage.embedded.new_generation`: build, import, add, analyze --save…).
A generation never changes once live, so its snapshot cannot go stale.

`kg serve` and the notebooks load it into an in-memory Oxigraph store (`load_snapshot`): at 1M
quads a query costs several times less there than on the RocksDB files, and loading the N-Quads
file is faster than copying the store out of RocksDB (measured in bench/bench_memory.py).
A generation without a complete snapshot (written by an older kg, or by a writable endpoint's
update) is copied from its disk store instead; readers never write into the store folder.
One-shot CLI commands keep querying the disk store (their start-up must stay short), but a command
that reads every statement (`Snapshot.of`: analyze, render, site) parses the snapshot file
(`read_snapshot`): the same quads in the same order, about 3× less CPU than reading them back
from RocksDB (1M quads: 4.0 s against 13.1 s).

The memory copy is loaded in subject order (the snapshot's lines sorted as they are read; the file
keeps the disk store's order, which `read_snapshot` promises). Oxigraph's memory store keeps, for
every term, a linked list of the quads it appears in, allocated in load order, and answers
`<s> <p> ?o` by walking the subject's list: loaded in subject order, each subject's quads lie next
to each other in memory. At 1M quads the anchored query of bench/bench_memory.py costs about a
sixth less CPU that way, for ~2 s more at load; whole-graph queries are unchanged (bench/README.md).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import StoreError

SNAPSHOT = "snapshot.nq"
SNAPSHOT_INFO = "snapshot.json"
CURRENT = "current"


@dataclass(frozen=True)
class LoadInfo:
    """What loading a generation into memory cost (the store itself is returned beside it)."""

    generation: Path
    quads: int
    seconds: float
    rss_growth_mb: float
    from_disk: bool  # the generation had no complete snapshot: its disk store was read instead

    def summary(self) -> str:
        """One line for the start-up message."""
        source = (
            f"{self.generation.name}/oxigraph (no snapshot)" if self.from_disk else f"{self.generation.name}/{SNAPSHOT}"
        )
        return (
            f"{self.quads:,} quads in memory from {source}, loaded in "
            f"{self.seconds:.1f} s, RSS +{self.rss_growth_mb:,.0f} MB"
        )


def write_snapshot(store: ox.Store, generation: Path) -> int:
    """Dump `store` into `generation` as snapshot.nq (+ snapshot.json); returns the quad count.

    Written under temporary names and renamed, so a reader never sees half a snapshot.
    """
    target = generation / SNAPSHOT
    partial = generation / f".{SNAPSHOT}.{os.getpid()}.partial"
    try:
        store.dump(str(partial), ox.RdfFormat.N_QUADS)
        quads = _count_lines(partial)
        info = {"format": "application/n-quads", "quads": quads, "bytes": partial.stat().st_size}
        (generation / f".{SNAPSHOT_INFO}.partial").write_text(json.dumps(info), encoding="utf-8")
        os.replace(partial, target)
        os.replace(generation / f".{SNAPSHOT_INFO}.partial", generation / SNAPSHOT_INFO)
    finally:
        partial.unlink(missing_ok=True)
    return quads


def _count_lines(path: Path) -> int:
    """Quads in an N-Quads dump: Oxigraph writes one per line, and escapes newlines in literals."""
    lines = 0
    with path.open("rb") as dump:
        while chunk := dump.read(1 << 22):
            lines += chunk.count(b"\n")
    return lines


def live_generation(folder: Path) -> Path:
    """The generation `current` points to; StoreError when nothing has been built there."""
    link = folder / CURRENT
    if not link.exists():
        raise StoreError(f"{folder}: no store has been built here yet; run `kg build` first")
    return link.resolve()


def snapshot_quads(generation: Path) -> int | None:
    """The quad count recorded for the generation's snapshot when it is complete (its recorded size
    matches the file), else None."""
    try:
        info = json.loads((generation / SNAPSHOT_INFO).read_text(encoding="utf-8"))
        if (generation / SNAPSHOT).stat().st_size == info["bytes"]:
            return int(info["quads"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def has_snapshot(generation: Path) -> bool:
    """Whether the generation holds a complete snapshot."""
    return snapshot_quads(generation) is not None


def read_snapshot(generation: Path) -> list[ox.Quad] | None:
    """Every quad of the generation, parsed from its snapshot file (Oxigraph dumps them in the order
    the disk store lists them); None when it has no complete, readable snapshot."""
    expected = snapshot_quads(generation)
    if expected is None:
        return None
    try:
        quads = list(ox.parse(path=str(generation / SNAPSHOT), format=ox.RdfFormat.N_QUADS))
    except (OSError, ValueError, SyntaxError):
        return None
    return quads if len(quads) == expected else None


def load_snapshot(folder: Path, generation: Path | None = None) -> tuple[ox.Store, LoadInfo]:
    """Load the live generation of a store folder (or `generation`) into an in-memory store.

    A generation without a complete snapshot (one made by an endpoint's update, or a damaged one) is
    read from its disk store instead; readers never write into the store folder. StoreError if the
    generation disappeared meanwhile.
    """
    started = time.perf_counter()
    before = _rss_mb()
    generation = generation or live_generation(folder)
    expected = snapshot_quads(generation)
    if expected is None:
        return _from_disk(generation, started, before)
    store = ox.Store()
    try:
        store.load(subject_order((generation / SNAPSHOT).read_bytes()), format=ox.RdfFormat.N_QUADS)
    except (OSError, ValueError, SyntaxError):  # damaged though of the right size: the disk store is the truth
        return _from_disk(generation, started, before)
    if len(store) != expected:
        return _from_disk(generation, started, before)
    seconds = time.perf_counter() - started
    return store, LoadInfo(generation, len(store), seconds, max(_rss_mb() - before, 0.0), False)


def _from_disk(generation: Path, started: float, before: float) -> tuple[ox.Store, LoadInfo]:
    """The generation's disk store copied into memory (no usable snapshot); nothing is written."""
    store = ox.Store()
    try:
        disk = ox.Store.read_only(str(generation / "oxigraph"))
        dump = disk.dump(format=ox.RdfFormat.N_QUADS)
        del disk
        assert dump is not None
        store.load(subject_order(dump), format=ox.RdfFormat.N_QUADS)
    except (OSError, ValueError, SyntaxError) as error:
        raise StoreError(f"{generation}: cannot load the store into memory: {error}") from None
    seconds = time.perf_counter() - started
    return store, LoadInfo(generation, len(store), seconds, max(_rss_mb() - before, 0.0), True)


def subject_order(nquads: bytes) -> bytes:
    """N-Quads with their lines sorted, so each subject's quads come together (see the module's
    docstring). Oxigraph writes one quad per line, escaping line breaks inside literals; blank node
    labels are the document's own, so reordering its lines keeps them consistent."""
    lines = nquads.split(b"\n")  # peak: the text, its lines and the joined copy (~3x the file at once)
    lines.sort()
    return b"\n".join(lines)


def _rss_mb() -> float:
    """This process's resident memory in MB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError, IndexError):
        return 0.0
