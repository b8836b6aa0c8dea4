"""Linkage analysis at scale (issue 13, item 7): the projection, then `kg analyze` old against new.

For each size (bench/data/synthetic-{label}.trig, or the folder given with --data, as bench_core.py finds
it; built into a temporary store with ``kg build --only FILE --no-validate``), one run measures:

* the projection store → networkx in a child process (``Snapshot.of(open_store(path))`` then
  ``kg.analysis.project.entity_graph``, each timed), and the floor of any projection that reads
  the whole store: iterating every quad through pyoxigraph;
* ``kg.analysis.measures.analyze(graph)`` with its defaults (what `kg analyze` runs after the
  projection: every measure of MEASURES, communities, brokers, k-core), **new** (this checkout)
  against **old** (kg/analysis/measures.py at ``--baseline`` loaded from git), alternated in the
  same process, wall and CPU seconds, and whether both give the same rows, communities,
  modularity and brokers;
* the new path's steps: the graph collapsed into igraph, then each measure;
* the load average before and after (the machine is shared: compare ratios from one run);
* the error of the sampled betweenness against exact values (bench/betweenness_error.py) for the
  sizes with at most ``--error-limit`` nodes.

    python bench/bench_analysis.py --quick             # 10k and 100k triples, one run
    python bench/bench_analysis.py                     # 10k, 100k and 1M, medians of 3
    python bench/bench_analysis.py --sizes 1M --runs 5

Prints Markdown tables and writes JSON to bench/results/analysis.json (analysis-quick.json with
--quick). Measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine, median, seconds  # noqa: E402

BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
KG_BIN = Path(sys.executable).parent / "kg"
BASELINE = "4be5c59"  # main before issue 13's analysis work

SEED = 20230316  # bench/generate.py's default, as in bench_core.py


# -- helpers ------------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def data_file(label: str, folder: Path | None) -> Path:
    """synthetic-{label}.trig from `folder` when given (any case of the label), else bench/data's,
    (re)generated like bench_core.py does."""
    if folder is not None:
        for name in (label, label.lower()):
            if (folder / f"synthetic-{name}.trig").exists():
                return folder / f"synthetic-{name}.trig"
    from bench.bench_core import dataset_file

    return dataset_file(parse_size(label), SEED)[0]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def clocked(function: Any) -> tuple[float, float, Any]:
    """Wall seconds, CPU seconds of this process, result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def baseline_module(rev: str) -> Any:
    """kg/analysis/measures.py as it was at `rev`, imported under another name (the old path)."""
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:kg/analysis/measures.py"], capture_output=True, text=True, check=True
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="kg-bench-baseline-"))
    path = folder / "measures_baseline.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("measures_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["measures_baseline"] = module
    spec.loader.exec_module(module)
    return module


# -- the projection, in child processes ------------------------------------------------------------


def projection_worker(store_path: str, mode: str, dump: str | None) -> None:
    """Child process: one projection ("kg") or the quad-iteration floor ("quads"); prints JSON."""
    import networkx  # noqa: F401  (imported before the clock starts, as a long-lived process would)

    from kg.analysis import project
    from kg.snapshot import Snapshot
    from kg.storage import open_store

    started = time.perf_counter()
    store = open_store(Path(store_path))
    if mode == "quads":
        count = sum(1 for _ in store.oxigraph.quads_for_pattern(None, None, None, None))
        print(json.dumps({"seconds": time.perf_counter() - started, "quads": count}))
        return
    snap = Snapshot.of(store)
    read = time.perf_counter() - started
    graph = project.entity_graph(snap)
    elapsed = time.perf_counter() - started
    if dump:
        with open(dump, "wb") as handle:
            pickle.dump(graph, handle, protocol=pickle.HIGHEST_PROTOCOL)
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "snapshot": read,
                "entity_graph": elapsed - read,
                "nodes": graph.number_of_nodes(),
                "edges": graph.number_of_edges(),
            }
        )
    )


def projection_runs(store: Path, mode: str, runs: int, budget: float, *, dump: Path | None = None) -> dict[str, Any]:
    """Up to `runs` child runs; stops at the first that overruns `budget` (reported as capped).
    The first run pickles the graph to `dump` when given."""
    times: list[float] = []
    parts: dict[str, list[float]] = {"snapshot": [], "entity_graph": []}
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
        for key in parts:
            if key in last:
                parts[key].append(last.pop(key))
    return {
        "seconds": median(times) if times and not capped else None,
        "runs": times,
        **{key: median(values) for key, values in parts.items() if values},
        "capped": capped,
        "budget": budget,
        **last,
    }


