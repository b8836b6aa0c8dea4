"""Linkage analysis: kg's projection and analysis path against plain networkx, on synthetic graphs.

For each size (a synthetic TriG file from bench/generate.py, regenerated when the generator
changed, built into a temporary store with ``kg build --only FILE --no-validate``), one run
measures:

* the projection store → networkx (``kg.analysis.project.entity_graph(open_store(path))``), each run in a
  child process with a time budget; next to it, in the same run, the floor of any projection that
  reads the whole store: iterating every quad through pyoxigraph;
* kg's analysis path: ``kg.analysis.measures.centrality(g, samples=256, engine="auto")`` +
  ``kg.analysis.measures.communities(g, engine="auto")`` (igraph above ``kg.analysis.measures.ENGINE_THRESHOLD``
  nodes), with a one-off breakdown into its steps;
* plain networkx on the same graph (``nx.Graph(g)``, ``nx.pagerank``,
  ``nx.community.louvain_communities(seed=0)``, ``nx.betweenness_centrality(k=256, seed=0)``):
  in full up to ``--nx-full-limit`` nodes; above it once, with betweenness from ``--nx-k-large``
  sampled sources scaled linearly to 256 (its cost is linear in the number of sources), always
  labelled "est.".

    python bench/bench_analysis.py --quick             # 10k and 100k triples, one run: ~1 minute
    python bench/bench_analysis.py                     # 100k and 1M triples, medians of 3: ~19 minutes
    python bench/bench_analysis.py --sizes 1M --runs 5

Prints a Markdown table and writes JSON to bench/results/analysis.json (analysis-quick.json with
--quick). Measurements, not tests: nothing here asserts a time. The machine is shared and noisy:
compare the ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import pickle
import random
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine, median, seconds, timed  # noqa: E402

BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
KG_BIN = Path(sys.executable).parent / "kg"
SAMPLES = 256

SEED = 20230316  # bench/generate.py's default, as in bench_core.py


# -- helpers ------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def data_file(label: str) -> Path:
    """bench/data/synthetic-{label}.trig, (re)generated like bench_core.py does."""
    from bench.bench_core import dataset_file

    return dataset_file(parse_size(label), SEED)[0]


# -- the projection, in child processes ------------------------------------------------------------


def projection_worker(store_path: str, mode: str, dump: str | None) -> None:
    """Child process: one projection ("kg") or the quad-iteration floor ("quads"); prints JSON."""
    import networkx  # noqa: F401  (imported before the clock starts, as a long-lived process would)

    from kg.analysis import project
    from kg.storage import open_store

    started = time.perf_counter()
    store = open_store(Path(store_path))
    if mode == "quads":
        count = sum(1 for _ in store.oxigraph.quads_for_pattern(None, None, None, None))
        print(json.dumps({"seconds": time.perf_counter() - started, "quads": count}))
        return
    graph = project.entity_graph(store)
    elapsed = time.perf_counter() - started
    if dump:
        with open(dump, "wb") as handle:
            pickle.dump(graph, handle, protocol=pickle.HIGHEST_PROTOCOL)
    print(json.dumps({"seconds": elapsed, "nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}))


def projection_runs(store: Path, mode: str, runs: int, budget: float, *, dump: Path | None = None) -> dict[str, Any]:
    """Up to `runs` child runs; stops at the first that overruns `budget` (reported as capped).
    The first run pickles the graph to `dump` when given."""
    times: list[float] = []
    last: dict[str, Any] = {}
    capped = False
    for run in range(runs):
        command = [sys.executable, __file__, "--worker", mode, "--store", str(store)]
        if dump and run == 0:
            command += ["--dump", str(dump)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=budget, check=True)
        except subprocess.TimeoutExpired:
            capped = True
            break
        last = json.loads(done.stdout.strip().splitlines()[-1])
        times.append(last.pop("seconds"))
    return {
        "seconds": median(times) if times and not capped else None,
        "runs": times,
        "capped": capped,
        "budget": budget,
        **last,
    }


# -- analysis -------------------------------------------------------------------------------------


def kg_analysis(graph: Any, runs: int) -> dict[str, Any]:
    """kg's centrality (betweenness from SAMPLES sources, as networkx below) and communities, on the
    graph collapsed once as `kg.analysis.measures.analyze` does; and `analyze` itself with its defaults."""
    from kg.analysis.measures import ENGINE_THRESHOLD, analyze, centrality, communities, simple_undirected

    cent, comm, totals, full = [], [], [], []
    groups: list[list[str]] = []
    modularity = 0.0
    for _ in range(runs):
        started = time.perf_counter()
        simple = simple_undirected(graph)
        a, _rows = timed(partial(centrality, simple, samples=SAMPLES, engine="auto"))
        b, (groups, modularity) = timed(partial(communities, simple, engine="auto"))
        totals.append(time.perf_counter() - started)
        cent.append(a)
        comm.append(b)
        full.append(timed(lambda: analyze(graph))[0])
    engine = "igraph" if graph.number_of_nodes() > ENGINE_THRESHOLD else "networkx"
    return {
        "seconds": median(totals),
        "runs": totals,
        "centrality": median(cent),
        "communities": median(comm),
        "engine": engine,
        "modularity": modularity,
        "groups": len(groups),
        "analyze_defaults": median(full),
        "analyze_defaults_runs": full,
    }


def kg_breakdown(graph: Any) -> dict[str, float]:
    """The steps of kg's igraph path, once each (kg internals; for finding the bottleneck)."""
    import igraph

    from kg.analysis.measures import _igraph_eigenvector, _to_igraph, simple_undirected

    steps: dict[str, float] = {}
    steps["simple_undirected"], simple = timed(lambda: simple_undirected(graph))
    steps["to_igraph"], converted = timed(lambda: _to_igraph(simple))
    g, n = converted.graph, converted.graph.vcount()
    steps["pagerank"], _ = timed(lambda: g.pagerank(weights="weight", implementation="arpack"))
    steps["eigenvector"], _ = timed(lambda: _igraph_eigenvector(converted))
    sources = random.Random(0).sample(range(n), min(SAMPLES, n))
    steps["betweenness_256"], _ = timed(lambda: g.betweenness(vertices=None, directed=False, sources=sources))
    igraph.set_random_number_generator(random.Random(0))
    try:
        steps["leiden"], clustering = timed(
            lambda: g.community_leiden(objective_function="modularity", weights="weight", n_iterations=2)
        )
        steps["louvain_multilevel"], _ = timed(lambda: g.community_multilevel(weights="weight"))
    finally:
        igraph.set_random_number_generator(random)
    steps["modularity"], _ = timed(lambda: g.modularity(clustering.membership, weights="weight"))
    return steps


