"""Issue 13, item 6: describe, neighbors, path and timeline read only the hops around the entities
they name (kg.neighbourhood) and find names through the search index, with the same answers as
the whole-store snapshot they used to build."""

from __future__ import annotations

import importlib.util
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kg.analysis import explore
from kg.build import build
from kg.cli import cli
from kg.dates import period
from kg.describe import describe, find_entity
from kg.errors import UnknownEntityError
from kg.neighbourhood import anchored
from kg.search import named
from kg.snapshot import Snapshot
from kg.storage.location import open_store
from kg.storage.protocol import GraphStore

ROOT = Path(__file__).resolve().parents[2]
R = "https://w3id.org/kg-diplomacy/resource/"


def _outcome(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """What a call returns, or the error it raises (message, suggestions)."""
    try:
        return call(*args, **kwargs)
    except UnknownEntityError as error:
        return ("error", str(error), error.suggestions)


@pytest.fixture(scope="module")
def synthetic_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled graphs plus bench/generate.py's 10k-quad synthetic graph."""
    spec = importlib.util.spec_from_file_location("kg_bench_generate", ROOT / "bench" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    folder = tmp_path_factory.mktemp("synthetic")
    data = folder / "synthetic-10k.nq"
    module.generate(data, 10_000)
    build(folder / "store", [data], validate=False)
    return folder / "store"


@pytest.fixture(scope="module")
def synthetic_store(synthetic_store_path: Path) -> GraphStore:
    return open_store(synthetic_store_path)


def test_the_embedded_store_is_read_anchored(bundled_store: GraphStore) -> None:
    assert anchored(bundled_store) is not None
    assert anchored(Snapshot.of(bundled_store)) is None


def test_names_come_from_the_index(bundled_store: GraphStore) -> None:
    assert named(bundled_store, "president yoon") == [R + "yoon-suk-yeol"]
    assert named(bundled_store, "YOON SUK YEOL") == [R + "yoon-suk-yeol"]
    assert named(bundled_store, "Keiō University") == named(bundled_store, "keio university") != []
    assert named(bundled_store, "nobody at all") == []


def test_find_entity_answers_as_the_whole_snapshot(bundled_store: GraphStore) -> None:
    whole = Snapshot.of(bundled_store)
    names = sorted({text for labels in whole.labels.values() for text, _ in labels})[::7]
    names += ["kgr:yoon-suk-yeol", f"<{R}kishida-fumio>", "kgr:no-such-thing", "Yoon Suk Yoel", "compensation plan"]
    names += ["Korea", "nobody at all", "summit", "\x07bell"]
    for name in names:
        assert _outcome(find_entity, bundled_store, name) == _outcome(find_entity, whole, name), name


def test_describe_answers_as_the_whole_snapshot(bundled_store: GraphStore) -> None:
    whole = Snapshot.of(bundled_store)
    for entity in sorted(whole.entities)[::3]:  # a third of them, every kind
        assert describe(bundled_store, entity) == describe(whole, entity), entity
    assert _outcome(describe, bundled_store, "Yoon") == _outcome(describe, whole, "Yoon")


def _same_explorations(store: GraphStore, sample: int, seed: int) -> int:
    """Anchored and whole-snapshot answers of neighbors, timeline --actor and path, on a sample."""
    whole = Snapshot.of(store)
    rng = random.Random(seed)
    nodes = sorted(whole.nodes)
    actors = [n for n in nodes if whole.nodes[n]["top"] == "Actor"]
    checked = 0
    for node in rng.sample(nodes, min(sample, len(nodes))):
        for hops in (1, 2):
            for as_of in (None, period("2023-01")):
                expected = _outcome(explore.neighbors, whole, node, hops=hops, as_of=as_of)
                found = _outcome(explore.neighbors, store, node, hops=hops, as_of=as_of)
                assert found == expected, (node, hops, as_of)
                checked += 1
    for actor in rng.sample(actors, min(sample, len(actors))):
        for between in (None, period("2023")):
            expected = _outcome(explore.timeline, whole, actor=actor, between=between)
            assert _outcome(explore.timeline, store, actor=actor, between=between) == expected, actor
            checked += 1
    for _ in range(sample // 2):
        a, b = rng.choice(nodes), rng.choice(nodes)
        for hubs in (True, False):
            expected = _outcome(explore.explain_paths, whole, a, b, avoid_hubs=hubs)
            assert _outcome(explore.explain_paths, store, a, b, avoid_hubs=hubs) == expected, (a, b, hubs)
            checked += 1
    return checked


def test_explorations_answer_as_the_whole_snapshot_on_the_bundled_graph(bundled_store: GraphStore) -> None:
    assert _same_explorations(bundled_store, 24, 13) > 120


def test_explorations_answer_as_the_whole_snapshot_on_10k_synthetic_quads(synthetic_store: GraphStore) -> None:
    assert _same_explorations(synthetic_store, 12, 6) > 60


def test_path_as_of_and_examples(bundled_store: GraphStore) -> None:
    whole = Snapshot.of(bundled_store)
    ruling, summit = "Supreme Court forced-labour ruling of October 2018", "Japan-ROK summit of 16 March 2023"
    for as_of in (None, period("2019"), period("2023-03-16")):
        for k in (1, 3, 5):
            expected = _outcome(explore.explain_paths, whole, ruling, summit, k=k, as_of=as_of)
            assert _outcome(explore.explain_paths, bundled_store, ruling, summit, k=k, as_of=as_of) == expected
    paths = explore.explain_paths(bundled_store, ruling, summit)
    assert len(paths) == 3 and paths[0].hops[0].source == R + "ruling-2018-forced-labor"


def test_path_past_the_read_limit_still_finds_the_paths(
    bundled_store: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding: past PATH_MAX_ENTITIES with fewer than k paths found, `kg path` said "no path"."""
    whole = Snapshot.of(bundled_store)
    ruling, summit = "Supreme Court forced-labour ruling of October 2018", "Japan-ROK summit of 16 March 2023"
    monkeypatch.setattr(explore, "PATH_MAX_ENTITIES", 3)
    for k in (1, 3):
        paths = explore.explain_paths(bundled_store, ruling, summit, k=k)
        assert paths and paths == explore.explain_paths(whole, ruling, summit, k=k)


def test_cli_commands_read_anchored(bundled_store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI never reads the whole store for describe, neighbors, path or timeline --actor."""

    def refuse(self: Any) -> Any:
        raise AssertionError("the whole store was read")

    runner = CliRunner()
    monkeypatch.setattr("kg.storage.embedded.Store.quads", refuse)
    store = ["--store", str(bundled_store_path)]
    for args in (
        ["describe", "President Yoon"],
        ["neighbors", "Kishida", "--hops", "2"],
        ["path", "Supreme Court forced-labour ruling of October 2018", "Japan-ROK summit of 16 March 2023"],
        ["timeline", "--actor", "Yoon Suk-yeol", "--between", "2022", "2023-04"],
        ["query", "evidence-of", "--param", "entity=compensation plan"],
    ):
        result = runner.invoke(cli, [*store, *args])
        assert result.exit_code == 0, (args, result.output)
        assert result.output.strip()


def test_canned_parameters_bound_as_values_give_the_same_rows(bundled_store: GraphStore) -> None:
    """Canned queries get their parameters as a VALUES block opening the WHERE group (Oxigraph plans
    from it; a substitution was applied after a scan): the same rows as pyoxigraph's substitution."""
    from kg.query import bind_parameters, canned_queries, run_canned

    checked = 0
    for name, canned in canned_queries().items():
        if not canned.params:
            continue
        bindings = bind_parameters(canned.text, {}, canned, bundled_store)
        expected = [tuple(row) for row in bundled_store.query(canned.text, bindings)]
        found = [tuple(row) for row in run_canned(bundled_store, name)]
        assert found == expected, name
        checked += 1
    assert checked >= 7
    assert [tuple(r) for r in run_canned(bundled_store, "evidence-of", {"entity": "compensation plan"})]


def test_fact_sheet_names_come_from_the_index(bundled_store: GraphStore) -> None:
    """kg add resolves names from the index's copy of every label, as it did from the store."""
    from kg.describe import entity_labels, normalize
    from kg.resolve import EntityIndex, ResolveError

    index = EntityIndex(bundled_store)
    expected: dict[str, set[str]] = {}
    for iri, labels in entity_labels(bundled_store).items():
        for label in labels:
            expected.setdefault(normalize(label), set()).add(iri)
    assert index.names == expected
    assert index.resolve("President Yoon") == R + "yoon-suk-yeol"
    with pytest.raises(ResolveError, match="did you mean"):
        index.resolve("Yoon Suk Yoel")


def test_describe_with_a_limit_answers_as_the_whole_snapshot(
    bundled_store: GraphStore, synthetic_store: GraphStore
) -> None:
    """`kg describe` lists at most --limit values of each relation (a hub has thousands) and counts
    the rest; anchored on the store it reads only what it lists, with the whole snapshot's answer."""
    from kg.describe import DESCRIBE_LIMIT

    whole = Snapshot.of(bundled_store)
    for entity in sorted(whole.entities):  # no bundled entity has more values of a relation: unchanged
        assert describe(bundled_store, entity, limit=DESCRIBE_LIMIT) == describe(whole, entity), entity
    cut = 0
    for entity in sorted(whole.entities)[::2]:
        limited = describe(bundled_store, entity, limit=2)
        assert limited == describe(whole, entity, limit=2), entity
        full = describe(whole, entity)
        cut += bool(limited.omitted)
        for omitted in limited.omitted:
            matching = [f for f in full.facts if (f.direction, f.predicate) == (omitted.direction, omitted.predicate)]
            assert omitted.shown == 2 < omitted.total == len(matching), (entity, omitted)
        assert {f.value for f in limited.facts} <= {f.value for f in full.facts}
        assert {n.iri for n in limited.nodes} <= {n.iri for n in full.nodes}
    assert cut > 10
    synthetic = Snapshot.of(synthetic_store)
    hub = "https://example.org/bench/resource/state-0"
    limited = describe(synthetic_store, hub, limit=DESCRIBE_LIMIT)
    assert limited == describe(synthetic, hub, limit=DESCRIBE_LIMIT)
    full = describe(synthetic, hub)
    assert limited.omitted and len(limited.facts) < len(full.facts)
    assert sum(o.total for o in limited.omitted) + len(limited.facts) - sum(o.shown for o in limited.omitted) == len(
        full.facts
    )


def test_cli_describe_summarises_a_hub(synthetic_store_path: Path) -> None:
    runner = CliRunner()
    folder = str(synthetic_store_path)
    hub = "<https://example.org/bench/resource/state-0>"
    summary = runner.invoke(cli, ["--store", folder, "describe", hub])
    everything = runner.invoke(cli, ["--store", folder, "describe", hub, "--limit", "0"])
    assert summary.exit_code == everything.exit_code == 0, summary.output
    assert "more (25 of " in summary.output and "more (" not in everything.output
    assert len(summary.output) < len(everything.output)
    assert runner.invoke(cli, ["--store", folder, "describe", hub, "--limit", "-1"]).exit_code == 2


def test_path_between_hubs_answers_as_the_whole_snapshot(synthetic_store: GraphStore) -> None:
    """Between the synthetic graph's two busiest actors the anchored search gives the whole
    snapshot's answer (a regression test for attempts to read less around hubs)."""
    whole = Snapshot.of(synthetic_store)
    hub0, hub1 = "<https://example.org/bench/resource/state-0>", "<https://example.org/bench/resource/state-1>"
    for k in (1, 3, 5):
        for hubs in (True, False):
            expected = explore.explain_paths(whole, hub0, hub1, k=k, avoid_hubs=hubs)
            assert expected and explore.explain_paths(synthetic_store, hub0, hub1, k=k, avoid_hubs=hubs) == expected


def test_neighbors_answer_the_same_in_every_process(bundled_store_path: Path) -> None:
    """The link each neighbour is reached by no longer depends on the process's string hashing
    (`kg neighbors Kishida --hops 2` printed a different "via" for Joe Biden from one run to the next)."""
    import os
    import subprocess

    outputs = set()
    for seed in ("1", "2", "3"):
        result = subprocess.run(
            [sys.executable, "-m", "kg", "--store", str(bundled_store_path), "neighbors", "Kishida", "--hops", "2"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed, "CI": "true"},
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1 and "Joe Biden" in outputs.pop()


def test_neighbors_with_more_hops_than_the_graph_is_wide_stops(bundled_store_path: Path) -> None:
    """`--hops 100000000` ran on forever (review of session 10): the search stops when nothing new is reached."""
    runner = CliRunner()
    far = runner.invoke(cli, ["--store", str(bundled_store_path), "neighbors", "Kishida", "--hops", "100000000"])
    near = runner.invoke(cli, ["--store", str(bundled_store_path), "neighbors", "Kishida", "--hops", "50"])
    assert far.exit_code == near.exit_code == 0, far.output
    assert far.output == near.output and len(far.output.splitlines()) > 50
