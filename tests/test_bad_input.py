"""Bad input: one clear line naming the file and line (or query position), exit 2, store unchanged."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.cli import cli
from tests.conftest import DATA, MINI


def run(runner: CliRunner, store: Path, *args: str) -> Result:
    return runner.invoke(cli, ["--store", str(store), *args])


def assert_one_line_error(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize(
    "name, content, needles",
    [
        ("malformed.ttl", None, ["malformed.ttl:3:", "end of file"]),
        (
            "prefix.ttl",
            b"@prefix ex: <https://example.org/> .\nex:a ex:b ex:c .\nex:a foo:b ex:c .\n",
            ["prefix.ttl:3:6:", "foo:"],
        ),
        ("image.ttl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", ["image.ttl:1:1:", "UTF-8"]),
        ("broken.trig", b"@prefix ex: <https://example.org/> .\nex:g {\n  ex:a ex:b .\n}\n", ["broken.trig:3:"]),
        ("notes.docx", b"PK\x03\x04", ["notes.docx", "unknown RDF file type"]),
        ("data.jsonld", b'{"@id": 3', ["data.jsonld:1:"]),
    ],
)
def test_bad_files_are_refused_and_store_unchanged(
    runner: CliRunner,
    mini_store_path: Path,
    tmp_path: Path,
    digest: Callable[[Path], str],
    name: str,
    content: bytes | None,
    needles: list[str],
) -> None:
    path = DATA / name if content is None else tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = digest(mini_store_path)
    result = run(runner, mini_store_path, "build", "--only", str(MINI), str(path))
    assert_one_line_error(result, *needles)
    assert digest(mini_store_path) == before


def test_missing_file(runner: CliRunner, mini_store_path: Path, digest: Callable[[Path], str]) -> None:
    before = digest(mini_store_path)
    result = run(runner, mini_store_path, "build", "nowhere/missing.ttl")
    assert_one_line_error(result, "nowhere/missing.ttl", "no such file")
    assert digest(mini_store_path) == before


def test_validate_reports_bad_file_without_store(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, tmp_path / "none", "validate", str(DATA / "malformed.ttl"))
    assert_one_line_error(result, "malformed.ttl:3:")


def test_invalid_sparql_names_line_and_column(runner: CliRunner, mini_store_path: Path) -> None:
    result = run(runner, mini_store_path, "query", "SELECT * WHERE {\n  ?s ?p \n}")
    assert_one_line_error(result, "invalid SPARQL", "line 3, column")


def test_unknown_prefix_in_query(runner: CliRunner, mini_store_path: Path) -> None:
    result = run(runner, mini_store_path, "query", "SELECT * WHERE { ?s foo:bar ?o }")
    assert_one_line_error(result, "invalid SPARQL: line 1, column 21: undeclared prefix 'foo:' in 'foo:bar'")


def test_unknown_entity_suggests(runner: CliRunner, mini_store_path: Path) -> None:
    result = run(runner, mini_store_path, "describe", "Kishda")
    assert_one_line_error(result, "no entity is called 'Kishda'", "Kishida Fumio")


def test_unknown_canned_query_suggests(runner: CliRunner, mini_store_path: Path) -> None:
    result = run(runner, mini_store_path, "query", "cq1-summit-leader")
    assert_one_line_error(result, "no canned query", "cq1-summit-leaders")


def test_parameter_not_in_query(runner: CliRunner, mini_store_path: Path) -> None:
    result = run(runner, mini_store_path, "query", "SELECT ?s { ?s ?p ?o }", "--param", "x=1")
    assert_one_line_error(result, "no variable ?x")


def test_parameter_must_be_name_value(runner: CliRunner, mini_store_path: Path) -> None:
    result = run(runner, mini_store_path, "query", "SELECT ?s { ?s ?p ?o }", "--param", "x")
    assert result.exit_code == 2 and "name=value" in result.output


def test_missing_query_file(runner: CliRunner, mini_store_path: Path) -> None:
    result = run(runner, mini_store_path, "query", "-f", "nowhere.rq")
    assert_one_line_error(result, "nowhere.rq", "no such query file")


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(b'{"head":{"vars":[]},"results":{"bindings":[{}]}}')

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


@pytest.mark.parametrize(
    "template, refused",
    [
        ("SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}", "SERVICE refused at line 1, column 18"),
        ("SELECT * WHERE {{\n  service silent <{url}/sparql> {{ ?s ?p ?o }} }}", "SERVICE refused at line 2, column 3"),
        ("SELECT * FROM <{url}/data.ttl> WHERE {{ ?s ?p ?o }}", "FROM <"),
        ("SELECT * FROM NAMED <file:///etc/passwd> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", "FROM <file:///etc/passwd>"),
        ("PREFIX x: <{url}/>\nSELECT * FROM x:data WHERE {{ ?s ?p ?o }}", "FROM x:data refused at line 2"),
        ("LOAD <{url}/data.ttl>", "LOAD refused"),
    ],
)
def test_queries_never_reach_out(
    runner: CliRunner, mini_store_path: Path, listener: tuple[str, list[str]], template: str, refused: str
) -> None:
    url, hits = listener
    result = run(runner, mini_store_path, "query", template.format(url=url))
    assert_one_line_error(result, refused)
    assert hits == []


def test_keywords_inside_strings_and_iris_are_harmless(runner: CliRunner, mini_store_path: Path) -> None:
    query = 'SELECT ?s WHERE { ?s ?p ?o FILTER(?o != "SERVICE <http://x/> LOAD" && ?s != <http://ex/FROM>) } LIMIT 1'
    result = run(runner, mini_store_path, "query", query)
    assert result.exit_code == 0, result.output


def test_from_a_graph_in_the_store_is_allowed(runner: CliRunner, mini_store_path: Path) -> None:
    query = "SELECT (COUNT(*) AS ?n) FROM <https://example.org/test-evidence/q1> WHERE { ?s ?p ?o }"
    result = run(runner, mini_store_path, "query", query, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert int(result.output.split()[1]) > 0


@pytest.mark.parametrize(
    "args",
    [
        ["render", "-o", "{missing}/page.html"],
        ["export", "--format", "turtle", "-o", "{missing}/graph.ttl"],
        ["site", "{file}/site"],
        ["query", "parameters", "--param", "place=kgr:x>"],
    ],
)
def test_unwritable_outputs_and_bad_iris_exit_2(
    runner: CliRunner, mini_store_path: Path, tmp_path: Path, args: list[str]
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    filled = [a.format(missing=tmp_path / "missing", file=a_file) for a in args]
    if filled[0] == "query":
        filled[1] = "PREFIX kg: <https://w3id.org/kg-diplomacy/ontology#> SELECT ?place WHERE { ?e kg:place ?place }"
    result = run(runner, mini_store_path, *filled)
    assert_one_line_error(result)
