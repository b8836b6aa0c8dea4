"""Issue 13 item 5: `kg serve` and the notebooks answer from the store loaded into memory.

Real servers (`python -m kg serve` in a subprocess), real builds, real SPARQL over HTTP: the
endpoint and `kg.notebook` give the rows the CLI gives from disk, pick up a new build without a
restart, keep answering from the previous build when a build fails, and still stop runaway queries.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kg.query import get_canned, run_canned
from kg.storage import open_store
from kg.storage.memory import SNAPSHOT, SNAPSHOT_INFO, has_snapshot, live_generation, load_snapshot
from tests.conftest import BROKEN, DATA, MINI, tree_digest
from tests.test_serve import RUNAWAY, Endpoint

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
CANNED = ("agreements", "timeline", "claims", "disputes", "cq2-ruling-order", "cq4-export-controls")


def kg(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", "--store", str(store), *args], capture_output=True, text=True, timeout=300
    )


def csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], sorted(rows[1:])


def served(endpoint: Endpoint, query: str) -> tuple[list[str], list[list[str]]]:
    response = httpx.post(endpoint.url + "/sparql", data={"query": query}, headers={"Accept": "text/csv"}, timeout=60)
    assert response.status_code == 200, response.text
    return csv_rows(response.text)


def count(endpoint: Endpoint) -> int:
    return int(served(endpoint, COUNT)[1][0][0])


def log_of(endpoint: Endpoint) -> str:
    endpoint.stop()
    assert endpoint.process.stdout is not None
    return endpoint.process.stdout.read().decode()


@pytest.fixture
def store(bundled_store_path: Path, tmp_path: Path) -> Path:
    """A private copy of the bundled store (builds into it must not touch the session's)."""
    path = tmp_path / "store"
    shutil.copytree(bundled_store_path, path, symlinks=True)
    return path


@pytest.fixture
def endpoint(store: Path) -> Iterator[Endpoint]:
    server = Endpoint(store, "--no-site", "--timeout", "3")
    yield server
    server.stop()


def test_every_build_writes_a_complete_snapshot(bundled_store_path: Path) -> None:
    generation = live_generation(bundled_store_path)
    assert has_snapshot(generation)
    info = json.loads((generation / SNAPSHOT_INFO).read_text())
    assert info["quads"] == len(open_store(bundled_store_path))
    assert info["bytes"] == (generation / SNAPSHOT).stat().st_size


def test_memory_holds_each_subjects_quads_together_and_every_quad(bundled_store_path: Path) -> None:
    """Loaded in subject order, Oxigraph's memory store keeps each subject's quads next to each other
    (bench/README.md: the anchored query at 1M costs less CPU that way); the file keeps the disk order."""
    import pyoxigraph as ox

    from kg.storage.memory import read_snapshot, subject_order

    generation = live_generation(bundled_store_path)
    disk = open_store(bundled_store_path)
    assert read_snapshot(generation) == list(disk.oxigraph.quads_for_pattern(None, None, None, None))  # type: ignore[attr-defined]
    loaded, info = load_snapshot(bundled_store_path)
    listed = list(loaded.quads_for_pattern(None, None, None, None))  # Oxigraph lists them by load order
    subjects = [str(quad.subject) for quad in listed if not isinstance(quad.subject, ox.BlankNode)]
    runs = [subject for index, subject in enumerate(subjects) if index == 0 or subject != subjects[index - 1]]
    assert len(runs) == len(set(subjects)) > 100  # one run of quads per subject
    dump_order = ox.Store()
    dump_order.load(path=str(generation / SNAPSHOT), format=ox.RdfFormat.N_QUADS)
    scattered = [str(q.subject) for q in dump_order.quads_for_pattern(None, None, None, None)]
    assert len([s for i, s in enumerate(scattered) if i == 0 or s != scattered[i - 1]]) > len(runs)  # it matters

    def ground(quads: list[ox.Quad]) -> list[str]:
        return sorted(str(q) for q in quads if not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object)))

    assert not info.from_disk and len(loaded) == len(disk)
    assert ground(listed) == ground(disk.quads())
    text = b'<b> <p> "x\\ny" <g> .\n_:n <p> <o> <g> .\n<a> <p> _:n <g> .\n'
    assert subject_order(text).split(b"\n") == [
        b"",
        b"<a> <p> _:n <g> .",
        b'<b> <p> "x\\ny" <g> .',
        b"_:n <p> <o> <g> .",
    ]


