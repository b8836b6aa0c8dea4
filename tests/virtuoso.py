"""Start and stop a throwaway Virtuoso on loopback, for the remote-store tests and benchmarks.

Uses Debian's `virtuoso-opensource` (``make system-deps`` installs it): copies the packaged
``virtuoso.ini``, points the database, logs and allowed folders at a temporary folder, binds the
SQL and HTTP ports to free ports on 127.0.0.1, starts ``virtuoso-t +foreground``, waits until the
SPARQL endpoint answers, replaces the default ``dba`` password and creates a ``kg`` user that may
update graphs (role SPARQL_UPDATE), the account `kg` uses through ``/sparql-auth`` and
``/sparql-graph-crud-auth`` with digest authentication. Works as root (CI) and as a normal user.

    with running_virtuoso() as server:
        print(server.sparql_url, server.user, server.password)
"""

from __future__ import annotations

import configparser
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKAGED_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
MISSING = "virtuoso-opensource is not installed: run make test, which installs virtuoso-opensource"


class VirtuosoMissing(RuntimeError):
    """Debian's virtuoso-opensource is not installed."""


def find_binaries() -> tuple[str, str]:
    """The server (virtuoso-t) and the SQL client (isql-vt), or raise VirtuosoMissing."""
    server = shutil.which("virtuoso-t") or _existing("/usr/bin/virtuoso-t")
    isql = shutil.which("isql-vt") or _existing("/usr/bin/isql-vt")
    if not server or not isql or not PACKAGED_INI.exists():
        raise VirtuosoMissing(MISSING)
    return server, isql


def _existing(path: str) -> str | None:
    return path if os.access(path, os.X_OK) else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Virtuoso:
    """A running throwaway server: its endpoints, the account for updates, its folder and process."""

    folder: Path
    sql_port: int
    http_port: int
    user: str
    password: str
    dba_password: str
    process: subprocess.Popen[bytes]
    isql: str
    started_in: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql_url(self) -> str:
        return self.base_url + "/sparql"

    def sql(self, statement: str, *, user: str = "dba", password: str | None = None) -> str:
        """Run SQL through isql-vt (as dba by default); returns its output, raises on error."""
        return run_isql(self.isql, self.sql_port, user, password or self.dba_password, statement)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self) -> str:
        log = self.folder / "virtuoso.log"
        return log.read_text(errors="replace") if log.exists() else ""


