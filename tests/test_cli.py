"""Every command through click's CliRunner, on a store built from tests/data/mini.trig."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import networkx as nx
import pytest
import rdflib
from click.testing import CliRunner, Result

from kg.cli import cli
from tests.conftest import BROKEN, MINI


def run(runner: CliRunner, store: Path, *args: str) -> Result:
    result = runner.invoke(cli, ["--store", str(store), *args])
    return result


def test_build_reports_counts(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, tmp_path / "s", "build", "--only", str(MINI))
    assert result.exit_code == 0, result.output
    assert "2 evidence records" in result.output and "from 1 files" in result.output


def test_build_refuses_invalid_data_with_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, tmp_path / "s", "build", "--only", str(MINI), str(BROKEN / "claim-without-content.trig"))
    assert result.exit_code == 1
    assert "A claim needs its content" in result.output and "build refused" in result.output


def test_build_only_needs_files(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, tmp_path / "s", "build", "--only")
    assert result.exit_code == 2 and "--only needs" in result.output


def test_build_folder_input(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "mini.trig").write_bytes(MINI.read_bytes())
    result = run(runner, tmp_path / "s", "build", "--only", str(folder))
    assert result.exit_code == 0, result.output


def test_validate_store_and_files(runner: CliRunner, mini_store_path: Path) -> None:
    ok = run(runner, mini_store_path, "validate")
    assert ok.exit_code == 0 and "Conforms" in ok.output
    bad = run(runner, mini_store_path, "validate", "--only", str(MINI), str(BROKEN / "agreement-one-party.trig"))
    assert bad.exit_code == 1
    lines = [line for line in bad.output.splitlines() if line.startswith("Violation")]
    assert lines == [
        "Violation: A treaty with one party <https://w3id.org/kg-diplomacy/resource/pact-x> "
        "kg:party | kg:signatory: An agreement needs at least two parties or signatories (kg:party, kg:signatory)"
    ]


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "xml"])
def test_query_formats(runner: CliRunner, mini_store_path: Path, fmt: str) -> None:
    query = "SELECT ?person ?label WHERE { ?person a kg:Person ; rdfs:label ?label } ORDER BY ?label"
    result = run(runner, mini_store_path, "query", query, "--format", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "json":
        data = json.loads(result.output)
        assert data["head"]["vars"] == ["person", "label"]
        assert [b["label"]["value"] for b in data["results"]["bindings"]] == ["Kishida Fumio", "Yoon Suk-yeol"]
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(result.output)))
        assert rows[0] == ["person", "label"] and rows[1][1] == "Kishida Fumio"
    elif fmt == "table":
        assert "kgr:kishida-fumio" in result.output and "(2 rows)" in result.output
    elif fmt == "tsv":
        assert result.output.splitlines()[0] == "?person\t?label"
    else:
        assert "<sparql" in result.output and "Yoon Suk-yeol" in result.output


def test_query_param_is_bound_as_a_typed_term(runner: CliRunner, mini_store_path: Path) -> None:
    query = "SELECT ?event ?day WHERE { ?event kg:date ?day }"
    result = run(runner, mini_store_path, "query", query, "--param", "day=2023-03-16", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "kg-diplomacy/resource/press-conference-2023-03-16" in result.output
    injected = run(runner, mini_store_path, "query", query, "--param", 'day=x" } ?a ?b ?c { "', "--format", "csv")
    assert injected.exit_code == 0 and injected.output.strip() == "event,day"


def test_query_ask_and_construct(runner: CliRunner, mini_store_path: Path) -> None:
    ask = run(runner, mini_store_path, "query", "ASK { kgr:ruling-2018-forced-labor kg:court ?c }")
    assert ask.output.strip() == "true"
    construct = run(runner, mini_store_path, "query", "CONSTRUCT WHERE { ?s kg:court ?c }", "--format", "turtle")
    graph = rdflib.Graph().parse(data=construct.output, format="turtle")
    assert len(graph) == 1
    wrong = run(runner, mini_store_path, "query", "SELECT * { ?s ?p ?o }", "--format", "turtle")
    assert wrong.exit_code == 2 and "SELECT query gives rows" in wrong.output


def test_query_from_file_and_list(runner: CliRunner, mini_store_path: Path, tmp_path: Path) -> None:
    rq = tmp_path / "q.rq"
    rq.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s a kg:Ruling }", encoding="utf-8")
    result = run(runner, mini_store_path, "query", "-f", str(rq), "--format", "csv")
    assert result.output.split() == ["n", "1"]
    listing = run(runner, mini_store_path, "query", "--list")
    assert listing.exit_code == 0 and listing.output.startswith("name")


def test_describe_in_any_language(runner: CliRunner, mini_store_path: Path) -> None:
    for name in ("Yoon", "yoon suk-yeol", "윤석열", "kgr:yoon-suk-yeol"):
        result = run(runner, mini_store_path, "describe", name)
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Yoon Suk-yeol")
        assert "“At a March 16 press conference" in result.output
    data = json.loads(run(runner, mini_store_path, "describe", "Supreme Court of Korea", "--format", "json").output)
    assert data["classes"] == ["kg:Court"]
    assert data["facts"][0]["predicate_label"] == "court" and data["facts"][0]["direction"] == "in"


def test_stats(runner: CliRunner, mini_store_path: Path) -> None:
    result = run(runner, mini_store_path, "stats")
    assert result.exit_code == 0 and re.search(r"^kg:Person +2$", result.output, re.M)
    assert "Every entity has evidence." in result.output
    data = json.loads(run(runner, mini_store_path, "stats", "--format", "json").output)
    assert data["evidence_records"] == 2 and data["without_evidence"] == []


@pytest.mark.parametrize(
    "fmt, rdflib_format",
    [
        ("turtle", "turtle"),
        ("ntriples", "nt"),
        ("nquads", "nquads"),
        ("trig", "trig"),
        ("jsonld", "json-ld"),
    ],
)
def test_export_rdf(runner: CliRunner, mini_store_path: Path, tmp_path: Path, fmt: str, rdflib_format: str) -> None:
    out = tmp_path / f"export.{fmt}"
    result = run(runner, mini_store_path, "export", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    dataset = rdflib.Dataset()
    dataset.parse(out, format=rdflib_format)
    assert len(dataset) + sum(len(g) for g in dataset.graphs()) > 800
    if fmt in ("nquads", "trig"):
        assert rdflib.URIRef("https://example.org/test-evidence/q1") in {g.identifier for g in dataset.graphs()}


@pytest.mark.parametrize("fmt, reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_export_for_gephi(runner: CliRunner, mini_store_path: Path, tmp_path: Path, fmt: str, reader: object) -> None:
    out = tmp_path / f"g.{fmt}"
    assert run(runner, mini_store_path, "export", "--format", fmt, "-o", str(out)).exit_code == 0
    graph = reader(out)  # type: ignore[operator]
    labels = {d["label"] for _, d in graph.nodes(data=True)}
    assert {"Kishida Fumio", "Yoon Suk-yeol", "Supreme Court of Korea"} <= labels
    assert graph.number_of_edges() == 3  # two speakers, one court


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and "kg, version" in result.output


def test_demo_builds_and_answers_the_questions(runner: CliRunner, tmp_path: Path) -> None:
    page = tmp_path / "demo.html"
    result = runner.invoke(cli, ["demo", "--demo-store", str(tmp_path / "demo-store"), "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert result.output.count("== ") == 7
    assert "Yoon Suk-yeol" in page.read_text(encoding="utf-8") and f"Wrote {page}" in result.output
    for expected in (
        "Kishida Fumio",
        "Supreme Court of Korea",
        "2023-03-06",
        "2019-07",
        "Joe Biden",
        "Sado mine complex",
        "part of",
        "The acrimony came to a head in October 2018",
    ):
        assert expected in result.output
    assert "query --list" in result.output and f"Open {page}" in result.output


def test_canned_query_parameter_of_the_wrong_type(runner: CliRunner, bundled_store_path: Path) -> None:
    result = run(runner, bundled_store_path, "query", "cq1-summit-leaders", "--param", "date=16 March")
    assert result.exit_code == 2
    assert result.output.strip() == "Error: parameter date: '16 March' is not a valid xsd:date"
    unknown = run(runner, bundled_store_path, "query", "cq1-summit-leaders", "--param", "day=2023-03-16")
    assert unknown.exit_code == 2 and "has no parameter 'day' (it has: date)" in unknown.output


def test_canned_queries_listed_with_questions(runner: CliRunner, bundled_store_path: Path) -> None:
    result = run(runner, bundled_store_path, "query", "--list")
    for name in ("cq1-summit-leaders", "cq7-ruling-to-summit", "claims", "timeline"):
        assert name in result.output
    assert "Which two leaders held the summit of 16 March 2023, and where?" in result.output
    assert "place (IRI, default kgr:phnom-penh)" in result.output
    assert "date (xsd:date, default 2023-03-16)" in result.output


def test_every_canned_query_runs(bundled_store_path: Path) -> None:
    from kg.query import canned_queries, run_canned
    from kg.storage import open_store

    store = open_store(bundled_store_path)
    for name, canned in canned_queries().items():
        assert canned.description, name
        result = list(run_canned(store, name))
        if name == "entities-without-evidence":
            assert result == []
        else:
            assert result, name