def test_rows_read_by_position_are_the_rows_read_by_name(bundled_store_path: Path) -> None:
    from kg.query import run_query, solution_rows

    loaded, _ = load_snapshot(bundled_store_path)
    from kg.storage.embedded import Store

    memory = Store(loaded, str(bundled_store_path))
    query = (
        "SELECT ?event ?date ?label WHERE { ?event kg:date ?date "
        "OPTIONAL { ?event rdfs:label ?label FILTER(LANG(?label) = 'ko') } } ORDER BY ?date ?event ?label"
    )
    for target in (memory, open_store(bundled_store_path)):
        names, rows = solution_rows(run_query(target, query))
        result = run_query(target, query)
        assert names == ["event", "date", "label"]
        assert rows == [tuple(solution[name] for name in names) for solution in result]
        assert any(row[2] is None for row in rows) and any(row[2] is not None for row in rows)


def test_serve_answers_canned_queries_from_memory_with_the_cli_rows(store: Path, endpoint: Endpoint) -> None:
    for name in CANNED:
        cli = kg(store, "query", name, "--format", "csv")
        assert cli.returncode == 0, cli.stderr
        header, rows = csv_rows(cli.stdout)
        assert rows, name  # a query with no rows would prove nothing
        assert served(endpoint, get_canned(name).text) == (header, rows), name
    log = log_of(endpoint)
    quads = len(open_store(store))
    assert f"kg serve: {quads:,} quads in memory from gen-" in log
    assert "RSS +" in log and "query workers forked from it" in log


