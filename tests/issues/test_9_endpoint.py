"""Issue 9, endpoint side: real `kg serve` processes, real sockets, a loopback listener counting hits.

Refusals on the parsed query and network-less workers, nesting limits, stalled connections
(slowloris), runaway queries that must not starve small ones, HTML results rendered in the
worker, the Host allow-list, and a busy port.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import tree_digest
from tests.issues.test_9_sparql import REPRODUCTIONS, ROOT, Listener, listener  # noqa: F401  (fixture)
from tests.test_serve import COUNT, RUNAWAY, TOKEN, Endpoint, free_port

READ_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def endpoint(bundled_store_path: Path) -> Iterator[Endpoint]:
    server = Endpoint(bundled_store_path, "--no-site", "--timeout", "6", "--read-timeout", str(READ_TIMEOUT))
    yield server
    server.stop()


def one_line(response: httpx.Response) -> str:
    lines = [line for line in response.text.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in response.text, response.text
    return lines[0]


@pytest.mark.parametrize("template", REPRODUCTIONS[:2])
def test_issue_reproductions_are_refused_by_the_endpoint(
    endpoint: Endpoint,
    listener: Listener,  # noqa: F811
    template: str,
) -> None:
    query = template.replace("{url}", listener.url)
    for response in (
        httpx.get(endpoint.url + "/sparql", params={"query": query}, timeout=30),
        httpx.post(endpoint.url + "/sparql", data={"query": query}, timeout=30),
        httpx.post(
            endpoint.url + "/sparql",
            content=query.encode(),
            timeout=30,
            headers={"Content-Type": "application/sparql-query"},
        ),
    ):
        assert response.status_code == 403, response.text
        assert "refused" in one_line(response)
    assert listener.hits == []


def test_update_reproduction_is_refused_and_the_store_unchanged(
    bundled_store_path: Path,
    tmp_path: Path,
    listener: Listener,  # noqa: F811
) -> None:
    store = tmp_path / "store"
    shutil.copytree(bundled_store_path, store, symlinks=True)
    before = tree_digest(store)
    server = Endpoint(store, "--allow-update", "--no-site", "--timeout", "5", env={"KG_SERVE_TOKEN": TOKEN})
    try:
        update = REPRODUCTIONS[2].replace("{url}", listener.url)
        response = httpx.post(
            server.url + "/sparql",
            content=update.encode(),
            timeout=30,
            headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
        )
        assert response.status_code == 403, response.text
        assert "LOAD refused" in one_line(response)
    finally:
        server.stop()
    assert listener.hits == []
    assert tree_digest(store) == before


def test_a_query_worker_cannot_connect_even_without_the_guard(bundled_store_path: Path, listener: Listener) -> None:  # noqa: F811
    """Defence in depth: an endpoint worker with the guard switched off still cannot fetch."""
    script = textwrap.dedent(f"""
        import threading
        from multiprocessing import Pipe
        import kg.sparql_guard
        kg.sparql_guard.check_query = lambda *args, **kwargs: None  # the guard, bypassed
        from kg.workers import QueryJob, _worker_main
        parent, child = Pipe()
        threading.Thread(target=_worker_main, args=(child, {str(bundled_store_path)!r}), daemon=True).start()
        parent.send(QueryJob("SELECT * WHERE {{ SERVICE <{listener.url}/q> {{ ?s ?p ?o }} }}"))
        outcome = parent.recv()
        print(outcome.status, outcome.message)
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("500 ") and "Permission denied" in result.stdout, result.stdout
    assert listener.hits == []


@pytest.mark.parametrize("opening, closing", [("(", ")"), ("{", "}")])
def test_deep_nesting_gets_a_400_and_the_worker_lives(endpoint: Endpoint, opening: str, closing: str) -> None:
    depth = 5000
    inner = (
        "FILTER(" + opening * depth + "1" + closing * depth + ")"
        if opening == "("
        else opening * depth + " ?s ?p ?o " + closing * depth
    )
    query = "SELECT * WHERE { " + inner + " }"
    response = httpx.post(
        endpoint.url + "/sparql",
        content=query.encode(),
        timeout=30,
        headers={"Content-Type": "application/sparql-query"},
    )
    assert response.status_code == 400, response.text
    assert "nested" in one_line(response)
    assert httpx.post(endpoint.url + "/sparql", data={"query": COUNT}, timeout=30).status_code == 200


def test_a_busy_port_is_one_line_and_exit_3(bundled_store_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "kg", "--store", str(bundled_store_path), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    assert result.returncode == 3, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: cannot listen on 127.0.0.1:") and "in use" in lines[0], lines[0]
    assert "ERROR:" not in result.stderr and "Traceback" not in result.stderr


def test_stalled_connections_are_closed_and_never_starve_others(endpoint: Endpoint) -> None:
    """260 connections that stop mid-header (slowloris) made every new request 503 until they closed."""
    stalled = []
    try:
        for _ in range(260):
            sock = socket.create_connection(("127.0.0.1", endpoint.port), timeout=10)
            sock.sendall(f"GET /sparql HTTP/1.1\r\nHost: 127.0.0.1:{endpoint.port}\r\nAccept: */*\r\n".encode())
            stalled.append(sock)
        started = time.monotonic()
        response = httpx.post(endpoint.url + "/sparql", data={"query": COUNT}, timeout=30)
        assert response.status_code == 200, response.text
        assert time.monotonic() - started < READ_TIMEOUT
        time.sleep(READ_TIMEOUT + 1.5)
        closed = 0
        for sock in stalled:
            sock.settimeout(5)
            try:
                closed += sock.recv(1024) == b""
            except ConnectionResetError:
                closed += 1
        assert closed == len(stalled)
    finally:
        for sock in stalled:
            sock.close()


def test_a_stalled_body_gets_a_408(endpoint: Endpoint) -> None:
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=READ_TIMEOUT + 10) as sock:
        sock.sendall(
            f"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1:{endpoint.port}\r\n"
            "Content-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\nSELECT".encode()
        )
        started = time.monotonic()
        reply = sock.recv(4096).decode("latin-1")
    assert reply.startswith("HTTP/1.1 408"), reply
    assert time.monotonic() - started < READ_TIMEOUT + 5