# -- analysis -------------------------------------------------------------------------------------


def old_against_new(graph: Any, runs: int, old: Any) -> dict[str, Any]:
    """`analyze(graph)` with its defaults, old and new alternated; wall and CPU medians; same answers?"""
    from kg.analysis import measures

    timings: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in ("old", "new")}
    results: dict[str, Any] = {}
    for _ in range(runs):
        for name, module in (("old", old), ("new", measures)):
            module._CONVERTED.clear()  # each run converts afresh, as one `kg analyze` does
            wall, cpu, results[name] = clocked(lambda m=module: m.analyze(graph))
            timings[name]["wall"].append(wall)
            timings[name]["cpu"].append(cpu)
    a, b = results["old"], results["new"]
    same = {
        "rows": a.rows == b.rows,
        "communities": a.communities == b.communities,
        "modularity": a.modularity == b.modularity,
        "brokers": a.brokers == b.brokers,
    }
    summary = {name: {k: median(v) for k, v in t.items()} for name, t in timings.items()}
    return {
        **summary,
        "runs": timings,
        "ratio_wall": summary["old"]["wall"] / summary["new"]["wall"],
        "ratio_cpu": summary["old"]["cpu"] / summary["new"]["cpu"],
        "same": same,
        "modularity": b.modularity,
        "communities": len(b.communities),
        "samples": measures._samples(graph.number_of_nodes(), None),
    }


def new_steps(graph: Any) -> dict[str, float]:
    """The new path's steps, once each: the collapse into igraph, then each measure (wall seconds)."""
    from kg.analysis import measures

    measures._CONVERTED.clear()
    n = graph.number_of_nodes()
    ctx = measures.Context(seed=0, samples=measures._samples(n, None))
    steps: dict[str, float] = {}
    if measures._engine(graph, "auto") != "igraph":
        steps["analyze (networkx engine)"] = clocked(lambda: measures.analyze(graph))[0]
        return steps
    steps["collapse into igraph"], _, ig = clocked(lambda: measures.igraph_of(graph))
    for item in measures.MEASURES:
        assert item.igraph is not None
        steps[item.name], _, _ = clocked(lambda i=item: i.igraph(ig, ctx))
    return steps


def error_table(graph: Any, seeds: int) -> dict[str, Any]:
    from bench.betweenness_error import measure

    return measure(graph, [32, 64, 128, 256, 512], seeds)


# -- the run --------------------------------------------------------------------------------------


def run_size(label: str, args: argparse.Namespace, workdir: Path, old: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"triples": label, "load_start": load()}
    source = data_file(label, args.data)
    store = (args.stores or workdir) / f"store-{label}"
    if not store.exists():
        started = time.perf_counter()
        subprocess.run(
            [str(KG_BIN), "--store", str(store), "build", "--only", str(source), "--no-validate"],
            check=True,
            capture_output=True,
        )
        entry["build_seconds"] = time.perf_counter() - started
        print(f"[{label}] store built in {entry['build_seconds']:.1f} s", file=sys.stderr)

    dump = workdir / f"graph-{label}.pickle"
    entry["projection"] = projection_runs(store, "kg", args.projection_runs, args.projection_budget, dump=dump)
    print(f"[{label}] projection: {seconds(entry['projection']['seconds'], args.projection_budget)}", file=sys.stderr)
    entry["quads_floor"] = projection_runs(store, "quads", args.projection_runs, 3600)
    if not dump.exists():  # kg's projection overran its budget: take the graph from one unbudgeted run
        projection_runs(store, "kg", 1, 3600, dump=dump)
    with open(dump, "rb") as handle:
        graph = pickle.load(handle)
    dump.unlink()
    if args.stores is None:
        shutil.rmtree(store, ignore_errors=True)
    entry.update(nodes=graph.number_of_nodes(), edges=graph.number_of_edges())
    print(f"[{label}] graph: {entry['nodes']:,} nodes, {entry['edges']:,} edges", file=sys.stderr)

    import igraph  # noqa: F401  (imported before the clock starts)

    entry["analyze"] = old_against_new(graph, args.runs, old)
    a = entry["analyze"]
    print(
        f"[{label}] analyze old {seconds(a['old']['wall'])} new {seconds(a['new']['wall'])} "
        f"({a['ratio_wall']:.1f}x; same: {a['same']})",
        file=sys.stderr,
    )
    entry["steps"] = new_steps(graph)
    if graph.number_of_nodes() <= args.error_limit:
        entry["betweenness_error"] = error_table(graph, args.seeds)
        print(f"[{label}] betweenness error measured", file=sys.stderr)
    entry["load_end"] = load()
    return entry


