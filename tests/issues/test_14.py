"""Issue 14: every failure the issue lists, against a live `kg serve` (update mode with a token, and read-only).

Each test names the failure it pins down; the W3C suites themselves run in tests/test_w3c.py.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from tests.conftest import tree_digest
from tests.test_serve import TOKEN, Endpoint

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
D1, D2 = "http://example.org/issue14/d1", "http://example.org/issue14/d2"


@pytest.fixture(scope="module")
def store(bundled_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("issue14") / "store"
    shutil.copytree(bundled_store_path, path, symlinks=True)
    return path


@pytest.fixture(scope="module")
def live(store: Path) -> Iterator[Endpoint]:
    endpoint = Endpoint(
        store,
        "--allow-update",
        "--no-site",
        "--workers",
        "1",
        "--cors-origin",
        "http://127.0.0.1:1",
        env={"KG_SERVE_TOKEN": TOKEN},
    )
    with httpx.Client() as client:
        for graph, obj in ((D1, "one"), (D2, "two")):
            response = client.put(
                endpoint.url + "/rdf-graphs",
                params={"graph": graph},
                headers={**AUTH, "Content-Type": "text/turtle"},
                content=f"<{graph}> a <http://example.org/Doc> ; <http://example.org/n> '{obj}' .",
            )
            assert response.status_code in (201, 204)
    yield endpoint
    endpoint.stop()


@pytest.fixture(scope="module")
def based(store: Path) -> Iterator[Endpoint]:
    endpoint = Endpoint(store, "--no-site", "--workers", "1", "--base", "http://example.org/base/")
    yield endpoint
    endpoint.stop()


def ask(live: Endpoint, query: str, **params: str) -> bool:
    response = httpx.post(
        live.url + "/sparql",
        params=params,
        content=query,
        headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()["boolean"]
    assert isinstance(answer, bool)
    return answer


def update(live: Endpoint, text: str, **params: str | list[str]) -> httpx.Response:
    return httpx.post(
        live.url + "/sparql", params=params, content=text, headers={**AUTH, "Content-Type": "application/sparql-update"}
    )


def test_relative_iris_resolve_against_the_endpoint(live: Endpoint) -> None:
    response = httpx.post(
        live.url + "/sparql",
        content="CONSTRUCT { <s> <p> 1 } WHERE {}",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
    )
    assert response.status_code == 200, response.text
    assert response.text.startswith(f"<{live.url}/s> <{live.url}/p> ")
    assert (
        update(live, "INSERT DATA { GRAPH <http://example.org/issue14/base> { <urn:s> <urn:p> <test> } }").status_code
        == 204
    )
    assert ask(live, f"ASK {{ GRAPH <http://example.org/issue14/base> {{ <urn:s> <urn:p> <{live.url}/test> }} }}")


def test_base_option(based: Endpoint) -> None:
    response = httpx.get(
        based.url + "/sparql",
        params={"query": "CONSTRUCT { <s> <p> 1 } WHERE {}"},
        headers={"Accept": "application/n-triples"},
    )
    assert response.text.startswith("<http://example.org/base/s> <http://example.org/base/p> ")


def test_more_than_one_query_or_update_is_refused_and_nothing_runs(live: Endpoint, store: Path) -> None:
    before = tree_digest(store)
    two_queries = httpx.get(live.url + "/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert two_queries.status_code == 400 and "one operation per request" in two_queries.text
    on_get = httpx.get(live.url + "/sparql", params={"update": "CLEAR ALL"}, headers=AUTH)
    assert on_get.status_code == 400 and "POST" in on_get.text
    two_updates = httpx.post(
        live.url + "/sparql",
        content="update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert two_updates.status_code == 400
    both = httpx.post(live.url + "/sparql", data={"query": "ASK {}", "update": "CLEAR ALL"}, headers=AUTH)
    assert both.status_code == 400
    assert tree_digest(store) == before
    assert ask(live, f"ASK {{ GRAPH <{D1}> {{ ?s ?p ?o }} }}")


def test_using_graph_uri_and_using_named_graph_uri(live: Endpoint) -> None:
    target = "http://example.org/issue14/using"
    text = (
        f"INSERT {{ GRAPH <{target}> {{ ?s <http://example.org/seen> ?n }} }} WHERE {{ ?s <http://example.org/n> ?n }}"
    )
    assert update(live, text, **{"using-graph-uri": D1}).status_code == 204
    assert ask(live, f"ASK {{ GRAPH <{target}> {{ <{D1}> <http://example.org/seen> 'one' }} }}")
    assert not ask(live, f"ASK {{ GRAPH <{target}> {{ <{D2}> ?p ?o }} }}")
    named = (
        f"INSERT {{ GRAPH <{target}-named> {{ ?s <http://example.org/in> ?g }} }} "
        "WHERE { GRAPH ?g { ?s a <http://example.org/Doc> } }"
    )
    assert update(live, named, **{"using-named-graph-uri": D2}).status_code == 204
    assert ask(live, f"ASK {{ GRAPH <{target}-named> {{ <{D2}> <http://example.org/in> <{D2}> }} }}")
    assert not ask(live, f"ASK {{ GRAPH <{target}-named> {{ <{D1}> ?p ?o }} }}")


def test_using_parameters_with_with_clause_are_refused(live: Endpoint, store: Path) -> None:
    before = tree_digest(store)
    text = f"WITH <{D1}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"
    response = update(live, text, **{"using-named-graph-uri": D2})
    assert response.status_code == 400 and "WITH" in response.text
    assert tree_digest(store) == before


def test_dataset_parameters_over_loaded_graphs(live: Endpoint) -> None:
    both = f"ASK {{ <{D1}> a ?t . <{D2}> a ?t }}"
    assert ask(live, both, **{"default-graph-uri": D1}) is False
    response = httpx.get(
        live.url + "/sparql",
        params=[("query", both), ("default-graph-uri", D1), ("default-graph-uri", D2)],
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.json()["boolean"] is True
    named = f"ASK {{ GRAPH ?a {{ <{D1}> a ?t }} GRAPH ?b {{ <{D2}> a ?t }} }}"
    assert ask(live, named, **{"named-graph-uri": D1}) is False
    listed = httpx.get(
        live.url + "/sparql",
        params=[("query", named), ("named-graph-uri", D1), ("named-graph-uri", D2)],
        headers={"Accept": "application/sparql-results+json"},
    )
    assert listed.json()["boolean"] is True
    # the protocol's dataset replaces the query's FROM
    assert ask(live, f"ASK FROM <{D2}> {{ GRAPH ?a {{ <{D1}> a ?t }} }}", **{"named-graph-uri": D1})


@pytest.mark.parametrize("parameter", ["default-graph-uri", "named-graph-uri"])
@pytest.mark.parametrize("value", ["a b", "relative", "http://exa mple.org/"])
def test_bad_iris_are_400(live: Endpoint, parameter: str, value: str) -> None:
    response = httpx.get(live.url + "/sparql", params={"query": "ASK {}", parameter: value})
    assert response.status_code == 400 and "IRI" in response.text


def test_graph_store_created_round_trip_multipart_direct_and_post(live: Endpoint) -> None:
    graph = "http://example.org/issue14/gsp"
    put = {**AUTH, "Content-Type": "text/turtle"}
    url = live.url + "/rdf-graphs"
    assert httpx.put(url, params={"graph": graph}, content="<urn:a> <urn:b> 1 .", headers=put).status_code == 201
    assert httpx.put(url, params={"graph": graph}, content="<urn:a> <urn:b> 2 .", headers=put).status_code == 204
    # ?default: PUT then GET round-trips (the store's own default graph, not the union)
    turtle = "[] a <http://xmlns.com/foaf/0.1/Person> ; <http://xmlns.com/foaf/0.1/name> 'Alice' ."
    assert httpx.put(url + "?default", content=turtle, headers=put).status_code == 204
    got = httpx.get(url + "?default", headers={"Accept": "text/turtle"})
    assert isomorphic(
        rdflib.Graph().parse(data=got.text, format="turtle"), rdflib.Graph().parse(data=turtle, format="turtle")
    )
    # queries reach the same graph as default-graph-uri=urn:kg:default-graph; their usual default is the union
    own = httpx.get(
        live.url + "/sparql",
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "default-graph-uri": "urn:kg:default-graph"},
        headers={"Accept": "text/turtle"},
    )
    assert isomorphic(
        rdflib.Graph().parse(data=own.text, format="turtle"), rdflib.Graph().parse(data=turtle, format="turtle")
    )
    assert ask(live, f"ASK {{ <{D1}> a <http://example.org/Doc> . ?p <http://xmlns.com/foaf/0.1/name> 'Alice' }}")
    # multipart/form-data POST merges every part
    boundary = "kgboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="a"; filename="a.ttl"\r\n'
        f"Content-Type: text/turtle\r\n\r\n<urn:a> <urn:c> 'x' .\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="b"; filename="b.nt"\r\n'
        f'Content-Type: application/n-triples\r\n\r\n<urn:a> <urn:d> "y" .\r\n--{boundary}--\r\n'
    )
    posted = httpx.post(
        url,
        params={"graph": graph},
        content=body.encode(),
        headers={**AUTH, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert posted.status_code == 204, posted.text
    merged = rdflib.Graph().parse(data=httpx.get(url, params={"graph": graph}).text, format="turtle")
    assert len(merged) == 3
    # direct identification: the URL is the graph's IRI
    direct = f"{url}/people/1.ttl"
    assert httpx.put(direct, content="<urn:p> <urn:q> 'direct' .", headers=put).status_code == 201
    assert ask(live, f"ASK {{ GRAPH <{direct}> {{ <urn:p> <urn:q> 'direct' }} }}")
    assert httpx.delete(direct, headers=AUTH).status_code == 204
    assert httpx.get(direct).status_code == 404
    # POST to the Graph Store itself creates a graph and answers its IRI
    created = httpx.post(url, content="<urn:new> <urn:q> 'new' .", headers=put)
    assert created.status_code == 201 and created.headers["location"].startswith(url + "/")
    assert httpx.get(created.headers["location"], headers={"Accept": "text/turtle"}).status_code == 200


def test_format_parameter_accepts_media_types_and_short_names(live: Endpoint) -> None:
    select = "SELECT ?n WHERE { VALUES ?n { 1 } }"
    tsv = "text/tab-separated-values"
    for value, media in (
        (tsv, tsv),
        ("tsv", tsv),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
    ):
        response = httpx.get(live.url + "/sparql", params={"query": select, "format": value})
        assert response.headers["content-type"].split(";")[0] == media
    construct = "CONSTRUCT { <urn:s> <urn:p> 1 } WHERE {}"
    for value, media in (
        ("application/rdf+xml", "application/rdf+xml"),
        ("rdf+xml", "application/rdf+xml"),
        ("json-ld", "application/ld+json"),
        ("application/ld+json", "application/ld+json"),
        ("nt", "application/n-triples"),
    ):
        for name in ("format", "output"):
            response = httpx.get(live.url + "/sparql", params={"query": construct, name: value})
            assert response.headers["content-type"].split(";")[0] == media, (name, value)
    unknown = httpx.get(live.url + "/sparql", params={"query": select, "format": "text/turtle"})
    assert unknown.status_code == 406


def test_unsatisfiable_accept_is_406_and_xml_types_get_xml(live: Endpoint) -> None:
    select = "SELECT ?n WHERE { VALUES ?n { 1 } }"
    refused = httpx.get(live.url + "/sparql", params={"query": select}, headers={"Accept": "image/png"})
    assert refused.status_code == 406 and "application/sparql-results+json" in refused.text
    wrong_kind = httpx.get(live.url + "/sparql", params={"query": select}, headers={"Accept": "text/turtle"})
    assert wrong_kind.status_code == 406
    for accept in ("application/xml", "text/xml"):
        response = httpx.get(live.url + "/sparql", params={"query": select}, headers={"Accept": accept})
        assert response.headers["content-type"].startswith("application/sparql-results+xml")
        graph = httpx.get(
            live.url + "/sparql",
            params={"query": "CONSTRUCT { <urn:s> <urn:p> 1 } WHERE {}"},
            headers={"Accept": accept},
        )
        assert graph.headers["content-type"].startswith("application/rdf+xml")


@pytest.mark.parametrize(
    "accept, rdf_format",
    [("text/turtle", "turtle"), ("application/rdf+xml", "xml"), ("application/ld+json", "json-ld")],
)
def test_service_description_negotiates_and_describes_what_is_supported(
    live: Endpoint, based: Endpoint, accept: str, rdf_format: str
) -> None:
    for endpoint, writable in ((live, True), (based, False)):
        response = httpx.get(endpoint.url + "/sparql", headers={"Accept": accept})
        assert response.headers["content-type"].split(";")[0] == accept
        graph = rdflib.Graph().parse(data=response.content, format=rdf_format)
        service = rdflib.URIRef(endpoint.url + "/sparql")
        assert (service, SD.endpoint, service) in graph
        assert ((service, SD.supportedLanguage, SD.SPARQL11Update) in graph) is writable
        assert (service, rdflib.RDFS.seeAlso, rdflib.URIRef(endpoint.url + "/rdf-graphs")) in graph
        assert (service, SD.feature, SD.BasicFederatedQuery) not in graph
        assert (service, SD.feature, SD.DereferencesURIs) not in graph
    assert httpx.get(live.url + "/sparql", headers={"Accept": "image/png"}).status_code == 406


def test_cors_preflight_and_headers(live: Endpoint) -> None:
    preflight = httpx.options(
        live.url + "/sparql",
        headers={
            "Origin": "http://127.0.0.1:1",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://127.0.0.1:1"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    query = httpx.get(live.url + "/sparql", params={"query": "ASK {}"}, headers={"Origin": "http://127.0.0.1:1"})
    assert query.headers["access-control-allow-origin"] == "http://127.0.0.1:1"
    other = httpx.get(live.url + "/sparql", params={"query": "ASK {}"}, headers={"Origin": "http://127.0.0.1:2"})
    assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
    update_preflight = httpx.options(
        live.url + "/sparql",
        headers={
            "Origin": "http://127.0.0.1:1",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert update_preflight.status_code == 403


def test_form_post_without_query_is_400(live: Endpoint) -> None:
    response = httpx.post(live.url + "/sparql", data={"default-graph-uri": D1})
    assert response.status_code == 400 and "no query" in response.text
    empty = httpx.post(live.url + "/sparql", content=b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert empty.status_code == 400


def test_read_only_refuses_every_write_with_403(based: Endpoint, store: Path) -> None:
    before = tree_digest(store)
    for method, path, headers, body in (
        ("POST", "/sparql", {"Content-Type": "application/sparql-update"}, "CLEAR ALL"),
        ("POST", "/sparql", {"Content-Type": "application/x-www-form-urlencoded"}, "update=CLEAR+ALL"),
        ("PUT", "/rdf-graphs?default", {"Content-Type": "text/turtle"}, "<urn:a> <urn:b> <urn:c> ."),
        ("POST", "/rdf-graphs", {"Content-Type": "text/turtle"}, "<urn:a> <urn:b> <urn:c> ."),
        ("DELETE", f"/rdf-graphs?graph={D1}", {}, ""),
    ):
        response = httpx.request(method, based.url + path, headers={**headers, **AUTH}, content=body)
        assert response.status_code == 403, (method, path, response.text)
    assert tree_digest(store) == before
    assert json.loads(httpx.get(based.url + "/sparql", params={"query": "ASK {}"}).text)["boolean"] is True
