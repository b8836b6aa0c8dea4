"""Pages in a real browser: Debian's Chromium driven by Playwright, with the network blocked.

The pages are opened with the Content-Security-Policy bypassed, so the escaping itself is what
keeps the payloads inert, not the CSP.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from kg.analysis.project import entity_graph
from kg.build import build
from kg.pages.render import network, write_page
from kg.pages.site import site_pages
from kg.storage import open_store
from kg.storage.embedded import Store
from tests.conftest import CHROMIUM, DATA

PAYLOAD_TEXTS = [
    "<img src=x onerror=\"window.__xss=1;document.title='pwned'\">",
    '</script><script>window.__xss=2;document.title="pwned"</script>',
    "javascript:window.__xss=3",
]


class Page:
    """A browser page that records console errors and every request it makes."""

    def __init__(self, browser: Any):
        self.page = browser.new_page(viewport={"width": 1200, "height": 800}, bypass_csp=True)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def open(self, path: Path) -> Any:
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.kgGraph && window.kgGraph.ready", timeout=60_000)
        return self.page

    def external_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(("file:", "data:", "blob:"))]

    def hover_node(self, node_id: str) -> str:
        point = self.page.evaluate(
            "(id) => { const p = network.getPositions([id])[id]; return network.canvasToDOM(p); }", node_id
        )
        box = self.page.locator("#graph").bounding_box()
        self.page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
        tooltip = self.page.locator("div.vis-tooltip")
        tooltip.wait_for(state="visible", timeout=10_000)
        return str(tooltip.text_content())


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    opened = Page(browser)
    yield opened
    opened.page.close()


def render_to(tmp_path: Path, graph: Any, name: str = "page.html") -> Path:
    out = tmp_path / name
    write_page(network(graph), out, title="test page")
    return out


def test_page_draws_the_graph_offline(page: Page, bundled_store: Store, tmp_path: Path) -> None:
    graph = entity_graph(bundled_store)
    drawn = page.open(render_to(tmp_path, graph))
    counts = drawn.evaluate("[network.body.data.nodes.length, network.body.data.edges.length]")
    assert counts == [graph.number_of_nodes(), graph.number_of_edges()]
    assert drawn.evaluate("network.physics.physicsEnabled") is False  # settled, then stopped
    assert page.errors == [] and page.external_requests() == []
    if os.environ.get("KG_SCREENSHOT"):
        drawn.screenshot(path=os.environ["KG_SCREENSHOT"])


def test_hover_shows_the_evidence_quote(page: Page, bundled_store: Store, tmp_path: Path) -> None:
    graph = entity_graph(bundled_store)
    ruling = "https://w3id.org/kg-diplomacy/resource/ruling-2018-forced-labor"
    page.open(render_to(tmp_path, graph))
    text = page.hover_node(ruling)
    assert "Supreme Court forced-labour ruling of October 2018" in text
    assert "“The acrimony came to a head in October 2018" in text
    assert "date: 2018-10" in text


def test_search_focuses_a_node(page: Page, bundled_store: Store, tmp_path: Path) -> None:
    drawn = page.open(render_to(tmp_path, entity_graph(bundled_store)))
    drawn.fill("#search", "Yoon Suk-yeol")
    drawn.dispatch_event("#search", "change")
    assert drawn.evaluate("network.getSelectedNodes()") == ["https://w3id.org/kg-diplomacy/resource/yoon-suk-yeol"]


def test_site_links_open_entity_pages(page: Page, bundled_store: Store, tmp_path: Path) -> None:
    for relative, text in site_pages(bundled_store).items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    index = page.open(tmp_path / "index.html")
    index.click("ul.entities a[href='entities/yoon-suk-yeol.html']")
    index.wait_for_function("window.kgGraph && window.kgGraph.ready", timeout=60_000)
    assert index.url.endswith("/entities/yoon-suk-yeol.html")
    assert index.locator("h1").text_content() == "Yoon Suk-yeol"
    index.click("text=Republic of Korea >> nth=0")
    index.wait_for_function("window.kgGraph && window.kgGraph.ready", timeout=60_000)
    assert index.url.endswith("/entities/republic-of-korea.html")
    assert page.errors == [] and page.external_requests() == []


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("hostile") / "store"
    build(path, [DATA / "xss.trig"], only=True)
    return open_store(path)


def assert_inert(page: Page) -> None:
    assert page.page.evaluate("window.__xss") is None
    assert page.page.title() != "pwned"
    assert page.external_requests() == []


def test_payloads_in_a_rendered_page_stay_text(page: Page, hostile_store: Store, tmp_path: Path) -> None:
    graph = entity_graph(hostile_store)
    drawn = page.open(render_to(tmp_path, graph))
    for node in graph.nodes:
        page.hover_node(node)
        drawn.mouse.move(1, 1)
    assert_inert(page)
    options = drawn.evaluate("Array.from(document.querySelectorAll('#entity-options option')).map(o => o.value)")
    for payload in PAYLOAD_TEXTS:
        assert payload in options
    text = page.hover_node("https://example.org/xss/person")
    assert PAYLOAD_TEXTS[0] in text and 'href="javascript:' in page.hover_node("https://example.org/xss/summit")
    assert drawn.locator("div.vis-tooltip a, div.vis-tooltip img, div.vis-tooltip b").count() == 0
    assert_inert(page)


def test_payloads_in_the_site_stay_text(page: Page, hostile_store: Store, tmp_path: Path) -> None:
    for relative, text in site_pages(hostile_store).items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    index = page.open(tmp_path / "index.html")
    assert_inert(page)
    links = index.locator("ul.entities a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert all(h and h.startswith("entities/") and h.endswith(".html") for h in hrefs)
    for href in hrefs:
        entity = page.open(tmp_path / str(href))
        assert_inert(page)
        assert entity.locator("img, a[href^='javascript'], [onerror], [onclick], [onmouseover]").count() == 0
        scripts = entity.evaluate("Array.from(document.scripts).map(s => s.type || s.getAttribute('src') || 'inline')")
        assert scripts == ["application/json", "../assets/vis-network.min.js", "inline"]
    person = page.open(tmp_path / "entities" / "person.html")
    assert person.locator("h1").text_content() == PAYLOAD_TEXTS[0]
    assert PAYLOAD_TEXTS[2] in person.locator(".extra").text_content()
    claim = page.open(tmp_path / "entities" / "claim.html")
    assert 'see <a href="javascript:window.__xss=4"' in claim.locator(".extra").text_content()
    assert page.errors == []
    assert_inert(page)


def test_large_graph_uses_a_precomputed_layout(page: Page, tmp_path: Path) -> None:
    graph = nx.MultiDiGraph()
    source = nx.barabasi_albert_graph(1500, 2, seed=1)
    for node in source:
        graph.add_node(f"n{node}", label=f"node {node}", kind="Person", top="Actor", quotes=[])
    for a, b in source.edges():
        graph.add_edge(f"n{a}", f"n{b}", label="linked", quote="")
    drawn = page.open(render_to(tmp_path, graph))
    assert drawn.evaluate("network.body.data.nodes.length") == 1500
    assert drawn.evaluate("network.physics.physicsEnabled") is False
    assert drawn.evaluate("network.body.data.nodes.get('n0').physics") is False
    assert page.errors == []


def test_chromium_is_debian_package() -> None:
    assert shutil.which("chromium") == CHROMIUM
