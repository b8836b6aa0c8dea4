"""Issue 9, SPARQL side (CLI, library, notebooks): refusals decided on the parsed query, a network
sandbox that holds even when the guard is bypassed, and size limits checked before any parser.

Every case counts the requests a real loopback HTTP listener receives: it must stay at zero.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli

ROOT = Path(__file__).resolve().parents[2]


class Listener:
    """An HTTP server on 127.0.0.1 answering every request with one empty solution, counting hits."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                body = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.hits = hits
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def kg(store: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The real `kg` command in its own process (so the one-shot process sandbox applies)."""
    return subprocess.run(
        [sys.executable, "-m", "kg", "--store", str(store), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    for needle in needles:
        assert needle in lines[0], lines[0]


# The issue's reproductions: an escaped character in a prefixed name threw the old tokenizer off.
REPRODUCTIONS = [
    r"SELECT * WHERE { OPTIONAL { ?a kgr:x\# ?b } SERVICE <{url}/s> { ?s ?p ?o } }",
    r"SELECT * WHERE { OPTIONAL { ?a kgr:x\' ?b } SERVICE <{url}/s> { ?s ?p ?o } FILTER(?a != 'z') }",
    r'INSERT DATA { kgr:a kgr:x\# "1" } ; LOAD <{url}/x.ttl> INTO GRAPH kgr:loaded',
]


@pytest.mark.parametrize("template", REPRODUCTIONS)
def test_issue_reproductions_are_refused_by_the_cli(mini_store_path: Path, listener: Listener, template: str) -> None:
    result = kg(mini_store_path, "query", template.replace("{url}", listener.url))
    assert_refused(result, "refused")
    assert listener.hits == []


# More ways to hide SERVICE, LOAD or FROM from a text scanner; each is refused on the parse.
HIDDEN = [
    ("SELECT * WHERE {{ ?a kgr:x\\# ?b .\n SERVICE <{url}/s> {{ ?s ?p ?o }} }}", "SERVICE refused at line 2"),
    ("SELECT * WHERE {{ ?a kgr:x\\' ?b . SERVICE <{url}/s> {{ ?s ?p ?o }} FILTER(?b != 'z') }}", "SERVICE refused"),
    ("SELECT * WHERE {{ ?a kgr:a\\(b ?b . SERVICE <{url}/s> {{ ?s ?p ?o }} }}", "SERVICE refused"),
    ("SELECT * WHERE {{ ?a kgr:a%41 ?b . sErViCe SILENT <{url}/s> {{ ?s ?p ?o }} }}", "SERVICE refused"),
    ("SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }} }} }}", "SERVICE refused"),
    # rdflib's parser stumbles on a '#' before a SERVICE: refused as unreadable (fail closed)
    ('SELECT * WHERE {{ ?s ?p "a # not a comment" . SERVICE <{url}/s> {{ ?s ?p ?o }} }}', "cannot read it"),
    ("SELECT * WHERE {{ ?s ?p '''multi\nline \" ''' . SERVICE <{url}/s> {{ ?s ?p ?o }} }}", "SERVICE refused"),
    ("PREFIX e: <{url}/>\nSELECT * FROM e:x\\#y WHERE {{ ?s ?p ?o }}", "FROM e:x\\#y refused at line 2"),
    ("SELECT * FROM NAMED <{url}/g.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", "FROM <"),
    ("DELETE {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }}", "SERVICE refused"),
    ("LOAD SILENT <{url}/x.ttl>", "LOAD refused"),
]


@pytest.mark.parametrize("template, needle", HIDDEN)
def test_hidden_forms_are_refused(mini_store_path: Path, listener: Listener, template: str, needle: str) -> None:
    result = CliRunner().invoke(cli, ["--store", str(mini_store_path), "query", template.format(url=listener.url)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], result.output
    assert listener.hits == []


def test_queries_that_only_mention_the_words_still_run(mini_store_path: Path) -> None:
    runner = CliRunner()
    text = 'SELECT ?l WHERE { ?s rdfs:label ?l FILTER(!CONTAINS(?l, "service from load")) } ORDER BY ?l LIMIT 1'
    result = runner.invoke(cli, ["--store", str(mini_store_path), "query", "--format", "csv", text])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "l"
    from kg.storage import open_store

    graph = sorted(open_store(mini_store_path).named_graphs())[0]
    result = runner.invoke(
        cli,
        [
            "--store",
            str(mini_store_path),
            "query",
            "--format",
            "csv",
            f"SELECT (COUNT(*) AS ?n) FROM <{graph}> WHERE {{ ?s ?p ?o }}",
        ],
    )
    assert result.exit_code == 0 and int(result.output.splitlines()[1]) > 0, result.output


def test_the_engine_cannot_connect_in_a_sandboxed_process(listener: Listener) -> None:
    """Defence in depth: with the guard bypassed (the engine called directly), SERVICE and LOAD fail."""
    script = textwrap.dedent(f"""
        import pyoxigraph as ox
        from kg.sandbox import deny_network
        assert deny_network() is None
        store = ox.Store()
        for run in (lambda: list(store.query("SELECT * WHERE {{ SERVICE <{listener.url}/q> {{ ?s ?p ?o }} }}")),
                    lambda: store.update("LOAD <{listener.url}/x.ttl>")):
            try:
                run()
                print("fetched")
            except OSError as error:
                print("refused:", error)
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("refused: Permission denied") == 2, result.stdout
    assert listener.hits == []


def test_the_one_shot_query_process_cannot_connect_even_without_the_guard(
    mini_store_path: Path, listener: Listener
) -> None:
    """`kg query` on a local store runs in a process that has no network: switch the guard off and
    the SERVICE still never reaches the listener."""
    script = textwrap.dedent("""
        import sys
        import kg.query
        kg.query.check_query = lambda *args, **kwargs: None  # the guard, bypassed
        from kg.cli import main
        sys.argv = ["kg", *sys.argv[1:]]
        main()
        """)
    query = f"SELECT * WHERE {{ SERVICE <{listener.url}/q> {{ ?s ?p ?o }} }}"
    result = subprocess.run(
        [sys.executable, "-c", script, "--store", str(mini_store_path), "query", query],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Permission denied" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert listener.hits == []


@pytest.mark.parametrize("shape", ["parentheses", "groups", "brackets"])
def test_deep_nesting_is_refused_before_any_parser(mini_store_path: Path, tmp_path: Path, shape: str) -> None:
    """5,000 nested parentheses or groups (about 10 KB) crashed Oxigraph's parser (SIGSEGV)."""
    depth = 5000
    query = {
        "parentheses": "SELECT * WHERE { FILTER(" + "(" * depth + "1" + ")" * depth + ") }",
        "groups": "SELECT * WHERE " + "{" * depth + " ?s ?p ?o " + "}" * depth,
        "brackets": "SELECT * WHERE { ?s ?p " + "[ ?p " * depth + "1" + " ]" * depth + " }",
    }[shape]
    path = tmp_path / "deep.rq"
    path.write_text(query, encoding="utf-8")
    result = kg(mini_store_path, "query", "-f", str(path))
    assert_refused(result, "nested", "more than the limit of")


def test_nesting_hidden_from_a_scanner_is_still_counted(mini_store_path: Path, tmp_path: Path) -> None:
    """An IRI-like token holding '(' and a '#' (a comment to a naive scanner) cannot hide depth."""
    query = "SELECT * WHERE { ?s ?p <http://x/#(((> . FILTER(?a<" + "(" * 4000 + "1" + ")" * 4000 + ">2) }"
    path = tmp_path / "hidden.rq"
    path.write_text(query, encoding="utf-8")
    result = kg(mini_store_path, "query", "-f", str(path))
    assert_refused(result, "nested")


def test_overlong_query_is_refused(mini_store_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "long.rq"
    path.write_text("SELECT * WHERE { ?s ?p ?o }\n" + "# padding\n" * 120_000, encoding="utf-8")
    result = kg(mini_store_path, "query", "-f", str(path))
    assert_refused(result, "characters, more than the limit")


def test_notebook_queries_are_checked_alike(mini_store_path: Path, listener: Listener) -> None:
    from kg import notebook
    from kg.errors import ForbiddenQueryError, QueryLimitError

    notebook.open(mini_store_path)
    with pytest.raises(ForbiddenQueryError, match="refused"):
        notebook.query_df(REPRODUCTIONS[1].replace("{url}", listener.url))
    with pytest.raises(QueryLimitError, match="nested"):
        notebook.query_df("SELECT * WHERE " + "{" * 3000 + "}" * 3000)
    assert listener.hits == []


def test_cold_query_does_not_import_the_parser(mini_store_path: Path) -> None:
    """The SPARQL checker (rdflib, about a second to import) loads only for queries that may reach out."""
    script = (
        "import sys; from kg.cli import main; sys.argv = ['kg', '--store', sys.argv[1], 'query', "
        "'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('rdflib' in sys.modules, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(mini_store_path)], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert result.stderr.strip().endswith("False"), result.stderr