def networkx_analysis(graph: Any, runs: int, k: int) -> dict[str, Any]:
    """Plain networkx: convert to a simple undirected graph, PageRank, Louvain, sampled betweenness."""
    import networkx as nx

    steps: dict[str, list[float]] = {"convert": [], "pagerank": [], "louvain": [], "betweenness": []}
    modularity = 0.0
    groups: list[Any] = []
    for _ in range(runs):
        t, simple = timed(lambda: nx.Graph(graph))
        steps["convert"].append(t)
        t, _ = timed(lambda s=simple: nx.pagerank(s))
        steps["pagerank"].append(t)
        t, groups = timed(lambda s=simple: nx.community.louvain_communities(s, seed=0))
        steps["louvain"].append(t)
        t, _ = timed(lambda s=simple: nx.betweenness_centrality(s, k=min(k, s.number_of_nodes()), seed=0))
        steps["betweenness"].append(t)
        modularity = nx.community.modularity(simple, groups)
    med = {name: median(values) for name, values in steps.items()}
    scale = SAMPLES / k
    total = med["convert"] + med["pagerank"] + med["louvain"] + med["betweenness"] * scale
    return {
        "seconds": total,
        "estimated": k != SAMPLES,
        "k": k,
        "betweenness_scale": scale,
        "runs": runs,
        "steps": med,
        "step_runs": steps,
        "modularity": modularity,
        "groups": len(groups),
    }


# -- the run --------------------------------------------------------------------------------------