def test_runaway_queries_do_not_starve_small_ones(endpoint: Endpoint) -> None:
    """Three runaways used to take all three workers: small queries waited (p50 5.0 s) or got 503."""
    statuses: list[int] = []

    def runaway() -> None:
        statuses.append(httpx.post(endpoint.url + "/sparql", data={"query": RUNAWAY}, timeout=60).status_code)

    threads = [threading.Thread(target=runaway) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.5)  # all three runaways are running (and reniced)
        latencies, codes = [], []
        for _ in range(10):
            started = time.perf_counter()
            codes.append(httpx.post(endpoint.url + "/sparql", data={"query": COUNT}, timeout=60).status_code)
            latencies.append(time.perf_counter() - started)
        assert codes == [200] * 10, codes
        assert statistics.median(latencies) < 1.0, latencies
        assert any(thread.is_alive() for thread in threads)  # measured while the runaways were running
    finally:
        for thread in threads:
            thread.join(60)
    assert statuses == [504] * 3


def test_html_results_are_rendered_in_the_worker(bundled_store_path: Path) -> None:
    """A big HTML results page was rendered in the event loop, outside --timeout, stalling every
    other client for seconds; now the worker renders it and the server keeps answering meanwhile.
    (Its own server: runaways left by another test would hold the workers and make this one 503.)"""
    endpoint = Endpoint(bundled_store_path, "--no-site", "--timeout", "6", "--read-timeout", str(READ_TIMEOUT))
    values = " ".join(str(i) for i in range(20))
    big = f"SELECT * WHERE {{ ?s ?p ?o VALUES ?x {{ {values} }} }}"  # about 44,000 rows
    outcome: list[int] = []

    def html() -> None:
        response = httpx.get(endpoint.url + "/sparql", params={"query": big, "format": "html"}, timeout=60)
        outcome.append(response.status_code)

    thread = threading.Thread(target=html)
    thread.start()
    latencies = []
    try:
        time.sleep(0.3)
        while thread.is_alive():
            started = time.perf_counter()
            assert httpx.get(endpoint.url + "/query", timeout=60).status_code == 200  # no worker involved
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)
    finally:
        thread.join(60)
        endpoint.stop()
    assert outcome in ([200], [504]), outcome  # finished, or stopped at the time limit
    assert latencies and max(latencies) < 1.0, latencies


def test_host_allow_list(endpoint: Endpoint, bundled_store_path: Path) -> None:
    port = endpoint.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        response = httpx.get(endpoint.url + "/sparql", headers={"Host": host}, timeout=30)
        assert response.status_code == 200, (host, response.text)
        assert f"<http://{host}/sparql>" in response.text
    for host in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1.attacker.example:{port}"):
        response = httpx.get(endpoint.url + "/sparql", headers={"Host": host}, timeout=30)
        assert response.status_code == 400, (host, response.text)
        assert "attacker" not in response.text
    public = Endpoint(bundled_store_path, "--no-site", "--public-host", "kg.example")
    try:
        response = httpx.get(public.url + "/sparql", headers={"Host": f"kg.example:{public.port}"}, timeout=30)
        assert response.status_code == 200 and f"<http://kg.example:{public.port}/sparql>" in response.text
        assert httpx.get(public.url + "/sparql", headers={"Host": "other.example"}, timeout=30).status_code == 400
    finally:
        public.stop()


def test_the_port_in_use_check_does_not_hold_the_port(bundled_store_path: Path) -> None:
    """After a refused start the port is free again (kg binds once, and closes on failure)."""
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen(1)
        subprocess.run(
            [sys.executable, "-m", "kg", "--store", str(bundled_store_path), "serve", "--port", str(port)],
            capture_output=True,
            timeout=60,
            cwd=ROOT,
        )
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


BOMB_BODY = """<?xml version="1.0"?>
<!DOCTYPE r [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="https://example.org/">
  <rdf:Description rdf:about="https://example.org/s"><ex:p>&f;</ex:p></rdf:Description>
</rdf:RDF>
"""


def test_graph_store_bodies_go_through_the_checked_loader(bundled_store_path: Path, tmp_path: Path) -> None:
    """A sub-kilobyte RDF/XML body once stored a 100 MB literal past --max-request-kb."""
    store = tmp_path / "store"
    shutil.copytree(bundled_store_path, store, symlinks=True)
    before = tree_digest(store)
    server = Endpoint(store, "--allow-update", "--no-site", "--timeout", "10", env={"KG_SERVE_TOKEN": TOKEN})
    try:
        assert len(BOMB_BODY) < 1024
        response = httpx.put(
            server.url + "/rdf-graphs",
            params={"graph": "https://example.org/g"},
            content=BOMB_BODY.encode(),
            timeout=60,
            headers={"Content-Type": "application/rdf+xml", "Authorization": f"Bearer {TOKEN}"},
        )
        assert response.status_code == 400, response.text
        assert "request body" in one_line(response) and "entit" in response.text
    finally:
        server.stop()
    assert tree_digest(store) == before