def test_notebook_reads_memory_with_the_disk_rows(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import kg.notebook as nb

    memory = nb.open(store)
    line = capsys.readouterr().out
    assert f"kg: {len(open_store(store)):,} quads in memory from gen-" in line
    disk = open_store(store)

    def rows(target: object, name: str) -> list[tuple[str, ...]]:
        result = run_canned(target, name)  # type: ignore[arg-type]
        names = [v.value for v in result.variables]
        return sorted(tuple(str(solution[n]) for n in names) for solution in result)

    for name in CANNED:
        assert rows(memory, name) == rows(disk, name), name
    frame = nb.query_df("cq2-ruling-order")  # the helpers use the store open() loaded
    assert len(frame) == len(rows(disk, "cq2-ruling-order"))
    on_disk = nb.open(store, memory=False)
    assert "quads in memory" not in capsys.readouterr().out
    assert sorted(map(str, nb.query_df("timeline", store=on_disk).itertuples(index=False))) == sorted(
        map(str, nb.query_df("timeline", store=memory).itertuples(index=False))
    )


def test_a_new_build_is_served_without_a_restart(store: Path, endpoint: Endpoint) -> None:
    before = count(endpoint)
    built = kg(store, "build", "--only", str(MINI))  # validated, the default path
    assert built.returncode == 0, built.stderr
    expected = len(open_store(store))
    assert expected != before
    deadline = time.monotonic() + 60
    while count(endpoint) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    assert count(endpoint) == expected
    cli = kg(store, "query", "cq2-ruling-order", "--format", "csv")
    assert served(endpoint, get_canned("cq2-ruling-order").text) == csv_rows(cli.stdout)
    assert "kg serve: reloaded: " in log_of(endpoint)


def test_a_failed_build_changes_nothing_served(store: Path, endpoint: Endpoint) -> None:
    before = served(endpoint, get_canned("timeline").text)
    malformed = kg(store, "build", str(DATA / "malformed.ttl"))
    invalid = kg(store, "build", str(BROKEN / "entity-without-evidence.trig"))
    assert malformed.returncode != 0 and invalid.returncode != 0
    time.sleep(2.5)  # more than the reload check's interval
    assert served(endpoint, get_canned("timeline").text) == before
    assert "reloaded" not in log_of(endpoint)


def test_time_limits_still_stop_a_runaway_query_in_memory(endpoint: Endpoint) -> None:
    started = time.monotonic()
    response = httpx.post(endpoint.url + "/sparql", data={"query": RUNAWAY}, timeout=60)
    assert response.status_code == 504
    assert time.monotonic() - started < 3 + 3
    for _ in range(6):  # more queries than workers: the killed worker was replaced
        assert count(endpoint) > 0


def test_a_generation_without_snapshot_is_read_from_disk_and_left_untouched(store: Path) -> None:
    generation = live_generation(store)
    (generation / SNAPSHOT).unlink()
    (generation / SNAPSHOT_INFO).unlink()
    before = tree_digest(store)
    loaded, info = load_snapshot(store)
    assert info.from_disk and not has_snapshot(generation) and "(no snapshot)" in info.summary()
    assert len(loaded) == len(open_store(store))
    assert tree_digest(store) == before  # a reader never writes into the store folder


def test_a_truncated_snapshot_is_not_trusted(store: Path) -> None:
    generation = live_generation(store)
    snapshot = generation / SNAPSHOT
    snapshot.write_bytes(snapshot.read_bytes()[: snapshot.stat().st_size // 2])
    before = tree_digest(store)
    loaded, info = load_snapshot(store)
    assert info.from_disk and len(loaded) == len(open_store(store))
    assert tree_digest(store) == before


def test_a_damaged_snapshot_of_the_right_size_is_read_from_disk(store: Path) -> None:
    snapshot = live_generation(store) / SNAPSHOT
    data = bytearray(snapshot.read_bytes())
    data[10] = ord("<") if data[10] != ord("<") else ord(">")  # one byte flipped: no longer N-Quads
    snapshot.write_bytes(bytes(data))
    loaded, info = load_snapshot(store)
    assert info.from_disk and len(loaded) == len(open_store(store))


def test_a_memory_copy_never_indexes_its_names_into_a_newer_generation(store: Path) -> None:
    """Review finding: the search index of the live generation was written from whatever store asked."""
    import pyoxigraph as ox

    from kg.describe import find_entity
    from kg.namespaces import KG, KGR
    from kg.search import INDEX_FILE, named
    from kg.storage.embedded import Store, new_generation

    loaded, info = load_snapshot(store)
    copy = Store(loaded, str(store), info.generation)
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    kind = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    newcomer, graph = ox.NamedNode(KGR + "zed-newperson"), ox.NamedNode("urn:test:g")
    with new_generation(store, copy_current=True) as (fresh, generation):
        fresh.oxigraph.add(ox.Quad(newcomer, kind, ox.NamedNode(KG + "Person"), graph))
        fresh.oxigraph.add(ox.Quad(newcomer, label, ox.Literal("Zed Newperson", language="en"), graph))
    assert live_generation(store) == generation and not (generation / INDEX_FILE).exists()
    find_entity(copy, "Yoon Suk-yeol")  # looks names up in the copy's own generation
    assert not (generation / INDEX_FILE).exists()
    assert named(open_store(store), "Zed Newperson")


def test_a_writable_endpoint_reads_the_disk_store(store: Path) -> None:
    server = Endpoint(store, "--allow-update", "--no-site", env={"KG_SERVE_TOKEN": "t0ken-for-tests-123"})
    try:
        assert count(server) == len(open_store(store))
    finally:
        log = log_of(server)
    assert "answering from the disk store (updates are allowed)" in log
    assert os.path.isdir(live_generation(store))


def test_the_server_recovers_when_the_process_holding_the_store_dies(endpoint: Endpoint) -> None:
    zygotes = [pid for pid in children(endpoint.process.pid) if children(pid)]
    assert len(zygotes) == 1  # the one process with children: the workers forked from it
    os.kill(zygotes[0], 9)
    response = httpx.post(endpoint.url + "/sparql", data={"query": RUNAWAY}, timeout=60)
    assert response.status_code == 504  # its worker is killed; the replacement needs a new zygote
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not [p for p in children(endpoint.process.pid) if children(p)]:
        time.sleep(0.2)  # until a new zygote has forked the replacement worker
    for _ in range(6):  # more queries than workers
        assert count(endpoint) > 0
    assert "the process holding the store stopped; restarted: " in log_of(endpoint)


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_a_worker_that_copied_much_of_the_store_is_replaced_by_a_fresh_fork(bundled_store_path: Path) -> None:
    import asyncio

    from kg.workers import QueryJob, QueryPool

    async def scenario() -> tuple[list[float], set[int], set[int]]:
        pool = QueryPool(bundled_store_path, size=1, memory=True, report=lambda message: None)
        await pool.start()
        try:
            before = {w.process.pid for w in pool._idle}
            seen = []
            for _ in range(2):
                outcome = await pool.run(QueryJob(COUNT))
                assert outcome.status == 200
                seen.append(outcome.private_mb)
            kept = {w.process.pid for w in pool._idle}
            assert kept == before  # below the threshold the same worker answers again
            pool._recycle_mb = lambda: 0.0  # type: ignore[method-assign]
            outcome = await pool.run(QueryJob(COUNT))
            await asyncio.sleep(0.5)
            await asyncio.gather(*pool._tasks)
            return seen, before | kept, {w.process.pid for w in pool._idle}
        finally:
            await pool.stop()

    private, old, new = asyncio.run(scenario())
    assert all(0 < mb < 64 for mb in private)  # measured, and far below the recycling threshold
    assert old and new and not (old & new)  # over the threshold: a fresh fork replaced the worker


def test_a_workers_private_memory_is_read_exactly_only_when_it_may_have_grown() -> None:
    """Reading smaps_rollup cost most of an ASK's time over HTTP at 1M quads: page faults (a few µs
    to count) say when the private memory may have grown enough to read it again."""
    from kg.workers import PrivateMemory, private_memory_mb

    meter = PrivateMemory(step_mb=8.0)
    first = meter()
    assert first > 0 and meter.readings == 1
    again = meter()
    assert meter.readings == 1 and first <= again < first + 8  # nothing grew: not read again
    block = bytearray(64 * 1024 * 1024)
    for offset in range(0, len(block), 4096):  # every page written: 64 MB more held privately
        block[offset] = 1
    grown = meter()
    assert meter.readings == 2 and grown >= first + 60
    assert abs(grown - private_memory_mb()) < 8
    del block
