"""`kg site` at 10k / 100k / 1M quads (issue 13, item 4): main before the change against kg now,
one process and worker processes, side by side in one run.

The baseline is kg as it was before issue 13's site work (``BASELINE``): its ``kg/``,
``ontology/`` and ``graph/`` are extracted with ``git archive`` into a temporary folder and run
from there, so the old code path lives only inside this benchmark. Each size is a synthetic graph
from bench/generate.py, built with the default, validated ``kg build --only FILE`` (or taken from
``--stores DIR/store-SIZE`` when given, a store built that way before: a validated 1M build takes
minutes). Every run is a fresh ``python -m kg site`` child process writing a fresh folder; the
versions alternate within a round so that load on the (shared) machine hits them alike.

Reported per size and version: median wall and CPU time (user + system of the child and its
workers), files and entity pages written, output size; ratios against the baseline.
Sizes listed in ``--new-only`` (default: 1m) skip the baseline, which takes many minutes there.

    python bench/bench_site.py                           # 10k,100k,1m, 3 runs each
    python bench/bench_site.py --sizes 10k --runs 1
    python bench/bench_site.py --stores /tmp/stores      # reuse DIR/store-10k, store-100k, …

Measurements, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "4be5c599eb051d269823db614a2a78ef6f03d58a"  # main before issue 13 item 4 (snapshot, no paging)
TARGET_100K = 60.0  # seconds, issue 13


def _child(code_dir: Path, args: list[str], cwd: Path) -> tuple[float, float, float, str]:
    """Run `python ARGS` with `code_dir` first on the path: wall s, CPU s, peak RSS MB, stderr."""
    env = {**os.environ, "PYTHONPATH": str(code_dir)}
    env.pop("CI", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{code_dir}: {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024, done.stderr


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _folder(path: Path) -> tuple[int, int, int]:
    """Files, entity pages and bytes under `path`."""
    files = [p for p in path.rglob("*") if p.is_file()]
    pages = sum(1 for p in files if p.parent.name == "entities" and p.suffix == ".html")
    return len(files), pages, sum(p.stat().st_size for p in files)


def _store(size: str, work: Path, stores: Path | None) -> Path:
    if stores is not None and (stores / f"store-{size}").exists():
        return stores / f"store-{size}"
    data = work / f"synthetic-{size}.trig"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "generate.py"), "--triples", size, "-o", str(data)],
        check=True,
        capture_output=True,
    )
    store = work / f"store-{size}"
    _child(ROOT, ["-m", "kg", "-q", "--store", str(store), "build", "--only", str(data)], work)
    return store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="synthetic graph sizes (bench/generate.py)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each version at each size")
    parser.add_argument("--new-only", default="1m", help="sizes measured without the baseline")
    parser.add_argument("--runs-new-only", type=int, default=1, help="runs at the --new-only sizes")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the old code")
    parser.add_argument("--stores", type=Path, help="folder with store-SIZE stores built before")
    opts = parser.parse_args(argv)
    sizes = [s for s in opts.sizes.split(",") if s]
    new_only = {s for s in opts.new_only.split(",") if s}
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
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
        for size in sizes:
            store = _store(size, work, opts.stores)
            versions: dict[str, tuple[Path, list[str]]] = {}
            if size not in new_only:
                versions[f"before ({opts.baseline[:7]})"] = (old, [])
            versions["now, 1 process"] = (ROOT, ["-j", "1"])
            versions["now, 2 processes"] = (ROOT, ["-j", "2"])
            runs = opts.runs_new_only if size in new_only else opts.runs
            table: dict[str, dict[str, list[float]]] = {
                n: {"wall": [], "cpu": [], "rss": [], "files": [], "pages": [], "bytes": []} for n in versions
            }
            for run in range(runs):
                for name, (code, extra) in versions.items():
                    out = work / f"site-{size}-{run}"
                    wall, cpu, rss, _ = _child(
                        code, ["-m", "kg", "--store", str(store), "site", str(out), *extra], work
                    )
                    files, pages, size_bytes = _folder(out)
                    shutil.rmtree(out)
                    row = table[name]
                    for key, value in (
                        ("wall", wall),
                        ("cpu", cpu),
                        ("rss", rss),
                        ("files", files),
                        ("pages", pages),
                        ("bytes", size_bytes),
                    ):
                        row[key].append(value)
                    print(
                        f"{size} run {run + 1}: {name}: {wall:.2f} s wall, {cpu:.2f} s CPU, "
                        f"{pages} entity pages, {size_bytes / 1e6:.0f} MB",
                        file=sys.stderr,
                    )
            results[size] = table
    load = os.getloadavg()[0]
    print(f"\n`kg site` at each size: medians, one child process per run, versions alternating (load {load:.1f})\n")
    print(
        "| size | version | runs | wall | CPU (user+sys) | peak RSS | files | entity pages | output | wall vs before |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size, table in results.items():
        base = next((t for n, t in table.items() if n.startswith("before")), None)
        for name, row in table.items():
            wall = _median(row["wall"])
            ratio = f"**{_median(base['wall']) / wall:.1f}×**" if base is not None and row is not base else ""
            print(
                f"| {size} | {name} | {len(row['wall'])} | {wall:.1f} s | {_median(row['cpu']):.1f} s | "
                f"{int(row['files'][-1]):,} | {int(row['pages'][-1]):,} | "
                f"{row['bytes'][-1] / 1e6:.0f} MB | {ratio} |"
            )
    if "100k" in results:
        best = min(_median(r["wall"]) for n, r in results["100k"].items() if not n.startswith("before"))
        verdict = "met" if best <= TARGET_100K else "NOT met"
        print(
            f"\nTarget at 100k (≤ {TARGET_100K:.0f} s wall): {verdict} ({best:.1f} s, the faster of 1 and 2 processes)"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "site.json").write_text(
        json.dumps({"baseline": opts.baseline, "runs": opts.runs, "load": load, "results": results}, indent=2),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
