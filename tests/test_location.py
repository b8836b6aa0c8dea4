"""Location: the one place that decides whether the graph lives in a folder or on a SPARQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import StoreError
from kg.storage import GraphStore, Location, open_store, writable
from kg.storage.embedded import Store
from kg.storage.location import default_store_path
from tests.conftest import MINI


def test_parse_folder_url_and_default() -> None:
    assert Location.parse("/tmp/some-store") == Location(path=Path("/tmp/some-store"))
    assert Location.parse(Path("rel/store")).folder == Path("rel/store")
    server = Location.parse("https://example.org/sparql")
    assert server.is_remote and server.url == "https://example.org/sparql" and server.path is None
    assert str(server) == "https://example.org/sparql"
    assert Location.parse(None) == Location(path=default_store_path()) == Location.parse("")
    assert Location.parse(server) is server


def test_bad_values_are_refused() -> None:
    with pytest.raises(StoreError, match="a store is a folder or an http"):
        Location.parse("ftp://example.org/store")
    with pytest.raises(StoreError, match="not a store folder"):
        _ = Location.parse("http://example.org/sparql").folder
    with pytest.raises(ValueError):
        Location()
    with pytest.raises(ValueError):
        Location(path=Path("x"), url="http://example.org/sparql")


def test_open_store_gives_a_graph_store(mini_store_path: Path) -> None:
    store = open_store(Location(path=mini_store_path))
    assert isinstance(store, GraphStore) and isinstance(store, Store)
    assert store.query("ASK { kgr:source-japan-rok-2023 a kg:Source }")
    assert len(open_store(str(mini_store_path))) == len(store)


def test_open_store_on_an_empty_folder_says_build_first(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `kg build` first"):
        open_store(tmp_path)


def test_writable_replaces_only_on_success(mini_store_path: Path) -> None:
    before = len(open_store(mini_store_path))
    with pytest.raises(RuntimeError), writable(mini_store_path, copy_current=True) as (store, _):
        store.oxigraph.clear()
        raise RuntimeError("fail half-way")
    assert len(open_store(mini_store_path)) == before
    with writable(Location(path=mini_store_path), copy_current=True) as (store, _):
        store.oxigraph.update("INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } }")
    assert len(open_store(mini_store_path)) == before + 1
    assert MINI.exists()
