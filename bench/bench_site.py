"""`kg site` before and after the graph snapshot (issue 10), side by side in one run.

The baseline is kg as it was before the snapshot (``BASELINE``, the last commit before issue 10):
its ``kg/``, ``ontology/`` and ``graph/`` are extracted with ``git archive`` into a temporary
folder and run from there, so the old code path lives only inside this benchmark. Both versions
write the site of the same store (a synthetic graph from bench/generate.py, built with the
default, validated ``kg build --only FILE``), each run a fresh ``python -m kg site`` child process;
runs alternate old/new so that load on the (shared) machine hits both alike. Reported: median
wall time and median CPU time (user + system of the child) per version, their ratios; then, in
separate child runs, the library call ``site_pages(store)`` alone (after the imports, which cost
both versions the same ~1.3 s of CPU here, igraph pulling in matplotlib from the test extras) and
how many SPARQL queries each version sends to the store.

    python bench/bench_site.py                 # 10k triples, 3 runs each: ~3 minutes
    python bench/bench_site.py --triples 1k --runs 1

Measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "8cca8b58603c131a9bd04832f1649017b361d671"  # main before issue 10: no snapshot

COUNT_QUERIES = """
import sys
from pathlib import Path
try:
    from kg.storage import embedded as module
    from kg.storage import open_store
    from kg.pages.site import site_pages
except ImportError:
    from kg import store as module
    from kg.store import open_store
    from kg.site import site_pages
import resource, time
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
store = open_store(Path(sys.argv[1]))
started, started_cpu = time.perf_counter(), cpu()
site_pages(store)  # the library call alone, after the imports: wall and CPU
wall, used = time.perf_counter() - started, cpu() - started_cpu
calls = 0
original = module.Store.query
def counting(self, *args, **kwargs):
    global calls
    calls += 1
    return original(self, *args, **kwargs)
module.Store.query = counting
pages = site_pages(store)
entity_pages = sum(1 for name in pages if name.startswith("entities/"))
print(calls, entity_pages, len(pages), wall, used)
"""


def _child(code_dir: Path, args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run `python -m kg ARGS` (or a script) from `code_dir`; wall seconds, CPU seconds, stdout."""
    env = {**os.environ, "PYTHONPATH": str(code_dir)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{code_dir}: {' '.join(args)} failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="10k", help="size of the synthetic graph (bench/generate.py)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each version")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the old code")
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kg-bench-site-") as folder:
        work = Path(folder)
        old = work / "baseline"
        old.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", opts.baseline, "kg", "ontology", "graph"],
            capture_output=True,
            check=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        data = work / f"synthetic-{opts.triples}.trig"
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "generate.py"), "--triples", opts.triples, "-o", str(data)],
            check=True,
            capture_output=True,
        )
        store = work / "store"
        _child(ROOT, ["-m", "kg", "--store", str(store), "build", "--only", str(data)], work)
        versions = {"before (baseline)": old, "after (snapshot)": ROOT}
        timings: dict[str, list[tuple[float, float]]] = {name: [] for name in versions}
        for run in range(opts.runs):
            for name, code in versions.items():
                out = work / f"site-{run}-{'old' if code == old else 'new'}"
                wall, cpu, _ = _child(code, ["-m", "kg", "--store", str(store), "site", str(out)], work)
                timings[name].append((wall, cpu))
                print(f"run {run + 1}: {name}: {wall:.2f} s wall, {cpu:.2f} s CPU", file=sys.stderr)
        counts: dict[str, tuple[int, int, int]] = {}
        library: dict[str, list[tuple[float, float]]] = {name: [] for name in versions}
        for _ in range(opts.runs):
            for name, code in versions.items():
                _, _, text = _child(code, ["-c", COUNT_QUERIES, str(store)], work)
                fields = text.split()
                counts[name] = (int(fields[0]), int(fields[1]), int(fields[2]))
                library[name].append((float(fields[3]), float(fields[4])))
    names = list(versions)
    wall = {n: _median([w for w, _ in timings[n]]) for n in names}
    cpu = {n: _median([c for _, c in timings[n]]) for n in names}
    print(
        f"\n`kg site` on bench/generate.py --triples {opts.triples}: median of {opts.runs} runs each, "
        "alternating, one child process per run\n"
    )
    print("| version | wall | CPU (user+sys) | SPARQL queries | entity pages | queries per entity page |")
    print("|---|---|---|---|---|---|")
    for name in names:
        queries, pages, _ = counts[name]
        print(f"| {name} | {wall[name]:.2f} s | {cpu[name]:.2f} s | {queries} | {pages} | {queries / pages:.2f} |")
    before, after = names
    print(
        f"\nSpeed-up of the command: **{wall[before] / wall[after]:.1f}×** wall, "
        f"**{cpu[before] / cpu[after]:.1f}×** CPU"
    )
    lib_wall = {n: _median([w for w, _ in library[n]]) for n in names}
    lib_cpu = {n: _median([c for _, c in library[n]]) for n in names}
    print("\nThe library call alone (`site_pages(store)` after the imports, same store, medians):\n")
    print("| version | wall | CPU |")
    print("|---|---|---|")
    for name in names:
        print(f"| {name} | {lib_wall[name]:.2f} s | {lib_cpu[name]:.2f} s |")
    print(
        f"\nSpeed-up of `site_pages`: **{lib_wall[before] / lib_wall[after]:.1f}×** wall, "
        f"**{lib_cpu[before] / lib_cpu[after]:.1f}×** CPU"
    )
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "site.json").write_text(
        json.dumps(
            {
                "triples": opts.triples,
                "runs": opts.runs,
                "baseline": opts.baseline,
                "timings": timings,
                "queries": counts,
                "library": library,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
