"""Issue 15: exports Gephi keeps, readable pages, a demo that never touches your store, ontology
docs, class queries that follow the hierarchy, output for people and scripts."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import igraph
import networkx as nx
import pytest
from click.testing import CliRunner

from kg.analysis.project import entity_graph
from kg.cli import cli
from kg.pages.render import network, write_page
from kg.storage.embedded import Store
from tests.conftest import tree_digest
from tests.test_browser import Page

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
GEXF = "{http://gexf.net/1.3}"
# GEXF 1.3 attribute types (the attrtype-type enumeration of the GEXF 1.3 schema)
GEXF_TYPES = {
    "integer",
    "long",
    "double",
    "float",
    "boolean",
    "liststring",
    "string",
    "anyURI",
    "listboolean",
    "listinteger",
    "listlong",
    "listfloat",
    "listdouble",
    "listbyte",
    "listshort",
    "listbigdecimal",
    "listbiginteger",
    "listchar",
    "bigdecimal",
    "biginteger",
    "byte",
    "short",
    "char",
    "date",
}


def kg(runner: CliRunner, store: Path, *args: str) -> Any:
    return runner.invoke(cli, ["--store", str(store), *args])


def export(runner: CliRunner, store: Path, tmp_path: Path, fmt: str, *extra: str) -> Path:
    out = tmp_path / f"export.{fmt}"
    result = kg(runner, store, "export", "--format", fmt, "-o", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out


# 1. Exports ------------------------------------------------------------------------------------


def test_graphml_keeps_every_link_with_a_unique_id(
    runner: CliRunner, bundled_store_path: Path, bundled_store: Store, tmp_path: Path
) -> None:
    expected = entity_graph(bundled_store)
    path = export(runner, bundled_store_path, tmp_path, "graphml")
    root = ET.parse(path).getroot()
    # What the GraphML schema requires of the structure: declared keys, unique node and edge ids,
    # edges between declared nodes, data only for declared keys of the right domain.
    keys = {k.get("id"): (k.get("for"), k.get("attr.type")) for k in root.iter(f"{GRAPHML}key")}
    assert all(kind in {"boolean", "int", "long", "float", "double", "string"} for _, kind in keys.values())
    nodes = [n.get("id") for n in root.iter(f"{GRAPHML}node")]
    edges = list(root.iter(f"{GRAPHML}edge"))
    assert len(nodes) == len(set(nodes)) == expected.number_of_nodes()
    assert len(edges) == len({e.get("id") for e in edges}) == expected.number_of_edges() > 200
    assert all(e.get("source") in set(nodes) and e.get("target") in set(nodes) for e in edges)
    for element in root.iter(f"{GRAPHML}data"):
        assert element.get("key") in keys
    assert keys["weight"] == ("edge", "double") and keys["date_precision"][1] == "string"
    # Read back by networkx and by igraph (libxml2): nothing lost.
    back = nx.read_graphml(path, force_multigraph=True)
    assert back.number_of_edges() == expected.number_of_edges()
    assert igraph.Graph.Read_GraphML(str(path)).ecount() == expected.number_of_edges()
    ruling = back.nodes["https://w3id.org/kg-diplomacy/resource/ruling-2018-forced-labor"]
    assert ruling["class"] == "Ruling" and ruling["date"] == "2018-10" and ruling["date_precision"] == "month"
    weights = [d["weight"] for *_, d in back.edges(data=True)]
    assert min(weights) >= 1.0 and max(weights) > 1.0  # a link supported by several quotes weighs more


def test_gexf_is_static_and_complete_and_dynamic_on_request(
    runner: CliRunner, bundled_store_path: Path, bundled_store: Store, tmp_path: Path
) -> None:
    expected = entity_graph(bundled_store)
    static = export(runner, bundled_store_path, tmp_path, "gexf")
    root = ET.parse(static).getroot()
    assert root.tag == f"{GEXF}gexf" and root.get("version") == "1.3"
    graph = root.find(f"{GEXF}graph")
    assert graph is not None and graph.get("mode") == "static" and root.find(f".//{GEXF}spell") is None
    declared = {a.get("id"): a.get("type") for a in root.iter(f"{GEXF}attribute")}
    assert set(declared.values()) <= GEXF_TYPES
    assert all(v.get("for") in declared for v in root.iter(f"{GEXF}attvalue"))
    edges = list(root.iter(f"{GEXF}edge"))
    assert len(edges) == len({e.get("id") for e in edges}) == expected.number_of_edges()
    back = nx.read_gexf(static)
    assert back.graph["mode"] == "static" and back.number_of_edges() == expected.number_of_edges()
    assert not any("end" in d or "start" in d for _, d in back.nodes(data=True))
    summit = back.nodes["https://w3id.org/kg-diplomacy/resource/summit-2023-03-16"]
    assert summit["class"] == "Summit" and summit["date_precision"] == "day"

    dynamic = export(runner, bundled_store_path, tmp_path, "gexf", "--dynamic")
    back = nx.read_gexf(dynamic)
    assert back.graph["mode"] == "dynamic"
    ruling = back.nodes["https://w3id.org/kg-diplomacy/resource/ruling-2018-forced-labor"]
    assert ruling["spells"] == [("2018-10-01", "2018-10-31")]  # a month spans its days
    assert kg(runner, bundled_store_path, "export", "--format", "graphml", "--dynamic").exit_code == 2


def test_csv_node_and_edge_lists(
    runner: CliRunner, bundled_store_path: Path, bundled_store: Store, tmp_path: Path
) -> None:
    expected = entity_graph(bundled_store)
    nodes = list(
        csv.DictReader(
            io.StringIO(export(runner, bundled_store_path, tmp_path, "nodes-csv").read_text(encoding="utf-8"))
        )
    )
    edges = list(
        csv.DictReader(
            io.StringIO(export(runner, bundled_store_path, tmp_path, "edges-csv").read_text(encoding="utf-8"))
        )
    )
    assert len(nodes) == expected.number_of_nodes() and len(edges) == expected.number_of_edges()
    ids = {n["id"] for n in nodes}
    assert all(e["source"] in ids and e["target"] in ids for e in edges)
    assert len({e["id"] for e in edges}) == len(edges)
    assert {"Kishida Fumio", "Yoon Suk-yeol"} <= {n["label"] for n in nodes}


# 2. Pages --------------------------------------------------------------------------------------

OVERLAPS = """() => {
  const boxes = [];
  for (const id of Object.keys(network.body.nodes)) {
    const node = network.body.nodes[id];
    if (node.options.hidden || !node.options.label || !node.labelModule.visible()) continue;
    const s = node.labelModule.size;
    const a = network.canvasToDOM({x: s.left, y: s.top});
    const b = network.canvasToDOM({x: s.left + s.width, y: s.top + s.height});
    const box = document.getElementById("graph").getBoundingClientRect();
    if (b.x < 0 || b.y < 0 || a.x > box.width || a.y > box.height) continue;
    boxes.push([a.x, a.y, b.x, b.y]);
  }
  let overlapping = 0;
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const p = boxes[i], q = boxes[j];
    if (p[0] < q[2] && q[0] < p[2] && p[1] < q[3] && q[1] < p[3]) overlapping++;
  }
  return {drawn: boxes.length, overlapping: overlapping};
}"""


@pytest.fixture
def page(browser: Any) -> Iterator[Page]:
    opened = Page(browser)
    yield opened
    opened.page.close()


def whole_graph_page(bundled_store: Store, tmp_path: Path) -> Path:
    out = tmp_path / "whole.html"
    graph = entity_graph(bundled_store)
    sizes = {n: float(graph.degree(n)) for n in graph}
    write_page(network(graph, sizes=sizes, size_by="degree"), out, title="whole graph")
    return out


def test_tooltips_wrap_at_a_readable_width(page: Page, bundled_store: Store, tmp_path: Path) -> None:
    page.open(whole_graph_page(bundled_store, tmp_path))
    text = page.hover_node("https://w3id.org/kg-diplomacy/resource/claim-doubt-plan-resolves-issue")
    assert "The problem is that many in Japan question" in text
    width, scroll_width, height = page.page.evaluate(
        "() => { const t = document.querySelector('div.vis-tooltip');"
        " return [t.getBoundingClientRect().width, t.scrollWidth, t.getBoundingClientRect().height]; }"
    )
    assert width <= 440 and scroll_width <= 440  # wrapped, not one line of 4,000 px clipped
    assert height > 60  # the long quote runs over several lines


def test_labels_never_pile_up(page: Page, bundled_store: Store, tmp_path: Path) -> None:
    drawn = page.open(whole_graph_page(bundled_store, tmp_path))
    overview = drawn.evaluate(OVERLAPS)
    assert overview["drawn"] >= 2 and overview["overlapping"] == 0  # the hubs are named, nothing overlaps
    drawn.evaluate("network.moveTo({scale: 1.2}); window.kgGraph.declutter()")
    closer = drawn.evaluate(OVERLAPS)
    assert closer["drawn"] > overview["drawn"] and closer["overlapping"] == 0
    # a hovered node shows its label even where it was hidden
    hidden = drawn.evaluate(
        "Object.keys(network.body.nodes).find(id => !network.body.nodes[id].options.label"
        " && network.getPositions([id])[id] && (p => p.x > 0 && p.y > 0 && p.x < 1100 && p.y < 700)"
        "(network.canvasToDOM(network.getPositions([id])[id])))"
    )
    assert hidden, "at this zoom some labels must be hidden"
    page.hover_node(hidden)
    assert drawn.evaluate("(id) => network.body.nodes[id].options.label", hidden)


def test_legend_explains_colours_shapes_and_sizes(page: Page, bundled_store: Store, tmp_path: Path) -> None:
    drawn = page.open(whole_graph_page(bundled_store, tmp_path))
    entries = drawn.evaluate("Array.from(document.querySelectorAll('#legend label')).map(l => l.textContent)")
    assert {"Actor", "Event", "Ruling", "Claim"} <= set(entries)
    shapes = drawn.evaluate("Array.from(document.querySelectorAll('#legend svg :first-child')).map(e => e.tagName)")
    assert len(shapes) == len(entries) and "polygon" in shapes and "circle" in shapes
    note = drawn.evaluate("document.querySelector('#legend .note').textContent")
    assert "size: degree" in note and "dashed" in note
    colours = drawn.evaluate(
        "network.body.nodes['https://w3id.org/kg-diplomacy/resource/japan'].options.color.background"
    )
    assert colours == "#1f77b4"  # the class colour survives label updates


# 3. The demo's own store -----------------------------------------------------------------------


def test_demo_never_touches_the_users_store(
    runner: CliRunner, mini_store_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree_digest(mini_store_path)
    monkeypatch.setenv("KG_STORE", str(mini_store_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    result = runner.invoke(cli, ["demo", "-o", str(tmp_path / "demo.html")])
    assert result.exit_code == 0, result.output
    demo_store = tmp_path / "data-home" / "kg" / "demo"
    assert f"kg demo uses its own store, {demo_store}" in result.output
    assert tree_digest(mini_store_path) == before
    assert not (tmp_path / "data-home" / "kg" / "store").exists()  # nor the default store
    assert (demo_store / "live").exists() or any(demo_store.iterdir())


def test_make_demo_installs_only_the_runtime() -> None:
    makefile = (Path(__file__).parents[2] / "Makefile").read_text(encoding="utf-8")
    demo = re.search(r"^demo: (.*)$", makefile, re.M)
    runtime = re.search(r"^\$\(VENV\)/\.installed: .*\n((?:\t.*\n)+)", makefile, re.M)
    assert demo and demo.group(1).split() == ["setup"]
    assert runtime and "[test]" not in runtime.group(1) and "pip install --quiet -e ." in runtime.group(1)


# 4. Class queries follow the hierarchy ---------------------------------------------------------


def test_class_queries_find_every_subclass_instance_after_a_plain_build(
    mini_store: Store, bundled_store: Store
) -> None:
    for store in (bundled_store, mini_store):
        plain = {r["e"].value for r in store.query("SELECT DISTINCT ?e WHERE { ?e a kg:Event }")}
        walked = {r["e"].value for r in store.query("SELECT DISTINCT ?e WHERE { ?e a/rdfs:subClassOf* kg:Event }")}
        assert plain == walked and plain
    hosts = list(
        bundled_store.query("SELECT ?p WHERE { kgr:summit-2023-03-16 kg:participant ?p }")
    )  # kg:host ⊑ kg:participant
    assert len(hosts) >= 2
    # derived statements are marked as such and never taken for curated facts
    assert bundled_store.query("ASK { GRAPH kgg:provenance { kgg:inferred a kg:InferredStatements } }")


# 5. Ontology documentation ---------------------------------------------------------------------


def test_every_ontology_term_is_documented() -> None:
    import rdflib
    from rdflib.namespace import SKOS

    from kg.ontology_docs import ontology_html, ontology_terms
    from kg.resources import ontology_dir

    html = ontology_html()
    shipped = (Path(__file__).parents[2] / "docs" / "ontology.html").read_text(encoding="utf-8")
    ontology = rdflib.Graph().parse(ontology_dir() / "kg.ttl")
    terms = ontology_terms()
    assert len(terms) > 100
    for page in (html, shipped):
        for term in terms:
            assert f"<code>{term}</code>" in page, f"{term} is not documented (run `make docs`)"
            for definition in ontology.objects(rdflib.URIRef(term), SKOS.definition):
                assert str(definition).split()[0] in page
    assert "schema.org" in html and "domain" in html.lower() and "range" in html.lower()
    assert "<script src=" not in html  # works offline


def test_site_has_the_ontology_page(bundled_store: Store) -> None:
    from kg.pages.site import site_pages

    pages = site_pages(bundled_store)
    assert "<code>https://w3id.org/kg-diplomacy/ontology#Summit</code>" in pages["ontology/index.html"]
    assert 'href="ontology/index.html"' in pages["index.html"]


# 6. Output for people and scripts --------------------------------------------------------------


def test_json_has_iris_nulls_and_arrays(runner: CliRunner, bundled_store_path: Path) -> None:
    timeline = json.loads(kg(runner, bundled_store_path, "timeline", "--format", "json").stdout)
    treaty = next(r for r in timeline if r["label"].startswith("Treaty on Basic Relations"))
    assert treaty["iri"] == "https://w3id.org/kg-diplomacy/resource/treaty-on-basic-relations-1965"
    assert treaty["actors"] == ["Japan", "Republic of Korea"] and treaty["status"] is None
    neighbours = json.loads(kg(runner, bundled_store_path, "neighbors", "Kishida", "--format", "json").stdout)
    assert neighbours[0]["iri"].startswith("https://w3id.org/kg-diplomacy/resource/") and neighbours[0]["via"] is None
    analysis = json.loads(kg(runner, bundled_store_path, "analyze", "--format", "json", "--top", "3").stdout)
    assert all(row["iri"].startswith("https://") for row in analysis)
    csv_text = kg(runner, bundled_store_path, "timeline", "--format", "csv").stdout
    assert "Japan; Republic of Korea" in csv_text


def test_validate_and_build_speak_json(runner: CliRunner, tmp_path: Path) -> None:
    from tests.conftest import BROKEN, MINI

    ok = kg(runner, tmp_path / "s", "build", "--only", str(MINI), "--format", "json")
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["built"] is True and report["conforms"] is True and report["quads"] > 0
    checked = kg(runner, tmp_path / "s", "validate", "--format", "json")
    assert checked.exit_code == 0 and json.loads(checked.stdout) == {"conforms": True, "violations": []}
    broken = sorted(BROKEN.glob("*.trig"))[0]
    bad = kg(runner, tmp_path / "s", "validate", "--only", str(broken), "--format", "json")
    assert bad.exit_code == 1
    payload = json.loads(bad.stdout)
    assert payload["conforms"] is False and payload["violations"][0]["focus"].startswith("http")


def test_tables_fit_the_terminal_and_never_cut_piped_output() -> None:
    from kg.output import format_table, terminal_width

    rows = [["2023-03-16", "Summit", "Japan-ROK summit of 16 March 2023 " * 4, "Japan; Republic of Korea"]]
    fitted = format_table(["date", "kind", "label", "actors"], rows, width=80)
    assert all(len(line) <= 80 for line in fitted.splitlines()) and "…" in fitted
    assert "…" not in format_table(["date", "kind", "label", "actors"], rows)
    assert terminal_width(io.StringIO()) is None


# 7. The small ones -----------------------------------------------------------------------------


def test_inverse_relations_read_naturally(bundled_store: Store) -> None:
    from kg.pages.site import site_pages

    page = site_pages(bundled_store)["entities/japan.html"]
    assert "(inverse)" not in page
    assert "participated in" in page or "←" in page


def test_readme_documents_shell_completion() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "_KG_COMPLETE=bash_source kg" in readme
