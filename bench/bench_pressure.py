"""The endpoint under pressure (issue 9): small-query latency with three runaway queries running, and
the server's responsiveness while a big `?format=html` page is produced.

For each code tree given (this checkout, and optionally `--baseline TREE`, e.g. an export of main),
in the same run: start `kg serve` from that tree on a store, measure the median latency of a small
query on an idle server, then with three runaway queries running (11 small queries started 0.4 s
apart, each timed), then the slowest answer of the static /query page while a 44,000-row HTML
results page is being produced. Prints Markdown; nothing asserts a time.

    python bench/bench_pressure.py --store /tmp/store --baseline /tmp/kg-main
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import median

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
BIG = "SELECT * WHERE { ?s ?p ?o VALUES ?x { " + " ".join(str(i) for i in range(20)) + " } }"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(tree: Path, store: Path, timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg",
            "--store",
            str(store),
            "serve",
            "--no-site",
            "--port",
            str(port),
            "--timeout",
            str(timeout),
        ],
        cwd=tree,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/sparql", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"kg serve from {tree} did not start")


def _small(url: str) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        status = httpx.post(url + "/sparql", data={"query": COUNT}, timeout=60).status_code
    except httpx.TimeoutException:
        status = 0
    return time.perf_counter() - started, status


@dataclass(frozen=True)
class Pressure:
    idle: float
    runaway_p50: float
    runaway_max: float
    refused: int
    html_status: int
    page_max: float


def measure(tree: Path, store: Path, timeout: float) -> Pressure:
    process, url = _start(tree, store, timeout)
    try:
        idle = [_small(url)[0] for _ in range(11)]
        runaways = [
            threading.Thread(target=lambda: httpx.post(url + "/sparql", data={"query": RUNAWAY}, timeout=timeout + 30))
            for _ in range(3)
        ]
        for thread in runaways:
            thread.start()
        time.sleep(1.5)
        results: list[tuple[float, int]] = []
        smalls = []
        for _ in range(11):
            thread = threading.Thread(target=lambda: results.append(_small(url)))
            thread.start()
            smalls.append(thread)
            time.sleep(0.4)
        for thread in smalls + runaways:
            thread.join()
        page: list[int] = []
        html = threading.Thread(
            target=lambda: page.append(
                httpx.get(url + "/sparql", params={"query": BIG, "format": "html"}, timeout=timeout + 30).status_code
            )
        )
        html.start()
        time.sleep(0.3)
        stalls = []
        while html.is_alive():
            started = time.perf_counter()
            httpx.get(url + "/query", timeout=60)
            stalls.append(time.perf_counter() - started)
            time.sleep(0.05)
        html.join()
    finally:
        process.terminate()
        process.wait()
    return Pressure(
        median(idle),
        median([r[0] for r in results]),
        max(r[0] for r in results),
        sum(r[1] != 200 for r in results),
        page[0] if page else 0,
        max(stalls) if stalls else float("nan"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="a built store (kg build)")
    parser.add_argument("--baseline", type=Path, help="another kg source tree to measure in the same run")
    parser.add_argument("--timeout", type=float, default=8.0, help="kg serve --timeout")
    args = parser.parse_args()
    trees = [("this checkout", Path(__file__).resolve().parents[1])]
    if args.baseline:
        trees.insert(0, ("baseline", args.baseline.resolve()))
    print(
        "| code | small query, idle (p50) | with 3 runaways (p50 / max / not 200) | /query page while "
        "a 44k-row HTML page renders (max) |"
    )
    print("|---|---|---|---|")
    for name, tree in trees:
        m = measure(tree, args.store, args.timeout)
        print(
            f"| {name} | {m.idle * 1000:.0f} ms | {m.runaway_p50 * 1000:.0f} ms / {m.runaway_max * 1000:.0f} ms"
            f" / {m.refused} of 11 | {m.page_max * 1000:.0f} ms (HTML: {m.html_status}) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
