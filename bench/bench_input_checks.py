"""What the input checks of issue 9 cost on the load path: kg's load_file against raw Oxigraph.

kg now reads each input as a regular file within the size limit, checks its bytes before the
parser (kg.safe_rdf.check_rdf: lines, long strings, nesting, NUL bytes) and gives the parser the
checked bytes. The baseline, measured in the same run on the same file, is pyoxigraph's bulk
loader reading the path itself (what kg did before). Both write a fresh on-disk store.

Usage::

    python bench/bench_input_checks.py --triples 100k 1m --runs 3
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, median, timed
from bench.generate import generate, parse_size
from kg.limits import Limits
from kg.readers.rdf import load_file
from kg.safe_rdf import check_rdf
from kg.storage.embedded import Store

DATA = Path(__file__).resolve().parent / "data"


def measure(file: Path, runs: int) -> dict[str, float]:
    fmt = ox.RdfFormat.TRIG if file.suffix == ".trig" else ox.RdfFormat.N_QUADS
    raw: list[float] = []
    kg: list[float] = []
    check: list[float] = []
    for _ in range(runs):
        data = file.read_bytes()
        check.append(timed(lambda data=data: check_rdf(data, fmt, str(file), Limits()))[0])  # type: ignore[misc]
        data = b""
        with tempfile.TemporaryDirectory() as folder:
            store = ox.Store(str(Path(folder) / "raw"))
            raw.append(timed(lambda store=store: store.bulk_load(path=str(file), format=fmt))[0])  # type: ignore[misc]
            store = None
        with tempfile.TemporaryDirectory() as folder:
            ours = Store(ox.Store(str(Path(folder) / "kg")), folder)
            kg.append(timed(lambda ours=ours: load_file(ours, file))[0])  # type: ignore[misc]
            ours.close()
    return {
        "raw_bulk_load_s": median(raw),
        "kg_load_file_s": median(kg),
        "check_only_s": median(check),
        "ratio": median(kg) / median(raw),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", nargs="+", default=["100k"], help="sizes (100k, 1m …)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", choices=["trig", "nq"], default="trig")
    args = parser.parse_args(argv)
    results = {"machine": machine(["pyoxigraph"]), "sizes": {}}
    print("| size | file | raw bulk_load(path) | kg load_file (read + check + load) | check alone | ratio |")
    print("|---|---|---|---|---|---|")
    for size in args.triples:
        DATA.mkdir(parents=True, exist_ok=True)
        file = DATA / f"synthetic-{size}.{args.format}"
        if not file.exists():
            generate(file, triples=parse_size(size))
        row = measure(file, args.runs)
        results["sizes"][size] = row | {"bytes": file.stat().st_size}
        print(
            f"| {size} | {file.stat().st_size / 2**20:.0f} MB | {row['raw_bulk_load_s']:.2f} s | "
            f"{row['kg_load_file_s']:.2f} s | {row['check_only_s']:.3f} s | {row['ratio']:.2f}× |"
        )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "input_checks.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
