"""Every hostile-input case through the real `kg` command: one line, exit 1 or 2, no fetch, store intact.

For each case of tests/hostile/corpus.py: the `kg` executable runs in a subprocess with a time
limit; it must exit with the case's code (1 or 2; never a signal), print exactly one line on
stderr holding the expected text and no raw control character, print no traceback, make no
request to the loopback listener the case's data points at, leave the store folder byte-identical,
and finish within the case's time bound.
"""

from __future__ import annotations

import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.build import build
from tests.conftest import MINI, tree_digest
from tests.hostile.corpus import CASES, SPARQL_CASES, Case

# Every case runs: the file cases and the SPARQL ones (escaped-name bypasses, deep nesting).
ENABLED: list[Case] = CASES + SPARQL_CASES
HANG = 120  # seconds after which a case counts as hung (the time bound of each case is smaller)


class Listener:
    """A loopback HTTP server that answers everything and counts the requests (fetches)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "text/turtle")
                self.end_headers()
                self.wfile.write(b"<http://e/fetched> <http://e/p> <http://e/o> .\n")

            do_POST = do_HEAD = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    served = Listener()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "store"
    build(path, [MINI], only=True)
    return path


def _kg() -> list[str]:
    installed = Path(sys.executable).parent / "kg"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "kg"]


def _fill(value: str | bytes, port: int) -> str | bytes:
    if isinstance(value, bytes):
        return value.replace(b"{port}", str(port).encode())
    return value.replace("{port}", str(port))


def _materialize(case: Case, folder: Path, port: int) -> list[socket.socket]:
    """Write the case's files and special files into `folder`; return sockets to close afterwards."""
    sockets = []
    for name, content in case.files.items():
        path = Path(os.fsdecode(name)) if isinstance(name, bytes) else Path(name)
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content() if callable(content) else content
        target.write_bytes(_fill(data if isinstance(data, bytes) else data.encode("utf-8"), port))  # type: ignore[arg-type]
    for name, kind in case.special.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if kind == "fifo":
            os.mkfifo(target)
        elif kind == "socket":
            listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listening.bind(str(target))
            listening.listen(1)
            sockets.append(listening)
        elif kind.startswith("link:"):
            target.symlink_to(kind.removeprefix("link:"))
    return sockets


@pytest.mark.parametrize("case", ENABLED, ids=[c.name for c in ENABLED])
def test_hostile_input(case: Case, tmp_path: Path, listener: Listener, hostile_store: Path) -> None:
    sockets = _materialize(case, tmp_path, listener.port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")} | case.env
    args = [_fill(a, listener.port) for a in case.args]
    before, hits_before = tree_digest(hostile_store), len(listener.hits)
    started = time.monotonic()
    try:
        done = subprocess.run(
            [*_kg(), "--store", str(hostile_store), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=HANG,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case.name}: hung (no answer in {HANG} s)")
    finally:
        for opened in sockets:
            opened.close()
    seconds = time.monotonic() - started
    stderr = done.stderr.decode("utf-8", "replace")
    lines = stderr.splitlines()
    assert done.returncode >= 0, f"{case.name}: crashed with signal {-done.returncode}: {stderr[-300:]}"
    assert done.returncode == case.exit_code, f"{case.name}: exit {done.returncode}: {stderr[-500:]}"
    assert len(lines) == 1, f"{case.name}: {len(lines)} lines on stderr: {stderr[-800:]}"
    assert case.needle in lines[0], f"{case.name}: {lines[0]!r}"
    stdout = done.stdout.decode("utf-8", "replace")
    assert case.stdout in stdout, f"{case.name}: {stdout[-500:]}"
    assert "Traceback" not in stderr + stdout
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or 0x202A <= ord(c) <= 0x202E for c in lines[0]), lines[0]
    assert listener.hits[hits_before:] == [], f"{case.name}: fetched {listener.hits[hits_before:]}"
    assert tree_digest(hostile_store) == before, f"{case.name}: the store changed"
    assert seconds < case.seconds, f"{case.name}: took {seconds:.1f} s (bound {case.seconds} s)"
    shutil.rmtree(tmp_path, ignore_errors=True)  # generated bombs are large; free the space at once


def test_corpus_covers_every_family() -> None:
    """At least 40 cases, each family of issue 9 represented, names unique."""
    families = {c.family for c in CASES}
    assert len(CASES) >= 40
    assert {
        "bombs",
        "nesting",
        "special files",
        "local files",
        "no fetch",
        "names",
        "file names",
        "encodings",
        "sparql",
    } <= families
    assert len({c.name for c in CASES + SPARQL_CASES}) == len(CASES + SPARQL_CASES)
    assert {c.exit_code for c in CASES + SPARQL_CASES} <= {1, 2}