def run_size(label: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {"triples": label}
    source = data_file(label)
    store = workdir / f"store-{label}"
    started = time.perf_counter()
    subprocess.run(
        [str(KG_BIN), "--store", str(store), "build", "--only", str(source), "--no-validate"],
        check=True,
        capture_output=True,
    )
    entry["build_seconds"] = time.perf_counter() - started
    print(f"[{label}] store built in {entry['build_seconds']:.1f} s", file=sys.stderr)

    dump = workdir / f"graph-{label}.pickle"
    entry["projection"] = projection_runs(store, "kg", args.runs, args.projection_budget, dump=dump)
    print(f"[{label}] projection: {seconds(entry['projection']['seconds'], args.projection_budget)}", file=sys.stderr)
    entry["quads_floor"] = projection_runs(store, "quads", args.runs, 3600)
    if not dump.exists():  # kg's projection overran its budget: take the graph from one unbudgeted run
        projection_runs(store, "kg", 1, 3600, dump=dump)
    with open(dump, "rb") as handle:
        graph = pickle.load(handle)
    dump.unlink()
    shutil.rmtree(store, ignore_errors=True)
    from kg.analysis.measures import simple_undirected

    simple = simple_undirected(graph)
    entry.update(nodes=graph.number_of_nodes(), edges=graph.number_of_edges(), simple_edges=simple.number_of_edges())
    del simple
    print(f"[{label}] graph: {entry['nodes']:,} nodes, {entry['edges']:,} edges", file=sys.stderr)

    import igraph  # noqa: F401  (imported before the clock starts)

    entry["kg"] = kg_analysis(graph, args.runs)
    print(f"[{label}] kg analysis: {seconds(entry['kg']['seconds'])} ({entry['kg']['engine']})", file=sys.stderr)
    if args.breakdown and entry["kg"]["engine"] == "igraph":
        entry["kg_breakdown"] = kg_breakdown(graph)
    full = graph.number_of_nodes() <= args.nx_full_limit
    entry["networkx"] = networkx_analysis(graph, args.runs if full else 1, SAMPLES if full else args.nx_k_large)
    print(
        f"[{label}] networkx: {seconds(entry['networkx']['seconds'])}"
        + (" (est.)" if entry["networkx"]["estimated"] else ""),
        file=sys.stderr,
    )
    return entry


def table(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"{meta['date']}; {meta['machine']}; Python {meta['python']}; "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f"; medians of {meta['runs']}",
        "",
        "| triples → nodes (edges) | build | projection | every quad (floor) "
        "| kg analysis (centrality + communities) | plain networkx | networkx / kg "
        "| `kg analyze` defaults (+ brokers, k-core) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, e in results["sizes"].items():
        kg, nx_ = e["kg"], e["networkx"]
        nx_text = seconds(nx_["seconds"])
        if nx_["estimated"]:
            nx_text = f"≈ {nx_text} est. (betweenness k={nx_['k']} × {nx_['betweenness_scale']:.0f}; single run)"
        lines.append(
            f"| {label} → {e['nodes']:,} ({e['edges']:,}) | {seconds(e['build_seconds'])} "
            f"| {seconds(e['projection']['seconds'], e['projection']['budget'])} "
            f"| {seconds(e['quads_floor']['seconds'])} "
            f"| {seconds(kg['seconds'])} ({seconds(kg['centrality'])} + {seconds(kg['communities'])}; {kg['engine']}) "
            f"| {nx_text} | {'≈ ' if nx_['estimated'] else ''}{nx_['seconds'] / kg['seconds']:.0f}× "
            f"| {seconds(kg.get('analyze_defaults'))} |"
        )
    lines += ["", "| triples | step (one run) | seconds |", "|---|---|---|"]
    for label, e in results["sizes"].items():
        for step, value in e.get("kg_breakdown", {}).items():
            lines.append(f"| {label} | kg {step} | {seconds(value)} |")
        for step, value in e["networkx"]["steps"].items():
            k = f" (k={e['networkx']['k']})" if step == "betweenness" else ""
            lines.append(f"| {label} | networkx {step}{k} | {seconds(value)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k triples, one run")
    parser.add_argument("--sizes", help="comma-separated triple counts (default 100k,1M)")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 3; 1 with --quick)")
    parser.add_argument(
        "--projection-budget",
        type=float,
        default=300.0,
        help="seconds allowed for kg's projection per run (default 300)",
    )
    parser.add_argument(
        "--nx-full-limit", type=int, default=30_000, help="run networkx in full up to this many nodes (default 30000)"
    )
    parser.add_argument(
        "--nx-k-large",
        type=int,
        default=8,
        help="betweenness sources for networkx above the limit, scaled to 256 (default 8)",
    )
    parser.add_argument("--no-breakdown", dest="breakdown", action="store_false")
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/analysis[-quick].json)")
    parser.add_argument("--worker", choices=["kg", "quads"], help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        projection_worker(args.store, args.worker, args.dump)
        return 0
    labels = args.sizes.split(",") if args.sizes else (["10k", "100k"] if args.quick else ["100k", "1M"])
    args.runs = args.runs or (1 if args.quick else 3)
    if args.quick:
        args.projection_budget = min(args.projection_budget, 60.0)
    started = time.perf_counter()
    results: dict[str, Any] = {"meta": machine(("networkx", "igraph", "pyoxigraph")), "sizes": {}}
    results["meta"].update(
        runs=args.runs,
        samples=SAMPLES,
        projection_budget=args.projection_budget,
        nx_full_limit=args.nx_full_limit,
        nx_k_large=args.nx_k_large,
    )
    workdir = Path(tempfile.mkdtemp(prefix="kg-bench-analysis-"))
    try:
        for label in labels:
            results["sizes"][label] = run_size(label, args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    results["meta"]["total_seconds"] = time.perf_counter() - started
    output = args.output or RESULTS / ("analysis-quick.json" if args.quick else "analysis.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\n{results['meta']['total_seconds']:.0f} s in all; JSON: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
