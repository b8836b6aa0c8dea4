"""Endpoint throughput and latency under load, from a second process on loopback (wrk).

Measures, in one run against one `kg serve` on the bundled graph:
  * small anchored queries at 16 concurrent connections: requests/s and latency percentiles;
  * the same load while runaway queries (a triple cross join) keep hitting the time limit:
    p99 with the runaway over p99 without it (target: within 2x).
The load is bounded: each wrk run lasts --seconds, only 127.0.0.1 is contacted.

    python bench/bench_serve.py [--seconds 10] [--connections 16] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMALL = "SELECT ?label WHERE { kgr:yoon-suk-yeol rdfs:label ?label }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)", output, re.M)
        assert match, output
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_s": rate,
        "p50_ms": ms("50"),
        "p90_ms": ms("90"),
        "p99_ms": ms("99"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=5.0, help="the server's per-query time limit")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    kg = [sys.executable, "-m", "kg"]
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        subprocess.run([*kg, "--store", str(store), "build"], check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen(
            [*kg, "--store", str(store), "serve", "--port", str(port), "--no-site", "--timeout", str(args.timeout)],
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}/sparql"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base, timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.2)
            url = base + "?" + urllib.parse.urlencode({"query": SMALL})
            wrk(url, 2, args.connections)  # warm up
            quiet, loaded = [], []
            for _ in range(args.runs):
                quiet.append(wrk(url, args.seconds, args.connections))
                stop = threading.Event()
                stopped: list[int] = []

                def runaway(stop: threading.Event = stop, stopped: list[int] = stopped) -> None:
                    target = base + "?" + urllib.parse.urlencode({"query": RUNAWAY})
                    while not stop.is_set():
                        try:
                            urllib.request.urlopen(target, timeout=args.timeout * 3).read()
                        except urllib.error.HTTPError as error:
                            stopped.append(error.code)

                thread = threading.Thread(target=runaway)
                thread.start()
                time.sleep(1.5)  # the runaway is past its first second: reniced
                loaded.append(wrk(url, args.seconds, args.connections))
                stop.set()
                thread.join()
                assert stopped and all(code == 504 for code in stopped), stopped
        finally:
            server.terminate()
            server.wait(10)

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    report = {
        "connections": args.connections,
        "seconds_per_run": args.seconds,
        "runs": args.runs,
        "quiet": {k: median(quiet, k) for k in quiet[0]},
        "with_runaway": {k: median(loaded, k) for k in loaded[0]},
    }
    report["p99_ratio"] = report["with_runaway"]["p99_ms"] / report["quiet"]["p99_ms"]
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve.json").write_text(json.dumps(report, indent=2))
    q, r = report["quiet"], report["with_runaway"]
    print("| load | requests/s | p50 ms | p90 ms | p99 ms |\n|---|---|---|---|---|")
    print(
        f"| {args.connections} clients, small queries | {q['requests_per_s']:.0f} | {q['p50_ms']:.1f} | "
        f"{q['p90_ms']:.1f} | {q['p99_ms']:.1f} |"
    )
    print(
        f"| same, with a runaway query hitting its {args.timeout:g} s limit | {r['requests_per_s']:.0f} | "
        f"{r['p50_ms']:.1f} | {r['p90_ms']:.1f} | {r['p99_ms']:.1f} |"
    )
    print(
        f"\np99 with the runaway / p99 without: {report['p99_ratio']:.2f}x (target <= 2x); "
        f"throughput target >= 500/s: {'met' if q['requests_per_s'] >= 500 else 'missed'}"
    )


if __name__ == "__main__":
    main()
