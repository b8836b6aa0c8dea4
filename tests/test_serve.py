"""`kg serve` with real clients: SPARQLWrapper, rdflib's SPARQLStore and plain HTTP, over loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper

from tests.conftest import tree_digest
from tests.test_bad_input import listener  # noqa: F401  (fixture)

TOKEN = "test-token-0123456789"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Endpoint:
    def __init__(self, store: Path, *extra: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kg", "--store", str(store), "serve", "--port", str(self.port), *extra],
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/sparql", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("kg serve did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def endpoint(bundled_store_path: Path) -> Iterator[Endpoint]:
    server = Endpoint(bundled_store_path, "--timeout", "3", "--max-request-kb", "64", "--max-result-mb", "1")
    yield server
    server.stop()


@pytest.fixture
def writable(bundled_store_path: Path, tmp_path: Path) -> Iterator[tuple[Endpoint, Path]]:
    store = tmp_path / "store"
    shutil.copytree(bundled_store_path, store, symlinks=True)
    server = Endpoint(store, "--allow-update", "--no-site", "--timeout", "5", env={"KG_SERVE_TOKEN": TOKEN})
    yield server, store
    server.stop()


def test_sparqlwrapper_formats(endpoint: Endpoint) -> None:
    client = SPARQLWrapper(endpoint.url + "/sparql")
    client.setQuery("SELECT ?label WHERE { kgr:yoon-suk-yeol rdfs:label ?label FILTER(LANG(?label) = 'ko') }")
    client.setReturnFormat(JSON)
    bindings = client.query().convert()["results"]["bindings"]
    assert {b["label"]["value"] for b in bindings} == {"윤석열"}
    client.setReturnFormat(XML)
    assert "윤석열" in client.query().convert().toxml()
    client.setReturnFormat(CSV)
    assert "윤석열" in client.query().convert().decode("utf-8")
    client.setQuery("CONSTRUCT WHERE { kgr:ruling-2018-forced-labor kg:court ?court }")
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert len(graph) == 1


def test_rdflib_sparqlstore(endpoint: Endpoint) -> None:
    store = SPARQLStore(endpoint.url + "/sparql", returnFormat="json")
    graph = rdflib.Graph(store=store)
    rows = list(
        graph.query(
            "PREFIX kg: <https://w3id.org/kg-diplomacy/ontology#> "
            "SELECT ?summit WHERE { ?summit a kg:Summit ; kg:date ?d FILTER(STR(?d) = '2023-03-16') }"
        )
    )
    assert [str(r[0]) for r in rows] == ["https://w3id.org/kg-diplomacy/resource/summit-2023-03-16"]


@pytest.mark.parametrize(
    "accept, media",
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/html", "text/html"),
    ],
)
def test_select_content_negotiation(endpoint: Endpoint, accept: str, media: str) -> None:
    response = httpx.get(endpoint.url + "/sparql", params={"query": COUNT}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert "n" in response.text


@pytest.mark.parametrize(
    "accept, media, rdflib_format",
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
    ],
)
def test_construct_content_negotiation(endpoint: Endpoint, accept: str, media: str, rdflib_format: str) -> None:
    query = "CONSTRUCT { ?s kg:date ?d } WHERE { ?s a kg:Summit ; kg:date ?d }"
    response = httpx.post(
        endpoint.url + "/sparql", content=query, headers={"Content-Type": "application/sparql-query", "Accept": accept}
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    assert len(rdflib.Graph().parse(data=response.text, format=rdflib_format)) >= 3


def test_every_request_form(endpoint: Endpoint) -> None:
    get = httpx.get(endpoint.url + "/sparql", params={"query": COUNT, "format": "csv"})
    form = httpx.post(endpoint.url + "/sparql", data={"query": COUNT}, headers={"Accept": "text/csv"})
    direct = httpx.post(
        endpoint.url + "/sparql",
        content=COUNT,
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    assert get.text == form.text == direct.text and get.text.startswith("n\r\n")


def test_dataset_parameters(endpoint: Endpoint) -> None:
    evidence = "https://w3id.org/kg-diplomacy/evidence/japan-rok-2023/q013"
    narrowed = httpx.get(
        endpoint.url + "/sparql", params={"query": COUNT, "default-graph-uri": evidence, "format": "csv"}
    )
    whole = httpx.get(endpoint.url + "/sparql", params={"query": COUNT, "format": "csv"})
    assert 0 < int(narrowed.text.split()[1]) < int(whole.text.split()[1])
    named = httpx.get(
        endpoint.url + "/sparql",
        params={
            "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            "named-graph-uri": evidence,
            "format": "csv",
        },
    )
    assert named.text.split()[1:] == [evidence]


def test_service_description_and_pages(endpoint: Endpoint) -> None:
    description = httpx.get(endpoint.url + "/sparql")
    assert description.headers["content-type"].startswith("text/turtle")
    graph = rdflib.Graph().parse(data=description.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, sd.supportedLanguage, sd.SPARQL11Query) in graph
    assert (None, sd.supportedLanguage, sd.SPARQL11Update) not in graph
    assert httpx.get(endpoint.url + "/query").status_code == 200
    site = httpx.get(endpoint.url + "/site/entities/yoon-suk-yeol.html")
    assert site.status_code == 200 and "Yoon Suk-yeol" in site.text
    assert httpx.get(endpoint.url + "/").headers.get("location") == "/site/index.html"


def test_status_codes(endpoint: Endpoint) -> None:
    malformed = httpx.get(endpoint.url + "/sparql", params={"query": "SELECT * WHERE {\n ?s ?p \n}"})
    assert malformed.status_code == 400 and "line 3, column" in malformed.text
    truncated = httpx.get(endpoint.url + "/sparql", params={"query": "SELECT ?n WHERE { ?s ?p ?o } GROUP BY"})
    assert truncated.status_code == 400
    unsupported = httpx.post(endpoint.url + "/sparql", content=COUNT, headers={"Content-Type": "text/plain"})
    assert unsupported.status_code == 415
    update = httpx.post(endpoint.url + "/sparql", data={"update": "CLEAR ALL"})
    assert update.status_code == 403 and "read-only" in update.text


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        "SELECT * FROM <{url}/data.ttl> WHERE {{ ?s ?p ?o }}",
        "SELECT * FROM NAMED <file:///etc/passwd> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    ],
)
def test_refuses_to_fetch(endpoint: Endpoint, listener: tuple[str, list[str]], template: str) -> None:  # noqa: F811
    url, hits = listener
    response = httpx.get(endpoint.url + "/sparql", params={"query": template.format(url=url)})
    assert response.status_code == 403 and "refused" in response.text
    assert hits == []


def test_runaway_query_is_stopped_while_others_are_answered(endpoint: Endpoint) -> None:
    outcome: dict[str, httpx.Response] = {}

    finished: dict[str, float] = {}

    def runaway() -> None:
        outcome["runaway"] = httpx.get(endpoint.url + "/sparql", params={"query": RUNAWAY}, timeout=30)
        finished["runaway"] = time.monotonic()

    started = time.monotonic()
    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    with httpx.Client(timeout=5) as client:
        quick = [client.get(endpoint.url + "/sparql", params={"query": COUNT}) for _ in range(20)]
    quick_done = time.monotonic() - started
    thread.join()
    stopped_after = time.monotonic() - started
    assert all(r.status_code == 200 for r in quick)
    assert started + quick_done < finished["runaway"], "short queries waited for the runaway one"
    assert outcome["runaway"].status_code == 504 and "time limit of 3 s" in outcome["runaway"].text
    assert 2.5 < stopped_after < 10
    assert httpx.get(endpoint.url + "/sparql", params={"query": COUNT}).status_code == 200


def test_result_size_limit(endpoint: Endpoint) -> None:
    huge = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 200000"
    response = httpx.get(endpoint.url + "/sparql", params={"query": huge, "format": "csv"}, timeout=30)
    assert response.status_code == 500 and "larger than the server's limit of 1 MB" in response.text


def test_oversized_request_is_refused(endpoint: Endpoint) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 70_000
    response = httpx.post(endpoint.url + "/sparql", content=big, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


def test_update_needs_the_token_and_leaves_the_store_unchanged(writable: tuple[Endpoint, Path]) -> None:
    server, store = writable
    before = tree_digest(store)
    insert = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> 'c' } }"
    assert httpx.post(server.url + "/sparql", data={"update": insert}).status_code == 401
    wrong = httpx.post(server.url + "/sparql", data={"update": insert}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    broken = httpx.post(
        server.url + "/sparql",
        data={"update": "INSERT DATA { <urn:x:a> }"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert broken.status_code == 400 and "unchanged" in broken.text
    load = httpx.post(
        server.url + "/sparql",
        data={"update": "LOAD <http://127.0.0.1:9/x.ttl>"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert load.status_code == 403
    assert tree_digest(store) == before
    done = httpx.post(server.url + "/sparql", data={"update": insert}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert done.status_code == 204
    ask = httpx.get(
        server.url + "/sparql", params={"query": "ASK { GRAPH <urn:x:g> { <urn:x:a> ?p ?o } }", "format": "json"}
    )
    assert ask.json()["boolean"] is True


def test_graph_store_protocol(writable: tuple[Endpoint, Path]) -> None:
    server, _ = writable
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = "<urn:x:a> <urn:x:b> <urn:x:c> .\n"
    graph = {"graph": "urn:x:uploaded"}
    assert (
        httpx.put(
            server.url + "/rdf-graphs", params=graph, content=body, headers={"Content-Type": "application/n-triples"}
        ).status_code
        == 401
    )
    assert (
        httpx.put(
            server.url + "/rdf-graphs",
            params=graph,
            content=body,
            headers={**auth, "Content-Type": "application/n-triples"},
        ).status_code
        == 201
    )  # created
    assert (
        httpx.put(
            server.url + "/rdf-graphs",
            params=graph,
            content=body,
            headers={**auth, "Content-Type": "application/n-triples"},
        ).status_code
        == 204
    )  # replaced
    got = httpx.get(server.url + "/rdf-graphs", params=graph, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and got.text.strip() == body.strip()
    assert httpx.delete(server.url + "/rdf-graphs", params=graph, headers=auth).status_code == 204
    assert httpx.get(server.url + "/rdf-graphs", params=graph).status_code == 404


def test_updates_need_a_token_to_start(bundled_store_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg",
            "--store",
            str(bundled_store_path),
            "serve",
            "--allow-update",
            "--port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if k != "KG_SERVE_TOKEN"},
    )
    assert result.returncode == 2 and "needs a bearer token" in result.stderr
