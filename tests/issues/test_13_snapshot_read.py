"""Issue 13: commands that read every statement parse the generation's snapshot file, and get
exactly the quads the disk store lists, in the same order; a damaged snapshot is never trusted."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.snapshot import Snapshot
from kg.storage import open_store
from kg.storage.embedded import Store
from kg.storage.memory import SNAPSHOT, read_snapshot
from tests.conftest import MINI


def disk_quads(store: Store) -> list[ox.Quad]:
    return list(store.oxigraph.quads_for_pattern(None, None, None, None))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    path = tmp_path / "store"
    build(path)  # the bundled graphs: blank nodes, language tags, datatypes, many graphs
    opened = open_store(path)
    assert isinstance(opened, Store) and opened.read_only and opened.generation is not None
    return opened


def test_the_snapshot_file_gives_the_disk_store_quads_in_order(store: Store) -> None:
    assert store.generation is not None
    parsed = read_snapshot(store.generation)
    assert parsed is not None, "a fresh build has a complete snapshot"
    assert parsed == disk_quads(store)
    assert any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in parsed)
    assert store.quads() == disk_quads(store)


@pytest.mark.parametrize("damage", ["truncated", "same size, not N-Quads", "same size, a quad fewer"])
def test_a_damaged_snapshot_is_read_from_the_disk_store(store: Store, damage: str) -> None:
    assert store.generation is not None
    snapshot = store.generation / SNAPSHOT
    text = snapshot.read_bytes()
    if damage == "truncated":
        snapshot.write_bytes(text[: len(text) // 2])
    elif damage == "same size, not N-Quads":
        snapshot.write_bytes(b"<" * len(text))
    else:  # the last line replaced by a comment of the same length: parses, one quad short
        last = text.rstrip(b"\n").rsplit(b"\n", 1)[1]
        snapshot.write_bytes(text[: len(text) - len(last) - 1] + b"#" + b" " * (len(last) - 1) + b"\n")
    assert snapshot.stat().st_size == (len(text) // 2 if damage == "truncated" else len(text))
    assert read_snapshot(store.generation) is None
    assert store.quads() == disk_quads(store)
    assert Snapshot.of(store).quads == len(disk_quads(store))


def test_a_writable_store_reads_its_own_statements(tmp_path: Path) -> None:
    """A store being built (no snapshot yet, statements still changing) never reads a file."""
    from kg.storage.embedded import new_generation

    build(tmp_path / "store", [MINI], only=True)
    with new_generation(tmp_path / "store", copy_current=True) as (writable, _):
        assert not writable.read_only
        before = len(writable.quads())
        writable.oxigraph.add(
            ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.Literal("o"), ox.NamedNode("urn:x:g"))
        )
        assert len(writable.quads()) == before + 1
