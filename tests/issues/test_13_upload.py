"""Issue 13, item 8: builds upload to a server in batches (many graphs per request), against a real Virtuoso.

The synthetic graph of bench/generate.py at 10k statements has ~600 graphs (one per evidence
record). Batched, the server must end up with exactly the local store's quads in far fewer HTTP
requests than graphs; a failure half-way through a batched upload must leave the server as it was.
Requests are counted through kg's own HTTP layer (`kg.storage.remote_http.Http.request`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from bench.generate import generate
from kg.cli import cli
from kg.errors import StoreError
from kg.storage.remote import BACKUP, STAGING
from kg.storage.remote_http import Http
from tests import virtuoso
from tests.conftest import remote_env, running_virtuoso
from tests.virtuoso import snapshot

BLANK = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<urn:test:blank:a> { [] rdfs:label "first blank"@en ; rdfs:comment "stays with its label" . }
<urn:test:blank:b> { [] rdfs:label "second blank"@en ; rdfs:seeAlso [ rdfs:label "nested" ] . }
"""


def kg(store: str | Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["--store", str(store), *args], env=env)


def canonical(nquads: str) -> list[str]:
    dataset = ox.Dataset(ox.parse(nquads.encode(), ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """A Virtuoso of this module's own: after bulk uploads of synthetic data, Virtuoso 7.2 answers the
    shared server's canned `agreements` query with other rows missing (its property-path bug depends
    on what the server did before), so these uploads do not run on the session's server."""
    yield from running_virtuoso()


@pytest.fixture(scope="module")
def env(server: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return remote_env(server, tmp_path_factory)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], int]:
    """The 10k synthetic graph (TriG) plus two graphs with blank nodes; and how many graphs they hold."""
    folder = tmp_path_factory.mktemp("synthetic")
    stats = generate(folder / "synthetic-10k.trig", triples=10_000, seed=20230316)
    blank = folder / "blank.trig"
    blank.write_text(BLANK, encoding="utf-8")
    return [folder / "synthetic-10k.trig", blank], stats.graphs + 2


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Every request kg sends, as (method, what), counted in kg's HTTP layer."""
    sent: list[tuple[str, str]] = []
    real = Http.request

    def counting(self: Http, method: str, url: str, *, what: str, **kwargs: Any) -> Any:
        sent.append((method, what))
        return real(self, method, url, what=what, **kwargs)

    monkeypatch.setattr(Http, "request", counting)
    yield sent


def test_batched_upload_gives_the_local_quads_in_far_fewer_requests(
    server: virtuoso.Virtuoso,
    env: dict[str, str],
    synthetic: tuple[list[Path], int],
    requests: list[tuple[str, str]],
    tmp_path: Path,
) -> None:
    files, graphs = synthetic
    assert graphs > 500
    local = tmp_path / "local"
    assert kg(local, "build", "--only", *map(str, files), "--no-validate").exit_code == 0
    expected = canonical(kg(local, "export", "--format", "nquads").stdout)

    counts = {}
    for batch in ("0", "2000"):  # 0: one request per graph, as before batching
        virtuoso.drop_graphs(server)
        requests.clear()
        built = kg(
            server.sparql_url,
            "build",
            "--only",
            *map(str, files),
            "--no-validate",
            env={**env, "KG_REMOTE_BATCH": batch},
        )
        assert built.exit_code == 0, built.output
        counts[batch] = len(requests)
        uploads = [what for _, what in requests if what.startswith("uploading graph")]
        exported = kg(server.sparql_url, "export", "--format", "nquads", env=env)
        assert exported.exit_code == 0, exported.output
        assert canonical(exported.stdout) == expected, batch
    assert counts["0"] > graphs  # one request per graph (the manifest and a few queries besides)
    assert counts["2000"] < graphs / 20, counts
    assert len(uploads) < graphs / 20 and any(" more" in what for what in uploads), uploads


@pytest.mark.parametrize("workers", ["1", "4"])
def test_failure_half_way_through_a_batched_upload_leaves_the_server_unchanged(
    server: virtuoso.Virtuoso,
    env: dict[str, str],
    synthetic: tuple[list[Path], int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    workers: str,
) -> None:
    """One request at a time, and in parallel (Virtuoso with `unlogged_upload`: four INSERT DATA batches
    at a time, unlogged, row autocommit): what arrived before and beside the failed request is dropped."""
    files, _ = synthetic
    virtuoso.drop_graphs(server)
    first = kg(server.sparql_url, "build", "--only", *map(str, files), "--no-validate", env=env)
    assert first.exit_code == 0, first.output
    before = snapshot(server)
    other = tmp_path / "other.trig"  # the same graph names with other statements: staging graphs, then a swap
    generate(other, triples=12_000, seed=7)
    real = Http.request
    batches: list[str] = []

    def failing(self: Http, method: str, url: str, *, what: str, **kwargs: Any) -> Any:
        if what.startswith("uploading graph") and what.endswith(" more"):
            batches.append(what)
            if len(batches) == 3:
                raise StoreError("simulated: the server went away in the middle of the upload")
        return real(self, method, url, what=what, **kwargs)

    monkeypatch.setattr(Http, "request", failing)
    result = kg(
        server.sparql_url,
        "build",
        "--only",
        str(other),
        "--no-validate",
        env={**env, "KG_REMOTE_WORKERS": workers, "KG_REMOTE_UNLOGGED_UPLOAD": "1" if workers == "4" else ""},
    )
    monkeypatch.undo()
    assert result.exit_code == 2 and "simulated: the server went away" in result.output, result.output
    assert len(batches) == 3
    assert snapshot(server) == before


@pytest.mark.parametrize("unlogged", [False, True])
def test_virtuoso_batches_unlogged_in_parallel_only_when_asked_and_the_swap_logged(
    server: virtuoso.Virtuoso, env: dict[str, str], synthetic: tuple[list[Path], int], tmp_path: Path, unlogged: bool
) -> None:
    """Virtuoso: by default the INSERT DATA batches are transactional and go one at a time; with
    `unlogged_upload` they carry `DEFINE sql:log-enable 2` and go several at a time (the `workers`
    setting). The MOVEs of the swap carry `DEFINE sql:log-enable 1` either way. A first build (graphs
    uploaded under their names) and a rebuild over it (staging graphs, then MOVEs) each leave exactly
    the local quads, and nothing behind in staging or backup graphs."""
    files, _ = synthetic
    other = tmp_path / "other.trig"  # the same graph names with other statements
    generate(other, triples=12_000, seed=7)
    sent: list[tuple[str, str]] = []
    in_flight = [0, 0]  # now, most at once (INSERT DATA batches)
    lock = threading.Lock()
    real = Http.request

    def watching(self: Http, method: str, url: str, *, what: str, **kwargs: Any) -> Any:
        update = str((kwargs.get("data") or {}).get("update", ""))
        batch = update.startswith("DEFINE") and "INSERT DATA" in update
        with lock:
            sent.append((what, update[:200]))
            if batch:
                in_flight[0] += 1
                in_flight[1] = max(in_flight)
        try:
            return real(self, method, url, what=what, **kwargs)
        finally:
            if batch:
                with lock:
                    in_flight[0] -= 1

    virtuoso.drop_graphs(server)
    for build_files in ([str(f) for f in files], [str(other)]):
        local = tmp_path / f"local-{len(build_files)}-{build_files[0][-9:]}"
        assert kg(local, "build", "--only", *build_files, "--no-validate").exit_code == 0
        expected = canonical(kg(local, "export", "--format", "nquads").stdout)
        sent.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Http, "request", watching)
            built = kg(
                server.sparql_url,
                "build",
                "--only",
                *build_files,
                "--no-validate",
                env={**env, "KG_REMOTE_UNLOGGED_UPLOAD": "1" if unlogged else "0"},
            )
        assert built.exit_code == 0, built.output
        batches = [update for what, update in sent if what.startswith("uploading graph") and "INSERT DATA" in update]
        assert len(batches) > 3
        assert all(u.startswith("DEFINE sql:log-enable 2\n") == unlogged for u in batches), batches[:3]
        swaps = [update for what, update in sent if what == "replacing the graphs"]
        assert swaps and all(u.startswith("DEFINE sql:log-enable 1\n") for u in swaps), swaps
        assert (2 <= in_flight[1] <= 4) if unlogged else in_flight[1] == 1, in_flight  # `workers`: 4 by default
        exported = kg(server.sparql_url, "export", "--format", "nquads", env=env)
        assert exported.exit_code == 0, exported.output
        assert canonical(exported.stdout) == expected
        sizes, _ = snapshot(server, digest=False)
        left = [g for g in sizes if g.startswith((STAGING, BACKUP))]
        assert not left, left[:5]
    assert any(" TO <urn:kg:backup:" in u for u in swaps) and any("MOVE SILENT <urn:kg:staging:" in u for u in swaps)


def test_batch_setting_errors_are_one_line() -> None:
    result = kg(
        "http://127.0.0.1:9/sparql", "query", "ASK {}", env={"KG_REMOTES_CONFIG": "", "KG_REMOTE_BATCH": "many"}
    )
    assert result.exit_code == 2
    assert (
        "KG_REMOTE_BATCH: expected a whole number of statements (0: one request per graph), got 'many'" in result.output
    )
    assert len(result.output.strip().splitlines()) == 1


def test_unlogged_upload_setting_errors_are_one_line(tmp_path: Path) -> None:
    result = kg(
        "http://127.0.0.1:9/sparql",
        "query",
        "ASK {}",
        env={"KG_REMOTES_CONFIG": "", "KG_REMOTE_UNLOGGED_UPLOAD": "maybe"},
    )
    assert result.exit_code == 2
    assert result.output.strip() == "Error: KG_REMOTE_UNLOGGED_UPLOAD: expected 1 or 0 (true or false), got 'maybe'"
    config = tmp_path / "remotes.toml"
    config.write_text('["http://127.0.0.1:9/sparql"]\nunlogged_upload = "yes"\n', encoding="utf-8")
    result = kg("http://127.0.0.1:9/sparql", "query", "ASK {}", env={"KG_REMOTES_CONFIG": str(config)})
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {config}: unlogged_upload: expected true or false"
