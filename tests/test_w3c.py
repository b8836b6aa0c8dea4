"""The W3C SPARQL 1.1 Protocol, Graph Store Protocol and Service Description suites against a live `kg serve`.

The manifests (tests/w3c/, copied from w3c/rdf-tests with their licence) describe HTTP exchanges:
each entry has requests (method, path, headers, body) run in order on one connection, and the
response expected for each (status or status class, result format, boolean, Content-Type, graph).
Paths starting /sparql/ go to kg's /sparql, /gsp to kg's Graph Store /rdf-graphs; the graphs of
`ut:graphData` are loaded first. Every entry runs in both modes:

* update mode (`--allow-update`, bearer token): every request is sent with the token; the store is
  emptied (DROP ALL) and the entry's graph data loaded before each entry.
* read-only mode: the graph data is built into the store; every write an entry expects to succeed
  must get 403 (the entry stops there, as what follows depends on the write), every other
  request must get what the manifest says.

No entry is skipped or expected to fail: kg passes every one (README, "W3C test suites").
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from kg.build import build
from tests.test_serve import TOKEN, Endpoint

W3C = Path(__file__).parent / "w3c"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
MANIFESTS = {
    "protocol": W3C / "protocol" / "manifest.ttl",
    "gsp-indirect": W3C / "graph-store-protocol" / "manifest-indirect.ttl",
    "gsp-direct": W3C / "graph-store-protocol" / "manifest-direct.ttl",
    "service-description": W3C / "service-description" / "manifest.ttl",
}
STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
RESULT_MEDIA = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_MEDIA = {
    "application/rdf+xml": "xml",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/xhtml+xml": "rdfa",
    "text/html": "rdfa",
}


@dataclass
class Expected:
    statuses: list[str]
    boolean: bool | None = None
    format: str | None = None
    content_type: str | None = None
    body: str | None = None
    location: str | None = None


@dataclass
class Exchange:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expected: Expected


@dataclass
class Entry:
    suite: str
    name: str
    title: str
    exchanges: list[Exchange] = field(default_factory=list)
    graph_data: list[tuple[Path, str]] = field(default_factory=list)


def _items(graph: rdflib.Graph, node: Any) -> list[Any]:
    return list(Collection(graph, node)) if node is not None else []


def _headers(graph: rdflib.Graph, node: Any) -> dict[str, str]:
    return {
        str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue))
        for h in _items(graph, graph.value(node, HT.headers))
    }


def read_manifest(suite: str) -> list[Entry]:
    """The entries of a manifest, in order, with their requests and expected responses."""
    path = MANIFESTS[suite]
    graph = rdflib.Graph().parse(path, format="turtle", publicID=path.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = []
    for test in _items(graph, graph.value(manifest, MF.entries)):
        entry = Entry(suite, str(test).rsplit("#", 1)[-1], str(graph.value(test, MF.name)))
        for data in graph.objects(test, UT.graphData):
            file = Path(str(graph.value(data, UT.graph)).removeprefix("file://"))
            entry.graph_data.append((file, str(graph.value(data, RDFS.label))))
        action = graph.value(test, MF.action)
        for request in _items(graph, graph.value(action, HT.requests)) if action is not None else []:
            response = graph.value(request, HT.resp)
            body_node = graph.value(request, HT.body)
            body = None
            if body_node is not None:
                encoding = str(graph.value(body_node, CNT.characterEncoding) or "UTF-8")
                body = str(graph.value(body_node, CNT.chars)).encode(encoding)
            response_body = graph.value(response, HT.body)
            expected_boolean = graph.value(response, MF.expectedBoolean)
            entry.exchanges.append(
                Exchange(
                    method=str(graph.value(request, HT.methodName)),
                    path=str(graph.value(request, HT.absolutePath)),
                    headers=_headers(graph, request),
                    body=body,
                    expected=Expected(
                        statuses=sorted(str(s).rsplit("#", 1)[-1] for s in graph.objects(response, MF.expectedStatus)),
                        boolean=None if expected_boolean is None else bool(expected_boolean.toPython()),
                        format=str(graph.value(response, MF.expectedFormat) or "") or None,
                        content_type=_headers(graph, response).get("content-type"),
                        body=None if response_body is None else str(graph.value(response_body, CNT.chars)),
                        location=str(graph.value(response, MF.expectedLocation) or "") or None,
                    ),
                )
            )
        entries.append(entry)
    return entries


ENTRIES = [entry for suite in MANIFESTS for entry in read_manifest(suite)]


def kg_path(path: str) -> str:
    """The manifest's /sparql/ and /gsp paths mapped to kg's /sparql and /rdf-graphs."""
    if path.startswith("/sparql/"):
        return "/sparql" + path[len("/sparql/") :]
    if path.startswith("/gsp"):
        return "/rdf-graphs" + path[len("/gsp") :]
    return path


def is_write(exchange: Exchange) -> bool:
    """Whether a request changes the store: a Graph Store PUT/POST/DELETE or a SPARQL Update POST."""
    if exchange.path.startswith("/gsp"):
        return exchange.method in ("PUT", "POST", "DELETE")
    media = exchange.headers.get("content-type", "").split(";")[0].strip()
    body = (exchange.body or b"").decode("utf-8", errors="replace")
    return exchange.method == "POST" and (
        media == "application/sparql-update" or (media.endswith("form-urlencoded") and body.startswith("update="))
    )


def status_ok(status: int, expected: list[str]) -> bool:
    for name in expected:
        if name.startswith("StatusCode") and str(status)[0] == name[len("StatusCode")]:
            return True
        if STATUS.get(name) == status:
            return True
    return False


def parse_boolean(response: httpx.Response) -> bool:
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if media == "application/sparql-results+json":
        value = json.loads(response.text)["boolean"]
        assert isinstance(value, bool)
        return value
    assert media == "application/sparql-results+xml", f"not a boolean result format: {media}"
    root = ElementTree.fromstring(response.content)
    element = root.find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert element is not None and element.text in ("true", "false")
    return element.text == "true"


def check_response(exchange: Exchange, response: httpx.Response) -> None:
    expected = exchange.expected
    where = f"{exchange.method} {exchange.path}"
    assert status_ok(response.status_code, expected.statuses), (
        f"{where}: status {response.status_code} ({response.text.strip()[:300]}), expected {expected.statuses}"
    )
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if expected.format == "boolean":
        assert parse_boolean(response) in (True, False)
    elif expected.format == "tabular":
        assert media in RESULT_MEDIA, f"{where}: {media} is not a SPARQL results format"
        if media == "application/sparql-results+json":
            assert "bindings" in json.loads(response.text)["results"]
        elif media == "application/sparql-results+xml":
            ElementTree.fromstring(response.content)
    elif expected.format == "RDF":
        assert media in RDF_MEDIA, f"{where}: {media} is not one of RDF/XML, Turtle, N-Triples, RDFa"
        rdflib.Graph().parse(data=response.content, format=RDF_MEDIA[media])
    if expected.boolean is not None:
        assert parse_boolean(response) is expected.boolean, f"{where}: expected {expected.boolean}"
    if expected.content_type is not None:
        assert (
            response.headers.get("content-type", "").replace(" ", "").lower()
            == expected.content_type.replace(" ", "").lower()
        )
    if exchange.method == "HEAD":
        assert response.content == b""
    if expected.body is not None:
        wanted = rdflib.Graph().parse(
            data=expected.body,
            format=RDF_MEDIA[expected.content_type.split(";")[0]] if expected.content_type else "turtle",
        )
        got = rdflib.Graph().parse(data=response.content, format=RDF_MEDIA.get(media, "turtle"))
        assert isomorphic(wanted, got), f"{where}: the graph differs:\n{response.text}"


def run_entry(endpoint: Endpoint, entry: Entry, writable: bool) -> None:
    variables: dict[str, str] = {}
    auth = {"Authorization": f"Bearer {TOKEN}"} if writable else {}
    with httpx.Client(base_url=endpoint.url, timeout=30) as client:
        if writable:
            reset = client.post(
                "/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-update", **auth}
            )
            assert reset.status_code == 204, reset.text
            for file, graph in entry.graph_data:
                loaded = client.put(
                    "/rdf-graphs",
                    params={"graph": graph},
                    content=file.read_bytes(),
                    headers={"Content-Type": "application/n-triples", **auth},
                )
                assert loaded.status_code in (201, 204), loaded.text
        for exchange in entry.exchanges:
            path, body = exchange.path, exchange.body
            for name, value in variables.items():
                path = path.replace(name, value)
                body = body.replace(name.encode(), value.encode()) if body is not None else None
            response = client.request(
                exchange.method, kg_path(path), content=body, headers={**exchange.headers, **auth}
            )
            if not writable and is_write(exchange) and not status_ok(400, exchange.expected.statuses):
                assert response.status_code == 403, f"{exchange.method} {path}: {response.status_code}, expected 403"
                return
            check_response(exchange, response)
            if exchange.expected.location:
                assert "location" in response.headers, "a Location header was expected"
                variables[exchange.expected.location] = response.headers["location"]


SD_TERMS = {
    "Service",
    "Feature",
    "Language",
    "Function",
    "Aggregate",
    "EntailmentRegime",
    "EntailmentProfile",
    "GraphCollection",
    "Dataset",
    "Graph",
    "NamedGraph",
    "endpoint",
    "feature",
    "defaultEntailmentRegime",
    "defaultSupportedEntailmentProfile",
    "supportedEntailmentProfile",
    "entailmentRegime",
    "extensionFunction",
    "extensionAggregate",
    "languageExtension",
    "supportedLanguage",
    "propertyFeature",
    "defaultDataset",
    "availableGraphs",
    "resultFormat",
    "inputFormat",
    "defaultGraph",
    "namedGraph",
    "name",
    "graph",
    "SPARQL10Query",
    "SPARQL11Query",
    "SPARQL11Update",
    "DereferencesURIs",
    "UnionDefaultGraph",
    "RequiresDataset",
    "EmptyGraphs",
    "BasicFederatedQuery",
}
SD_MEDIA = {"text/turtle": "turtle", "application/rdf+xml": "xml", "application/ld+json": "json-ld"}


def run_service_description(endpoint: Endpoint, entry: Entry, writable: bool) -> None:
    """The three Service Description tests, for each description format kg offers."""
    for media, rdf_format in SD_MEDIA.items():
        response = httpx.get(endpoint.url + "/sparql", headers={"Accept": media}, timeout=30)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == media
        graph = rdflib.Graph().parse(data=response.content, format=rdf_format)
        if entry.name == "returns-rdf":
            assert len(graph) > 0
        elif entry.name == "has-endpoint-triple":
            assert (None, SD.endpoint, rdflib.URIRef(endpoint.url + "/sparql")) in graph
        else:
            check_schema(graph, writable)


def check_schema(graph: rdflib.Graph, writable: bool) -> None:
    """The description uses only SPARQL Service Description terms, each with its domain and range."""
    for term in set(graph.predicates()) | set(graph.objects()) | set(graph.subjects()):
        if isinstance(term, rdflib.URIRef) and str(term).startswith(str(SD)):
            assert str(term)[len(str(SD)) :] in SD_TERMS, f"{term} is not in the Service Description vocabulary"
    services = list(graph.subjects(RDF.type, SD.Service))
    assert len(services) == 1
    service = services[0]
    assert list(graph.objects(service, SD.endpoint))
    languages = set(graph.objects(service, SD.supportedLanguage))
    assert languages and languages <= {SD.SPARQL10Query, SD.SPARQL11Query, SD.SPARQL11Update}
    assert (SD.SPARQL11Update in languages) is writable, "Update advertised only when updates are allowed"
    assert set(graph.objects(service, SD.feature)) <= {
        SD.DereferencesURIs,
        SD.UnionDefaultGraph,
        SD.RequiresDataset,
        SD.EmptyGraphs,
    }
    for fmt in graph.objects(service, SD.resultFormat):
        assert isinstance(fmt, rdflib.URIRef)
    for dataset in graph.objects(service, SD.defaultDataset):
        assert (dataset, RDF.type, SD.Dataset) in graph
        for default in graph.objects(dataset, SD.defaultGraph):
            assert (default, RDF.type, SD.Graph) in graph


@pytest.fixture(scope="module")
def w3c_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TriG file with the protocol suite's graph data in the named graphs the manifest gives them."""
    path = tmp_path_factory.mktemp("w3c") / "w3c-data.trig"
    graphs = {label: file for entry in ENTRIES for file, label in entry.graph_data}
    path.write_text(
        "".join(f"<{label}> {{\n{file.read_text(encoding='utf-8')}}}\n" for label, file in sorted(graphs.items())),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module", params=["update", "read-only"])
def w3c_endpoint(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, w3c_data: Path
) -> Iterator[tuple[Endpoint, bool]]:
    writable = request.param == "update"
    store = tmp_path_factory.mktemp("w3c-store") / "store"
    build(store, [w3c_data], only=True, validate=False)
    extra = ["--allow-update"] if writable else []
    server = Endpoint(store, *extra, "--no-site", "--timeout", "20", "--workers", "2", env={"KG_SERVE_TOKEN": TOKEN})
    yield server, writable
    server.stop()
    shutil.rmtree(store, ignore_errors=True)


@pytest.mark.parametrize("entry", ENTRIES, ids=[f"{e.suite}:{e.name}" for e in ENTRIES])
def test_w3c(w3c_endpoint: tuple[Endpoint, bool], entry: Entry) -> None:
    endpoint, writable = w3c_endpoint
    if entry.suite == "service-description":
        run_service_description(endpoint, entry, writable)
    else:
        assert entry.exchanges, f"{entry.name} has no requests"
        run_entry(endpoint, entry, writable)


def test_manifests_read_completely() -> None:
    """The runner sees every entry of each manifest (34 protocol, 9 + 4 Graph Store, 3 description)."""
    counts = {suite: sum(1 for e in ENTRIES if e.suite == suite) for suite in MANIFESTS}
    assert counts == {"protocol": 34, "gsp-indirect": 9, "gsp-direct": 4, "service-description": 3}
