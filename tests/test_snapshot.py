"""Snapshot: the graph read once, giving the same projection, lookups and descriptions as the store."""

from __future__ import annotations

import dataclasses

import pytest

from kg.analysis.explore import timeline
from kg.analysis.project import entity_graph
from kg.describe import describe, find_entity
from kg.errors import UnknownEntityError
from kg.namespaces import KGR
from kg.snapshot import Snapshot, snapshot_of
from kg.storage.embedded import Store


class CountingStore:
    """A real store that counts the calls made to it."""

    def __init__(self, store: Store):
        self.store, self.location, self.calls = store, store.location, 0

    def query(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return self.store.query(*args, **kwargs)  # type: ignore[arg-type]

    def quads(self) -> list[object]:
        self.calls += 1
        return list(self.store.quads())

    def named_graphs(self) -> set[str]:
        return self.store.named_graphs()

    def __len__(self) -> int:
        return len(self.store)

    def close(self) -> None:
        pass


def test_one_pass_then_no_more_reads(bundled_store: Store) -> None:
    counting = CountingStore(bundled_store)
    snap = Snapshot.of(counting)  # type: ignore[arg-type]
    assert counting.calls == 1 and snap.quads == len(bundled_store)
    entity_graph(snap)
    describe(snap, "Yoon")
    find_entity(snap, "윤석열")
    timeline(snap)
    assert counting.calls == 1
    assert snapshot_of(snap) is snap


def test_indexes(bundled_store: Store) -> None:
    snap = Snapshot.of(bundled_store)
    yoon = KGR + "yoon-suk-yeol"
    assert yoon in snap.entities and yoon in snap.nodes
    assert snap.label(yoon) == "Yoon Suk-yeol"
    languages = {language for _, language in snap.labels[yoon]}
    assert {"en", "ja", "ko"} <= languages
    assert snap.nodes[yoon]["top"] == "Actor" and snap.nodes[yoon]["quotes"]
    assert all(graph in snap.evidence for _, _, _, graph in snap.edges)
    quote, source = next(iter(snap.evidence.values()))
    assert quote and source


def test_same_answers_from_a_store_and_from_its_snapshot(bundled_store: Store) -> None:
    snap = Snapshot.of(bundled_store)
    from_store, from_snap = entity_graph(bundled_store), entity_graph(snap)
    assert sorted(from_store.nodes(data=True)) == sorted(from_snap.nodes(data=True))
    assert sorted(from_store.edges(keys=True)) == sorted(from_snap.edges(keys=True))
    for name in ("Yoon", "Kishida Fumio", "kgr:japan"):
        assert dataclasses.asdict(describe(bundled_store, name)) == dataclasses.asdict(describe(snap, name))
    with pytest.raises(UnknownEntityError, match="did you mean"):
        find_entity(snap, "Kishda")
