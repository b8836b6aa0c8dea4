"""What a user's `kg build` costs: the default (validated) build next to --no-validate, raw
pyoxigraph, rdflib and the pySHACL engine, in one run (issue 13).

    python bench/bench_validate.py                      # 10k, 100k, 1M → bench/results/validate.json
    python bench/bench_validate.py --sizes 100k --runs 5
    python bench/bench_validate.py --pyshacl-max 100k   # pySHACL at 100k too (~100 s a build)

Every measurement is a fresh child process (peak RSS and CPU from `wait4`); the kg rows are the
installed `kg` entry point, so start-up, the ontology and the counts are included. Rounds are
interleaved (A B C, A B C, …) so that load on the machine hits every method alike; the ratio
column is each method's median over the median of `kg build --no-validate` of the same run.
The store of the validated build is checked to hold the same number of quads.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_core import dataset_file, fmt_mb, fmt_ratio, fmt_s, label_size, log, parse_sizes, run_measured  # noqa: E402
from bench.common import machine, median  # noqa: E402

KG = str(Path(sys.executable).with_name("kg"))
NO_VALIDATE = "kg build --only FILE --no-validate"
DEFAULT = "kg build --only FILE (default: validated, SPARQL engine)"
PYSHACL = "kg build --only FILE --engine pyshacl"
OX_BULK = "pyoxigraph bulk_load (disk) + flush"
RDFLIB = "rdflib Dataset.parse (memory)"

_OX_SCRIPT = (
    "import sys, pyoxigraph as ox; s = ox.Store(sys.argv[2]); "
    "s.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS if sys.argv[1].endswith('.nq') else ox.RdfFormat.TRIG); "
    "s.flush(); print(len(s))"
)
_RDFLIB_SCRIPT = (
    "import sys, rdflib; d = rdflib.Dataset(default_union=True); "
    "d.parse(sys.argv[1], format='nquads' if sys.argv[1].endswith('.nq') else 'trig'); print(len(d))"
)


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _measure(method: str, file: Path, folder: Path, timeout: float) -> dict[str, Any]:
    store = folder / "store"
    shutil.rmtree(store, ignore_errors=True)
    env = {**os.environ, "CI": "true"}
    if method == NO_VALIDATE:
        cmd = [KG, "--store", str(store), "build", "--only", "--no-validate", str(file)]
    elif method == DEFAULT:
        cmd = [KG, "--store", str(store), "build", "--only", str(file)]
    elif method == PYSHACL:
        cmd = [
            "timeout",
            str(int(timeout)),
            KG,
            "--store",
            str(store),
            "build",
            "--only",
            "--engine",
            "pyshacl",
            str(file),
        ]
    elif method == OX_BULK:
        cmd = [sys.executable, "-c", _OX_SCRIPT, str(file), str(store)]
    else:
        cmd = [sys.executable, "-c", _RDFLIB_SCRIPT, str(file)]
    result = run_measured(cmd, env=env, check=False)
    if result["returncode"] == 124:
        return {"wall": None, "timed_out": timeout}
    if result["returncode"] != 0:
        raise RuntimeError(f"{method} failed:\n{result['stderr'][-2000:]}")
    text = result["stdout"].strip() or result["stderr"].strip()
    return {"wall": result["wall"], "cpu": result["cpu_s"], "maxrss_kb": result["maxrss_kb"], "output": text[-300:]}


def bench_size(quads: int, args: argparse.Namespace) -> dict[str, Any]:
    file, info = dataset_file(quads, args.seed)
    runs = args.runs if quads < 1_000_000 else args.runs_1m
    methods = [NO_VALIDATE, DEFAULT, OX_BULK]
    measured: dict[str, list[dict[str, Any]]] = {m: [] for m in [*methods, RDFLIB, PYSHACL]}
    folder = Path(tempfile.mkdtemp(prefix="kg-bench-validate-", dir=args.tmp))
    try:
        load_before = _load()
        for round_ in range(runs):
            for method in methods:
                log(f"{label_size(quads)} round {round_ + 1}/{runs}: {method}")
                measured[method].append(_measure(method, file, folder, args.timeout))
        if quads <= args.rdflib_max:
            log(f"{label_size(quads)}: {RDFLIB}")
            measured[RDFLIB].append(_measure(RDFLIB, file, folder, args.timeout))
        if quads <= args.pyshacl_max:
            log(f"{label_size(quads)}: {PYSHACL}")
            measured[PYSHACL].append(_measure(PYSHACL, file, folder, args.timeout))
        load_after = _load()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    base = median([r["wall"] for r in measured[NO_VALIDATE]])
    rows = {}
    for method, reports in measured.items():
        if not reports:
            continue
        walls = [r["wall"] for r in reports if r.get("wall") is not None]
        wall = median(walls) if walls else None
        rows[method] = {
            "runs": len(reports),
            "wall": wall,
            "timed_out": reports[0].get("timed_out"),
            "cpu": median([r["cpu"] for r in reports if "cpu" in r]) if walls else None,
            "maxrss_kb": max((r["maxrss_kb"] for r in reports if "maxrss_kb" in r), default=None),
            "ratio": (wall / base) if wall else None,
            "quads_per_s": info["quads"] / wall if wall else None,
            "output": reports[-1].get("output", ""),
        }
    return {
        "quads": info["quads"],
        "file": file.name,
        "load_before": load_before,
        "load_after": load_after,
        "rows": rows,
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Run {results['machine']['date']}, {results['machine']['machine']}, Python {results['machine']['python']}, "
        + ", ".join(f"{k} {v}" for k, v in results["machine"]["versions"].items()),
        "",
    ]
    for size in results["sizes"]:
        lines += [
            f"**{size['quads']:,} quads** ({size['file']}; load average before {size['load_before']}, "
            f"after {size['load_after']})",
            "",
            "| method | runs | median wall | CPU | quads/s | × --no-validate (wall) | × (CPU) | peak RSS |",
            "|---|---|---|---|---|---|---|---|",
        ]
        base_cpu = size["rows"][NO_VALIDATE]["cpu"]
        for method, row in size["rows"].items():
            wall = fmt_s(row["wall"]) if row["wall"] else f"> {row['timed_out']:.0f} s (stopped)"
            cpu = fmt_s(row["cpu"]) if row["cpu"] else "–"
            rate = f"{row['quads_per_s'] / 1000:.0f}k/s" if row["quads_per_s"] else "–"
            ratio = fmt_ratio(row["ratio"]) if row["ratio"] else "–"
            cpu_ratio = fmt_ratio(row["cpu"] / base_cpu) if row["cpu"] and base_cpu else "–"
            lines.append(
                f"| {method} | {row['runs']} | {wall} | {cpu} | {rate} | {ratio} | {cpu_ratio} | "
                f"{fmt_mb(row['maxrss_kb'])} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M")
    parser.add_argument("--runs", type=int, default=3, help="rounds below 1M quads")
    parser.add_argument("--runs-1m", type=int, default=3, help="rounds at 1M quads and above")
    parser.add_argument("--rdflib-max", type=parse_sizes_one, default=100_000)
    parser.add_argument("--pyshacl-max", type=parse_sizes_one, default=10_000)
    parser.add_argument("--timeout", type=float, default=600, help="stop the pySHACL build after this many seconds")
    parser.add_argument("--seed", type=int, default=20230316)
    parser.add_argument("--tmp", type=Path)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "validate.json")
    args = parser.parse_args(argv)
    results = {"machine": machine(["pyoxigraph", "rdflib", "pyshacl"]), "sizes": []}
    for quads in parse_sizes(args.sizes):
        results["sizes"].append(bench_size(quads, args))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    return 0


def parse_sizes_one(text: str) -> int:
    return parse_sizes(text)[0]


if __name__ == "__main__":
    sys.exit(main())
