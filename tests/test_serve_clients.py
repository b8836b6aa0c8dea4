"""Real SPARQL clients against a live `kg serve`: SPARQLWrapper (GET, POST form, POST direct; every return
format it supports for each query form) and rdflib's SPARQLStore / SPARQLUpdateStore."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.dom.minidom import Document

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDF,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from tests.test_serve import TOKEN, Endpoint

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning:SPARQLWrapper", "ignore:Sending Accept header:RuntimeWarning"
)

SELECT = "SELECT ?label WHERE { kgr:yoon-suk-yeol rdfs:label ?label FILTER(LANG(?label) = 'ko') }"
ASK = "ASK { kgr:yoon-suk-yeol a ?type }"
CONSTRUCT = "CONSTRUCT WHERE { kgr:ruling-2018-forced-labor kg:court ?court }"
DESCRIBE = "DESCRIBE kgr:ruling-2018-forced-labor"
# (method, request method): GET; POST with an URL-encoded form; POST with the query as the body.
TRANSPORTS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]


@pytest.fixture(scope="module")
def live(bundled_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    store = tmp_path_factory.mktemp("clients") / "store"
    shutil.copytree(bundled_store_path, store, symlinks=True)
    server = Endpoint(store, "--allow-update", "--no-site", "--workers", "2", env={"KG_SERVE_TOKEN": TOKEN})
    yield server
    server.stop()


def client(endpoint: Endpoint, query: str, fmt: str, transport: tuple[str, str]) -> Any:
    wrapper = SPARQLWrapper(endpoint.url + "/sparql")
    wrapper.setMethod(transport[0])
    wrapper.setRequestMethod(transport[1])
    wrapper.setQuery(query)
    wrapper.setReturnFormat(fmt)
    return wrapper.query()


def results_rows(fmt: str, converted: Any) -> list[str]:
    if fmt == JSON:
        return [b["label"]["value"] for b in converted["results"]["bindings"]]
    if fmt == XML:
        assert isinstance(converted, Document)
        return [
            node.firstChild.nodeValue or ""
            for node in converted.getElementsByTagName("literal")
            if node.firstChild is not None
        ]
    text = converted.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter="," if fmt == CSV else "\t"))
    return [row[0].split("@")[0].strip('"') for row in rows[1:]]


@pytest.mark.parametrize("transport", TRANSPORTS, ids=["GET", "POST-form", "POST-direct"])
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(live: Endpoint, fmt: str, transport: tuple[str, str]) -> None:
    result = client(live, SELECT, fmt, transport)
    assert results_rows(fmt, result.convert()) == ["윤석열"]


@pytest.mark.parametrize("transport", TRANSPORTS, ids=["GET", "POST-form", "POST-direct"])
@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(live: Endpoint, fmt: str, transport: tuple[str, str]) -> None:
    converted = client(live, ASK, fmt, transport).convert()
    if fmt == JSON:
        assert converted["boolean"] is True
    else:
        assert converted.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("transport", TRANSPORTS, ids=["GET", "POST-form", "POST-direct"])
@pytest.mark.parametrize(
    "fmt, media",
    [
        (TURTLE, "text/turtle"),
        (N3, "text/turtle"),
        (XML, "application/rdf+xml"),
        (RDFXML, "application/rdf+xml"),
        (JSONLD, "application/ld+json"),
        (JSON, "application/ld+json"),
        (RDF, "application/rdf+xml"),
    ],
)
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["CONSTRUCT", "DESCRIBE"])
def test_sparqlwrapper_graph_forms(
    live: Endpoint, query: str, fmt: str, media: str, transport: tuple[str, str]
) -> None:
    result = client(live, query, fmt, transport)
    assert result.info()["content-type"].split(";")[0] == media
    converted = result.convert()
    if isinstance(converted, rdflib.Graph):
        graph = converted
    elif isinstance(converted, bytes):
        graph = rdflib.Graph().parse(data=converted, format="turtle")
    else:
        graph = rdflib.Graph().parse(
            data=json.dumps(converted) if not isinstance(converted, str) else converted, format="json-ld"
        )
    court = rdflib.URIRef("https://w3id.org/kg-diplomacy/ontology#court")
    assert list(graph.objects(rdflib.URIRef("https://w3id.org/kg-diplomacy/resource/ruling-2018-forced-labor"), court))


def test_sparqlwrapper_update(live: Endpoint) -> None:
    wrapper = SPARQLWrapper(live.url + "/sparql")
    wrapper.setMethod(POST)
    wrapper.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    wrapper.setQuery("INSERT DATA { GRAPH <http://example.org/wrapper> { <urn:s> <urn:p> 'from SPARQLWrapper' } }")
    assert wrapper.query().response.status == 204
    check = client(
        live, "ASK { GRAPH <http://example.org/wrapper> { ?s ?p 'from SPARQLWrapper' } }", JSON, (GET, URLENCODED)
    )
    assert check.convert()["boolean"] is True


@pytest.mark.parametrize("return_format", ["json", "xml", "csv"])
@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_select(live: Endpoint, return_format: str, method: str) -> None:
    graph = rdflib.Graph(store=SPARQLStore(live.url + "/sparql", returnFormat=return_format, method=method))
    rows = list(
        graph.query(
            "PREFIX kg: <https://w3id.org/kg-diplomacy/ontology#> "
            "SELECT ?summit WHERE { ?summit a kg:Summit ; kg:date ?d FILTER(STR(?d) = '2023-03-16') }"
        )
    )
    assert [str(r[0]) for r in rows] == ["https://w3id.org/kg-diplomacy/resource/summit-2023-03-16"]  # type: ignore[index]
    if return_format != "csv":  # CSV has no boolean form
        assert graph.query("ASK { ?s a <https://w3id.org/kg-diplomacy/ontology#Summit> }").askAnswer is True


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_construct(live: Endpoint, method: str) -> None:
    """rdflib's default return format ("xml") asks for SPARQL XML results and RDF/XML: kg picks by query form."""
    graph = rdflib.Graph(store=SPARQLStore(live.url + "/sparql", method=method))
    ruling = "https://w3id.org/kg-diplomacy/resource/ruling-2018-forced-labor"
    constructed = graph.query(f"CONSTRUCT WHERE {{ <{ruling}> <https://w3id.org/kg-diplomacy/ontology#court> ?c }}")
    assert constructed.graph is not None and len(constructed.graph) == 1
    described = graph.query(f"DESCRIBE <{ruling}>")
    assert described.graph is not None and len(described.graph) > 1


def test_rdflib_sparqlupdatestore(live: Endpoint) -> None:
    store = SPARQLUpdateStore(
        live.url + "/sparql", live.url + "/sparql", returnFormat="json", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    dataset = rdflib.Dataset(store=store)
    named = dataset.graph(rdflib.URIRef("http://example.org/rdflib-update"))
    named.add((rdflib.URIRef("urn:s"), rdflib.URIRef("urn:p"), rdflib.Literal("from rdflib")))
    reader = rdflib.Graph(store=SPARQLStore(live.url + "/sparql", returnFormat="json"))
    answer = reader.query("ASK { GRAPH <http://example.org/rdflib-update> { <urn:s> <urn:p> 'from rdflib' } }")
    assert answer.askAnswer is True