def run_isql(isql: str, port: int, user: str, password: str, statement: str) -> str:
    completed = subprocess.run(
        [isql, f"127.0.0.1:{port}", user, password, f"exec={statement}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0 or "*** Error" in output:
        # isql echoes the statement; never show the passwords it may contain
        raise RuntimeError(f"isql failed ({completed.returncode}): " + _hide(output, password))
    return output


def _hide(text: str, *secrets_: str) -> str:
    for secret in secrets_:
        if secret:
            text = text.replace(secret, "***")
    return text


def write_config(folder: Path, sql_port: int, http_port: int, *, max_rows: int | None = None) -> Path:
    """The packaged virtuoso.ini with the database in `folder` and ports on 127.0.0.1."""
    config = configparser.RawConfigParser(strict=False, inline_comment_prefixes=(";",))
    config.optionxform = str  # type: ignore[assignment,method-assign]  # keep the keys' case
    config.read(PACKAGED_INI, encoding="utf-8")
    db = config["Database"]
    db["DatabaseFile"] = str(folder / "virtuoso.db")
    db["ErrorLogFile"] = str(folder / "virtuoso.log")
    db["LockFile"] = str(folder / "virtuoso.lck")
    db["TransactionFile"] = str(folder / "virtuoso.trx")
    db["xa_persistent_file"] = str(folder / "virtuoso.pxa")
    temp = config["TempDatabase"]
    temp["DatabaseFile"] = str(folder / "virtuoso-temp.db")
    temp["TransactionFile"] = str(folder / "virtuoso-temp.trx")
    params = config["Parameters"]
    params["ServerPort"] = f"127.0.0.1:{sql_port}"
    params["DirsAllowed"] = f"., {folder}, /usr/share/virtuoso-opensource-7/vad"
    params["NumberOfBuffers"] = "20000"
    params["MaxDirtyBuffers"] = "12000"
    http = config["HTTPServer"]
    http["ServerPort"] = f"127.0.0.1:{http_port}"
    if config.has_section("URIQA"):
        config["URIQA"]["DefaultHost"] = f"127.0.0.1:{http_port}"
    if max_rows is not None:
        config["SPARQL"]["ResultSetMaxRows"] = str(max_rows)
    path = folder / "virtuoso.ini"
    with open(path, "w", encoding="utf-8") as stream:
        config.write(stream)
    return path


def start(folder: Path | None = None, *, timeout: float = 120.0, max_rows: int | None = None) -> Virtuoso:
    """Start a fresh server in `folder` (a new temporary folder by default) and wait until ready."""
    server, isql = find_binaries()
    folder = Path(folder or tempfile.mkdtemp(prefix="kg-virtuoso-"))
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for _attempt in range(3):  # a port picked as free can be taken before the server binds it
        sql_port, http_port = free_port(), free_port()
        while http_port == sql_port:
            http_port = free_port()
        ini = write_config(folder, sql_port, http_port, max_rows=max_rows)
        with open(folder / "server.out", "wb") as out:
            process = subprocess.Popen(
                [server, "+foreground", "+configfile", str(ini)],
                cwd=folder,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        if _wait_ready(process, http_port, timeout):
            break
        _terminate(process)
        log = (folder / "virtuoso.log").read_text(errors="replace") if (folder / "virtuoso.log").exists() else ""
        if "address already in use" not in log.lower() and "failed to start" not in log.lower():
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"Virtuoso did not start within {timeout:.0f} s:\n{log[-2000:]}")
        for leftover in folder.glob("virtuoso*"):
            leftover.unlink()
    else:
        raise RuntimeError("Virtuoso could not bind free loopback ports")
    dba_password = "dba-" + secrets.token_hex(8)
    user, password = "kg", "kg-" + secrets.token_hex(8)
    try:
        run_isql(isql, sql_port, "dba", "dba", f"USER_SET_PASSWORD('dba', '{dba_password}');")
        run_isql(
            isql,
            sql_port,
            "dba",
            dba_password,
            f"DB.DBA.USER_CREATE('{user}', '{password}'); GRANT SPARQL_UPDATE TO \"{user}\"; "
            # write access to every graph (1 read, 2 write, 4 sponge); graph-level security is the
            # server administrator's business, kg only needs read+write on the graphs it manages
            f"DB.DBA.RDF_DEFAULT_USER_PERMS_SET('{user}', 3);",
        )
    except BaseException:
        _terminate(process)
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return Virtuoso(
        folder, sql_port, http_port, user, password, dba_password, process, isql, time.perf_counter() - started
    )


def _wait_ready(process: subprocess.Popen[bytes], http_port: int, timeout: float) -> bool:
    url = f"http://127.0.0.1:{http_port}/sparql?query=ASK%7B%7D"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def running_virtuoso(*, keep: bool = False, max_rows: int | None = None) -> Iterator[Virtuoso]:
    """A fresh server for the duration of the block; stopped and deleted afterwards."""
    server = start(max_rows=max_rows)
    try:
        yield server
    finally:
        server.stop()
        if not keep:
            shutil.rmtree(server.folder, ignore_errors=True)


SYSTEM_GRAPHS = ("http://www.openlinksw.com/schemas/", "http://www.w3.org/2002/07/owl#", "http://www.w3.org/ns/ldp#")


def user_graphs(sizes: dict[str, int]) -> list[str]:
    """The graphs not Virtuoso's own (its schemas, DAV, service description), sorted."""
    return sorted(
        g for g in sizes if not g.startswith(SYSTEM_GRAPHS) and "/DAV/" not in g and not g.endswith("/sparql")
    )


def snapshot(server: Virtuoso, *, digest: bool = True) -> tuple[dict[str, int], str]:
    """Every graph on the server with its size, and a SHA-256 over every statement outside the system graphs
    ("" without `digest`). Read straight from the SPARQL endpoint (not through kg), page by page.
    """
    import hashlib
    import json

    import httpx

    client = httpx.Client(timeout=120)

    def select(query: str) -> list[dict[str, Any]]:
        response = client.post(
            server.sparql_url, data={"query": query}, headers={"Accept": "application/sparql-results+json"}
        )
        assert response.status_code == 200, f"{query}: {response.text[:500]}"
        assert "x-sparql-maxrows" not in response.headers
        rows: list[dict[str, Any]] = response.json()["results"]["bindings"]
        return rows

    sizes = {
        r["g"]["value"]: int(r["n"]["value"])
        for r in select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    }
    hashed = hashlib.sha256()
    for graph in user_graphs(sizes) if digest else []:
        for offset in range(0, sizes[graph], 5000):
            rows = select(  # ORDER BY in a subquery: Virtuoso sorts no more than 10,000 rows for an OFFSET
                f"SELECT * WHERE {{ {{ SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} "
                f"ORDER BY ?s ?p ?o }} }} LIMIT 5000 OFFSET {offset}"
            )
            for row in rows:
                hashed.update(json.dumps([graph, row], sort_keys=True).encode())
    client.close()
    return sizes, hashed.hexdigest() if digest else ""


def drop_graphs(server: Virtuoso) -> None:
    """Drop every graph but Virtuoso's own: the shared test server as if fresh."""
    import httpx

    sizes, _ = snapshot(server, digest=False)
    with httpx.Client(timeout=600, auth=httpx.DigestAuth(server.user, server.password)) as client:
        graphs = user_graphs(sizes)
        for start in range(0, len(graphs), 200):
            update = " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in graphs[start : start + 200])
            client.post(server.base_url + "/sparql-auth", data={"update": update}).raise_for_status()


if __name__ == "__main__":  # manual use: python tests/virtuoso.py  (Ctrl-C or SIGTERM stops it)

    def _stop(*_: object) -> None:
        raise KeyboardInterrupt  # run the cleanup below, as Ctrl-C does

    signal.signal(signal.SIGTERM, _stop)
    with running_virtuoso() as srv:
        print(f"Virtuoso ready in {srv.started_in:.1f} s at {srv.sparql_url}")
        print(f"KG_REMOTE_USER={srv.user} KG_REMOTE_PASSWORD={srv.password}  (dba: {srv.dba_password})")
        with contextlib.suppress(KeyboardInterrupt):
            srv.process.wait()
