"""Upload benchmark (issue 13, item 8): a build's upload to Virtuoso, before and now, next to Virtuoso's
own bulk loader, at 100k and 1M quads, in one run.

For each size and round, interleaved, each method on a fresh throwaway Virtuoso on 127.0.0.1
(tests/virtuoso.py with the packaged 2 GB buffer setting, as bench_scale.py):

  * before: kg's batched upload as it was (graphs under 2,000 statements many to an INSERT DATA
    request, the others one Graph Store PUT each; every request transactional, one at a time);
  * now, with the `unlogged_upload` setting (opt-in; without it kg uploads as "before"): the same
    requests, the INSERT DATA batches with `DEFINE sql:log-enable 2` (no transaction log, row
    autocommit), `workers` (4) at a time after the Graph Store uploads; the swap with
    `DEFINE sql:log-enable 1`;
  * Virtuoso's bulk loader: `ld_dir` + `rdf_loader_run()` + `checkpoint` through isql-vt on the
    same quads as an N-Quads file (what `kg export --format nquads` writes);
  * (`--per-graph`) the first version: one Graph Store PUT per graph (`KG_REMOTE_BATCH=0`).

The kg methods time `kg.storage.publish.replace_dataset` (what `kg --store URL build` runs after
loading and validating locally) on an in-memory store holding the file, loaded untimed, with kg's
CPU time (process_time) and the Virtuoso process's CPU time (/proc); the quads on the server are
counted after each method. Nothing here asserts a time.

    python bench/bench_upload.py                          # 100k (3 rounds) and 1M (1 round)
    python bench/bench_upload.py --sizes 1m --runs-1m 1 --methods now,bulk
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_scale import start_virtuoso, stop_virtuoso, virtuoso_bulk_load  # noqa: E402

DATA = Path(os.environ.get("KG_BENCH_DATA", Path(__file__).resolve().parent / "data"))
PER_GRAPH, SERIAL, BATCHED, BULK = (
    "kg upload, one request per graph (first version)",
    "kg upload, batched, one transactional request at a time (before; the default)",
    "kg upload, batched, unlogged, 4 at a time (unlogged_upload)",
    "Virtuoso bulk loader",
)


def server_cpu(server: Any) -> float:
    """CPU seconds (user + system) the Virtuoso process has used so far."""
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def kg_upload(server: Any, store: Any, batch: int | None, serial: bool = False) -> dict[str, Any]:
    from kg.storage import publish
    from kg.storage.publish import replace_dataset

    if serial:  # as before: every request transactional (no log-enable define), one at a time (below)
        publish.VIRTUOSO_UPLOAD_MODE = publish.VIRTUOSO_SWAP_MODE = ""
    from kg.storage.remote import RemoteStore
    from kg.storage.remote_http import RemoteSettings

    settings = RemoteSettings(query_url=server.sparql_url, user=server.user, password=server.password)
    if batch is not None:
        settings.batch = batch
    if serial:
        settings.workers = 1
    else:
        settings.unlogged_upload = True
    remote = RemoteStore(server.sparql_url, settings)
    try:
        cpu, server_started = time.process_time(), server_cpu(server)
        started = time.perf_counter()
        report = replace_dataset(remote, store)
        seconds = time.perf_counter() - started
        cpu, server_used = time.process_time() - cpu, server_cpu(server) - server_started
        quads = server_quads(remote)
    finally:
        remote.close()
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "server_cpu_s": server_used,
        "requests": report.requests,
        "graphs": report.graphs,
        "statements": report.statements,
        "timings": report.timings,
        "quads": quads,
    }


def server_quads(remote: Any) -> int:
    """Statements in kg's graphs, counted by the server in one query (GROUP BY graph)."""
    graphs = remote.manifest(refresh=True).graphs
    return sum(n for g, n in remote.server_graphs(refresh=True).items() if g in graphs and g != "urn:kg:union")


def bulk(server: Any, nquads: Path) -> dict[str, Any]:
    before = server_cpu(server)
    report = virtuoso_bulk_load(server, nquads)
    used = server_cpu(server) - before
    return {"seconds": report["seconds"], "server_cpu_s": used, "quads": report["quads"], "requests": None}


