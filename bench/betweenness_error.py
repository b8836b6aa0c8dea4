"""How far kg's sampled betweenness is from the exact values, on a graph small enough for exact.

For a projected graph: exact betweenness (igraph, all sources, normalised as kg normalises), then
kg's estimate (`kg.analysis.measures` with `samples=k`, uniformly drawn sources scaled by n/k) for
each k and several seeds. Reported per k, worst over the seeds: the largest and the mean absolute
error, the largest error as a share of the top exact value, Spearman's rank correlation of the
exact top 100 (their exact order against their estimated order), and how many of the exact top 20
are in the estimated top 20.

    python bench/betweenness_error.py STORE [--samples 32,64,128,256] [--seeds 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _spearman(values_a: list[float], values_b: list[float]) -> float:
    """Spearman's rho of two score lists over the same items (ties by average rank)."""

    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        result = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                result[order[k]] = (i + j) / 2
            i = j + 1
        return result

    ra, rb = ranks(values_a), ranks(values_b)
    n = len(ra)
    mean_a, mean_b = sum(ra) / n, sum(rb) / n
    cov = sum((x - mean_a) * (y - mean_b) for x, y in zip(ra, rb, strict=True))
    var_a = sum((x - mean_a) ** 2 for x in ra) ** 0.5
    var_b = sum((y - mean_b) ** 2 for y in rb) ** 0.5
    return cov / (var_a * var_b) if var_a and var_b else 1.0


def compare(exact: list[float], estimate: list[float], top: int = 100, head: int = 20) -> dict[str, float]:
    """Error of one estimate against the exact values (same vertex order)."""
    n = len(exact)
    errors = [abs(a - b) for a, b in zip(exact, estimate, strict=True)]
    best = sorted(range(n), key=lambda i: -exact[i])
    best_estimated = sorted(range(n), key=lambda i: -estimate[i])
    chosen = best[:top]
    return {
        "max_abs": max(errors),
        "mean_abs": sum(errors) / n,
        "max_abs_share_of_top": max(errors) / (exact[best[0]] or 1.0),
        "spearman_top100": _spearman([exact[i] for i in chosen], [estimate[i] for i in chosen]),
        "top20_overlap": len(set(best[:head]) & set(best_estimated[:head])) / head,
    }


def measure(graph: Any, samples: list[int], seeds: int) -> dict[str, Any]:
    """Exact betweenness, then the estimate for each sample size and seed; worst case per size."""
    from kg.analysis.measures import Context, _betweenness_ig, igraph_of

    ig = igraph_of(graph)
    n = ig.graph.vcount()
    started = time.perf_counter()
    exact = _betweenness_ig(ig, Context(samples=None))
    exact_seconds = time.perf_counter() - started
    rows = {}
    for k in samples:
        if k >= n:
            continue
        found = []
        spent = []
        for seed in range(seeds):
            started = time.perf_counter()
            estimate = _betweenness_ig(ig, Context(seed=seed, samples=k))
            spent.append(time.perf_counter() - started)
            found.append(compare(exact, estimate))
        worst = {
            key: (min if key in ("spearman_top100", "top20_overlap") else max)(f[key] for f in found)
            for key in found[0]
        }
        rows[str(k)] = {**worst, "seconds": sorted(spent)[len(spent) // 2], "seeds": seeds}
    return {
        "nodes": n,
        "edges": ig.graph.ecount(),
        "exact_seconds": exact_seconds,
        "top_exact": max(exact),
        "by_samples": rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--samples", default="16,32,64,128,256")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    from kg.analysis.project import entity_graph
    from kg.snapshot import Snapshot
    from kg.storage import open_store

    graph = entity_graph(Snapshot.of(open_store(args.store)))
    result = measure(graph, [int(k) for k in args.samples.split(",")], args.seeds)
    text = json.dumps(result, indent=2)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