def table(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        f"{meta['date']}; {meta['machine']}; Python {meta['python']}; "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f"; medians of {meta['runs']} (projection: {meta['projection_runs']}); old = kg at {meta['baseline']}",
        "",
        "| triples → nodes (edges) | load avg (start → end) | projection (snapshot + entity graph) "
        "| every quad (floor) | `analyze` old: wall / CPU | new: wall / CPU | old / new (wall, CPU) "
        "| same rows, communities, brokers |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, e in results["sizes"].items():
        a, pr = e["analyze"], e["projection"]
        same = "yes" if all(a["same"].values()) else ", ".join(k for k, v in a["same"].items() if not v) + " differ"
        lines.append(
            f"| {label} → {e['nodes']:,} ({e['edges']:,}) | {e['load_start'].split()[0]} → {e['load_end'].split()[0]} "
            f"| {seconds(pr['seconds'], pr['budget'])} "
            f"({seconds(pr.get('snapshot'))} + {seconds(pr.get('entity_graph'))}) "
            f"| {seconds(e['quads_floor']['seconds'])} "
            f"| {seconds(a['old']['wall'])} / {seconds(a['old']['cpu'])} "
            f"| **{seconds(a['new']['wall'])}** / {seconds(a['new']['cpu'])} "
            f"| **{a['ratio_wall']:.1f}×**, {a['ratio_cpu']:.1f}× | {same} |"
        )
    labels = list(results["sizes"])
    steps = list(dict.fromkeys(k for e in results["sizes"].values() for k in e["steps"]))
    lines += ["", "| new path, step (one run, wall) | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
    for step in steps:
        cells = [seconds(results["sizes"][label]["steps"].get(step)) for label in labels]
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    for label, e in results["sizes"].items():
        err = e.get("betweenness_error")
        if not err:
            continue
        lines += [
            "",
            f"Betweenness from k sampled sources against exact, {label} ({err['nodes']:,} nodes; exact "
            f"{seconds(err['exact_seconds'])}; top exact value {err['top_exact']:.4f}); worst of "
            f"{next(iter(err['by_samples'].values()))['seeds']} seeds:",
            "",
            "| k | largest abs. error | (share of the top value) | mean abs. error "
            "| Spearman, exact top 100 | exact top 20 found in the estimated top 20 | seconds |",
            "|---|---|---|---|---|---|---|",
        ]
        for k, row in err["by_samples"].items():
            lines.append(
                f"| {k} | {row['max_abs']:.4f} | {row['max_abs_share_of_top']:.0%} | {row['mean_abs']:.5f} "
                f"| {row['spearman_top100']:.2f} | {row['top20_overlap']:.0%} | {seconds(row['seconds'])} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k triples, one run")
    parser.add_argument("--sizes", help="comma-separated triple counts (default 10k,100k,1M)")
    parser.add_argument("--runs", type=int, help="runs of old and new analyze (default 3; 1 with --quick)")
    parser.add_argument("--projection-runs", type=int, help="projection child runs (default: --runs)")
    parser.add_argument(
        "--projection-budget", type=float, default=600.0, help="seconds allowed per projection run (default 600)"
    )
    parser.add_argument("--baseline", default=BASELINE, help=f"git revision of the old path (default {BASELINE})")
    parser.add_argument("--data", type=Path, help="folder holding synthetic-{size}.trig (default: bench/data)")
    parser.add_argument("--stores", type=Path, help="keep the built stores here and reuse them")
    parser.add_argument("--error-limit", type=int, default=20_000, help="exact betweenness up to this many nodes")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per sample size in the error table")
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/analysis[-quick].json)")
    parser.add_argument("--worker", choices=["kg", "quads"], help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        projection_worker(args.store, args.worker, args.dump)
        return 0
    labels = args.sizes.split(",") if args.sizes else (["10k", "100k"] if args.quick else ["10k", "100k", "1M"])
    args.runs = args.runs or (1 if args.quick else 3)
    args.projection_runs = args.projection_runs or args.runs
    started = time.perf_counter()
    results: dict[str, Any] = {"meta": machine(("networkx", "igraph", "pyoxigraph")), "sizes": {}}
    results["meta"].update(runs=args.runs, projection_runs=args.projection_runs, baseline=args.baseline)
    old = baseline_module(args.baseline)
    workdir = Path(tempfile.mkdtemp(prefix="kg-bench-analysis-"))
    if args.stores:
        args.stores.mkdir(parents=True, exist_ok=True)
    try:
        for label in labels:
            results["sizes"][label] = run_size(label, args, workdir, old)
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