def capped(function: Any, args: tuple[Any, ...], cap: float) -> dict[str, Any]:
    """Run `function(*args)` in a forked child (it sees the parent's loaded store); stop it after `cap` s."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=lambda: queue.put(function(*args)))
    child.start()
    try:
        result: dict[str, Any] = queue.get(timeout=cap)
    except Exception:  # queue.Empty: over the cap
        child.kill()
        child.join()
        return {"seconds": cap, "stopped_after_s": cap, "requests": None, "quads": None}
    child.join()
    return result


def one_size(size: str, runs: int, methods: list[str], cap: float = 3600) -> dict[str, Any]:
    import pyoxigraph as ox

    trig, nquads = DATA / f"synthetic-{size}.trig", DATA / f"synthetic-{size}.nq"
    store = ox.Store()
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    quads, graphs = len(store), sum(1 for _ in store.named_graphs())
    log(f"{size}: {quads} quads in {graphs} graphs ({trig.name} as {nquads.name})")
    samples: dict[str, list[dict[str, Any]]] = {m: [] for m in methods}
    for round_ in range(runs):
        for method in methods:
            server = start_virtuoso()
            try:
                if method == BULK:
                    sample = bulk(server, nquads)
                else:
                    sample = capped(
                        kg_upload,
                        (server, store, 0 if method == PER_GRAPH else None, method == SERIAL),
                        cap if method == PER_GRAPH else 3600,
                    )
            finally:
                stop_virtuoso(server)
            if sample.get("stopped_after_s"):
                samples[method].append(sample)
                log(f"{size} round {round_ + 1}: {method}: stopped after {cap:.0f} s")
                continue
            if sample["quads"] != quads:
                raise RuntimeError(f"{method}: the server holds {sample['quads']} of {quads} quads")
            samples[method].append(sample)
            log(f"{size} round {round_ + 1}: {method}: {sample['seconds']:.1f} s, {sample['requests']} requests")
    result: dict[str, Any] = {"quads": quads, "graphs": graphs, "runs": runs, "methods": {}}
    for method, reports in samples.items():
        seconds = statistics.median(r["seconds"] for r in reports)
        result["methods"][method] = {
            "stopped_after_s": reports[0].get("stopped_after_s"),
            "median_s": seconds,
            "samples_s": [r["seconds"] for r in reports],
            "cpu_s": statistics.median(r["cpu_s"] for r in reports) if "cpu_s" in reports[0] else None,
            "server_cpu_s": (
                statistics.median(r["server_cpu_s"] for r in reports) if "server_cpu_s" in reports[0] else None
            ),
            "quads_per_s": quads / seconds,
            "requests": reports[0]["requests"],
            "timings": reports[0].get("timings"),
        }
    base = result["methods"].get(SERIAL, {}).get("median_s")
    bulk_s = result["methods"].get(BULK, {}).get("median_s")
    for entry in result["methods"].values():
        entry["speedup_vs_before"] = base / entry["median_s"] if base else None
        entry["times_bulk_loader"] = entry["median_s"] / bulk_s if bulk_s else None
    return result


def table(results: dict[str, Any]) -> str:
    sizes = list(results["sizes"])
    head = (
        "| method | "
        + " | ".join(f"{results['sizes'][s]['quads']:,} quads, {results['sizes'][s]['graphs']:,} graphs" for s in sizes)
        + " |"
    )
    lines = [head, "|---|" + "---|" * len(sizes)]
    methods = list(next(iter(results["sizes"].values()))["methods"])
    for method in methods:
        cells = []
        for size in sizes:
            entry = results["sizes"][size]["methods"].get(method)
            if not entry:
                cells.append("—")
                continue
            if entry.get("stopped_after_s"):
                cells.append(f"> {entry['stopped_after_s']:.0f} s (stopped)")
                continue
            speed, bulk_x = entry["speedup_vs_before"], entry["times_bulk_loader"]
            requests = f" · {entry['requests']:,} requests" if entry["requests"] else ""
            cpu = f" · CPU kg {entry['cpu_s']:.1f} s" if entry.get("cpu_s") is not None else " · CPU"
            cpu += f", server {entry['server_cpu_s']:.1f} s" if entry.get("server_cpu_s") is not None else ""
            cells.append(
                f"{entry['median_s']:.1f} s ({len(entry['samples_s'])}) · {entry['quads_per_s'] / 1000:.1f}k/s"
                f"{requests}{cpu}"
                + (f" · {speed:.2f}× before" if speed else "")
                + (f" · {bulk_x:.1f}× the bulk loader's time" if bulk_x and bulk_x != 1 else "")
            )
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1m")
    parser.add_argument("--runs", type=int, default=3, help="rounds at sizes below 1M")
    parser.add_argument("--runs-1m", type=int, default=1, help="rounds at 1M")
    parser.add_argument("--per-graph", action="store_true", help="also the first version: one request per graph")
    parser.add_argument("--methods", default="", help="only these, of per-graph,before,now,bulk (comma-separated)")
    parser.add_argument("--no-per-graph-above", default="", help="skip the per-graph method above this size")
    parser.add_argument("--cap", type=float, default=3600, help="stop the per-graph upload after this many seconds")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "upload.json"))
    opts = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, Any] = {"sizes": {}}
    for size in opts.sizes.split(","):
        methods = [SERIAL, BATCHED, BULK]
        if opts.per_graph and not (opts.no_per_graph_above == "100k" and size == "1m"):
            methods.insert(0, PER_GRAPH)
        if opts.methods:
            names = {"per-graph": PER_GRAPH, "before": SERIAL, "now": BATCHED, "bulk": BULK}
            methods = [names[name] for name in opts.methods.split(",")]
        results["sizes"][size] = one_size(size, opts.runs_1m if size == "1m" else opts.runs, methods, opts.cap)
        Path(opts.out).parent.mkdir(parents=True, exist_ok=True)
        Path(opts.out).write_text(json.dumps(results, indent=2), encoding="utf-8")  # so far
    results["seconds"] = time.perf_counter() - started
    version = subprocess.run(["virtuoso-t", "--help"], capture_output=True, text=True, check=False).stderr
    results["environment"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "virtuoso": next((line.strip() for line in version.splitlines() if "Version" in line), "?"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip(),
        "load_average": os.getloadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    out = Path(opts.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(table(results))
    log(f"total {results['seconds']:.0f} s → {out}")


if __name__ == "__main__":
    main()
