"""`kg serve` from a real browser: CORS from pages of other loopback origins, YASGUI, the /query page.

Chromium (Debian's, driven by Playwright, network blocked except loopback) opens pages served by a
second HTTP server on another port, so every request to kg is cross-origin as on the web.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_serve import TOKEN, Endpoint

ASK = "ASK { ?s a kg:Summit }"
FETCH = """async ([url, init]) => {
  try {
    const response = await fetch(url, init);
    return {status: response.status, body: await response.text(), type: response.headers.get('content-type')};
  } catch (error) { return {status: 0, body: String(error)}; }
}"""


class StaticSite:
    """A plain HTTP server on 127.0.0.1 serving a folder: a page of another origin than kg's."""

    def __init__(self, folder: Path):
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def origin(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StaticSite, StaticSite]]:
    folder = tmp_path_factory.mktemp("other-origin")
    (folder / "index.html").write_text(
        "<!DOCTYPE html><title>another origin</title><p>client page</p>", encoding="utf-8"
    )
    first, second = StaticSite(folder), StaticSite(folder)
    yield first, second
    first.stop()
    second.stop()


@pytest.fixture(scope="module")
def cors_store(bundled_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("cors") / "store"
    shutil.copytree(bundled_store_path, store, symlinks=True)
    return store


@pytest.fixture(scope="module")
def closed(cors_store: Path) -> Iterator[Endpoint]:
    """An endpoint started without CORS flags (the default)."""
    server = Endpoint(cors_store, "--no-site", "--workers", "1")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def open_endpoint(cors_store: Path, sites: tuple[StaticSite, StaticSite]) -> Iterator[Endpoint]:
    """Updates allowed; site one may query, site two may also update; localhost:<site one> is unlisted."""
    first, second = sites
    server = Endpoint(
        cors_store,
        "--allow-update",
        "--workers",
        "1",
        "--cors-origin",
        first.origin(),
        "--cors-update-origin",
        second.origin(),
        env={"KG_SERVE_TOKEN": TOKEN},
    )
    yield server
    server.stop()


def page_at(browser: Any, origin: str) -> Any:
    page = browser.new_page()
    page.goto(origin + "/index.html")
    return page


def fetch(page: Any, url: str, **init: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(FETCH, [url, init])
    return result


def query_requests(endpoint: Endpoint) -> list[tuple[str, dict[str, Any]]]:
    """The three ways a page sends a query: GET, form POST, application/sparql-query POST."""
    from urllib.parse import quote

    url = endpoint.url + "/sparql"
    accept = {"Accept": "application/sparql-results+json"}
    return [
        (f"{url}?query={quote(ASK)}", {"headers": accept}),
        (
            url,
            {
                "method": "POST",
                "body": f"query={quote(ASK)}",
                "headers": {**accept, "Content-Type": "application/x-www-form-urlencoded"},
            },
        ),
        (url, {"method": "POST", "body": ASK, "headers": {**accept, "Content-Type": "application/sparql-query"}}),
    ]


def test_cors_is_off_by_default(browser: Any, closed: Endpoint, sites: tuple[StaticSite, StaticSite]) -> None:
    page = page_at(browser, sites[0].origin())
    for url, init in query_requests(closed):
        assert fetch(page, url, **init)["status"] == 0  # the browser blocks it: no Access-Control-Allow-Origin
    refused = httpx.get(closed.url + "/sparql", params={"query": ASK}, headers={"Origin": sites[0].origin()})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    preflight = httpx.options(
        closed.url + "/sparql", headers={"Origin": sites[0].origin(), "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 403
    page.close()


def test_listed_origin_queries_every_way(
    browser: Any, open_endpoint: Endpoint, sites: tuple[StaticSite, StaticSite]
) -> None:
    page = page_at(browser, sites[0].origin())
    for url, init in query_requests(open_endpoint):
        answer = fetch(page, url, **init)
        assert answer["status"] == 200, answer
        assert '"boolean":true' in answer["body"].replace(" ", "")
    graph = fetch(page, open_endpoint.url + "/rdf-graphs?default", headers={"Accept": "text/turtle"})
    assert graph["status"] == 200
    page.close()


def test_unlisted_origin_is_refused(
    browser: Any, open_endpoint: Endpoint, sites: tuple[StaticSite, StaticSite]
) -> None:
    page = page_at(browser, sites[0].origin("localhost"))  # same port, other origin: not listed
    for url, init in query_requests(open_endpoint):
        assert fetch(page, url, **init)["status"] == 0
    page.close()


def test_updates_only_from_update_origins(
    browser: Any, open_endpoint: Endpoint, sites: tuple[StaticSite, StaticSite]
) -> None:
    graph = "http://example.org/cors-test"
    update = {
        "method": "POST",
        "body": f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:a> <urn:b> <urn:c> }} }}",
        "headers": {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
    }
    put = {
        "method": "PUT",
        "body": "<urn:x> <urn:y> <urn:z> .",
        "headers": {"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"},
    }
    query_only = page_at(browser, sites[0].origin())
    assert fetch(query_only, open_endpoint.url + "/sparql", **update)["status"] == 0
    assert fetch(query_only, f"{open_endpoint.url}/rdf-graphs?graph={graph}-put", **put)["status"] == 0
    form = fetch(
        query_only,
        open_endpoint.url + "/sparql",
        method="POST",
        body=f"update=CLEAR%20GRAPH%20%3C{graph}%3E",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form["status"] == 403  # a simple (no preflight) form update from a query-only origin
    ask = {"query": f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"}
    assert httpx.get(open_endpoint.url + "/sparql", params=ask).json()["boolean"] is False
    writer = page_at(browser, sites[1].origin())
    assert fetch(writer, open_endpoint.url + "/sparql", **update)["status"] == 204
    assert httpx.get(open_endpoint.url + "/sparql", params=ask).json()["boolean"] is True
    assert fetch(writer, f"{open_endpoint.url}/rdf-graphs?graph={graph}-put", **put)["status"] == 201
    query_only.close()
    writer.close()


def test_star_lets_any_origin_query_but_not_update(cors_store: Path) -> None:
    server = Endpoint(cors_store, "--no-site", "--workers", "1", "--cors-origin", "*")
    try:
        answer = httpx.get(
            server.url + "/sparql",
            params={"query": ASK},
            headers={"Origin": "http://127.0.0.1:1", "Accept": "application/sparql-results+json"},
        )
        assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
        preflight = httpx.options(
            server.url + "/sparql",
            headers={
                "Origin": "http://127.0.0.1:1",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, authorization",
            },
        )
        assert preflight.status_code == 403
    finally:
        server.stop()


def test_yasgui_queries_kg_from_another_origin(
    browser: Any, open_endpoint: Endpoint, sites: tuple[StaticSite, StaticSite], tmp_path: Path
) -> None:
    """YASGUI's bundled assets (kg/static/yasgui) on a page of another origin, pointed at kg."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(open_endpoint.url + "/yasgui")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=30_000)
    tab = "window.kgYasgui.getTab()"
    page.evaluate(f"() => {{ {tab}.setQuery('SELECT ?summit WHERE {{ ?summit a kg:Summit }} ORDER BY ?summit'); }}")
    page.evaluate(f"() => {{ {tab}.query(); }}")
    page.wait_for_selector(".yasr table tbody tr", timeout=30_000)
    rows = page.locator(".yasr table tbody tr").count()
    assert rows >= 2
    shown = page.locator(".yasr").inner_text()
    assert "summit-2023-03-16" in shown and f"{rows} results in" in shown
    assert errors == []
    page.close()
    # the same YASGUI served from another origin, querying kg through CORS
    other = page_at(browser, sites[0].origin())
    other.add_script_tag(url=open_endpoint.url + "/static/yasgui/yasgui.min.js")
    other.evaluate(
        """endpoint => {
      const div = document.createElement('div'); div.id = 'yasgui'; document.body.appendChild(div);
      window.kgYasgui = new Yasgui(div, {requestConfig: {endpoint, method: 'POST'}, persistenceId: null});
    }""",
        open_endpoint.url + "/sparql",
    )
    other.evaluate(
        """query => { window.kgYasgui.getTab().setQuery(query); }""",
        "PREFIX kg: <https://w3id.org/kg-diplomacy/ontology#> SELECT ?summit WHERE { ?summit a kg:Summit }",
    )
    other.evaluate(f"() => {{ {tab}.query(); }}")
    other.wait_for_selector(".yasr table tbody tr", timeout=30_000)
    assert "summit-2023-03-16" in other.locator(".yasr").inner_text()
    other.close()


def test_query_page_shows_prefixed_links_literals_count_and_time(browser: Any, open_endpoint: Endpoint) -> None:
    page = browser.new_page()
    page.goto(open_endpoint.url + "/query")
    page.wait_for_timeout(500)  # the entity index loads
    page.fill(
        "#query",
        "SELECT ?summit ?label ?date WHERE { ?summit a kg:Summit ; rdfs:label ?label ; "
        "kg:date ?date FILTER(LANG(?label) = 'en') } ORDER BY ?date",
    )
    page.click("#run")
    page.wait_for_selector("#results table")
    status = page.inner_text("#status")
    rows = page.locator("#results table tr").count() - 1
    assert status.startswith(f"{rows} rows in ") and status.endswith(" ms") and rows >= 2
    link = page.locator("#results a.iri").first
    assert link.inner_text().startswith("kgr:summit-")
    assert link.get_attribute("href", timeout=1000).startswith("/site/entities/")
    assert link.get_attribute("title", timeout=1000).startswith("https://w3id.org/kg-diplomacy/resource/")
    assert page.locator("#results .literal").count() >= rows * 2
    datatypes = set(page.locator("#results .datatype").all_inner_texts())
    assert datatypes and datatypes <= {"^^xsd:date", "^^xsd:gYearMonth", "^^xsd:gYear"}
    assert page.locator("#results .lang").first.inner_text() == "@en"
    page.click("#results a.iri >> nth=0")
    page.wait_for_load_state()
    assert "/site/entities/summit-" in page.url
    page.close()
