"""Issue 11 benchmark: `kg search` latency at 1M quads, and `kg add` of a 10,000-entry fact sheet.

Search: a store is built from the synthetic 1M-quad graph (`bench/generate.py`; `kg build --only
FILE --no-validate`, which writes the search index like every build). Queries are words and
pairs of words taken from the graph's labels and quotes (seeded sample) plus a few very common
words. Measured, in the same run:

  * kg.search.search() — what `kg search` runs after parsing its arguments: open the index of the
    live generation, FTS5 match, rank, one hit per entity; p50 and p95 over all queries;
  * the baseline without an index: the same words looked up with SPARQL over the store
    (`FILTER(CONTAINS(LCASE(?text), word))` over labels and quotes), p50 over a few queries;
  * the whole `kg search` command in a new process (cold start included), median of 5;
  * the time the build spends writing the index (write_index on the built store).

Add: a source text of N sentences and a fact sheet of N entries (one new dialogue per entry with
date, host, guest and place; every 5th an agreement with two parties, every 7th a claim) are
generated. `kg add SHEET` on a fresh store (find quotes, resolve names, build graphs, validate,
swap) is timed against `kg build OUT.trig` of the same graphs written by `kg add --to-trig`
(also on a fresh store, validated: the default path of both).

    python bench/bench_search.py                     # 1M quads, 10,000 entries
    python bench/bench_search.py --quads 100k --entries 2000 --skip-add

Nothing here asserts a time. Results: bench/results/search.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine, median  # noqa: E402
from bench.generate import generate  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
KG = str(Path(sys.executable).parent / "kg")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def size(text: str) -> int:
    text = text.lower()
    return (
        int(float(text[:-1]) * 1_000)
        if text.endswith("k")
        else (int(float(text[:-1]) * 1_000_000) if text.endswith("m") else int(text))
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# ---------------------------------------------------------------- search at scale


def search_bench(quads: int, queries: int, seed: int) -> dict[str, Any]:
    from kg.build import build
    from kg.search import INDEX_FILE, search, write_index
    from kg.storage.location import open_store

    data = DATA / f"synthetic-{quads // 1000}k.nq"
    if not data.exists():
        log(f"generating {data} …")
        generate(data, triples=quads)
    store_path = DATA / f"search-store-{quads // 1000}k"
    if not (store_path / "current" / INDEX_FILE).exists():
        shutil.rmtree(store_path, ignore_errors=True)
        log(f"building {store_path} (--no-validate) …")
        started = time.perf_counter()
        build(store_path, [data], only=True, validate=False)
        log(f"  built in {time.perf_counter() - started:.1f} s")
    store = open_store(store_path)
    total = len(store)
    started = time.perf_counter()
    write_index(store, Path("/tmp") / f"kg-bench-index-{quads}.sqlite")
    index_seconds = time.perf_counter() - started
    Path(f"/tmp/kg-bench-index-{quads}.sqlite").unlink()

    rng = random.Random(seed)
    texts = [
        r["t"].value
        for r in store.query(
            "SELECT ?t WHERE { { ?e rdfs:label ?t } UNION { GRAPH kgg:provenance { ?g kg:quote ?t } } } LIMIT 200000"
        )
    ]
    words = sorted({w for t in texts for w in re.findall(r"[A-Za-z]{4,}", t)})
    sample = [rng.choice(words) for _ in range(queries // 2)]
    pairs = []
    for text in rng.sample(texts, queries // 2):
        found = re.findall(r"[A-Za-z]{4,}", text)
        if len(found) >= 2:
            start = rng.randrange(len(found) - 1)
            pairs.append(" ".join(found[start : start + 2]))
    common = ["summit", "agreement", "minister", "state", "visit"]
    asked = [*common, *sample, *pairs]
    times, hits = [], []
    search(store, "warm up")
    for text in asked:
        started = time.perf_counter()
        found = search(store, text, limit=10)
        times.append(time.perf_counter() - started)
        hits.append(len(found))
    common_times = times[: len(common)]

    scan_times = []
    for text in asked[len(common) : len(common) + 5]:
        word = text.split()[0].lower()
        started = time.perf_counter()
        list(
            store.query(
                "SELECT DISTINCT ?e WHERE { { ?e rdfs:label ?t } UNION { GRAPH ?e { ?s ?p ?o } ?e kg:quote ?t } "
                f'FILTER(CONTAINS(LCASE(STR(?t)), "{word}")) }} LIMIT 10'
            )
        )
        scan_times.append(time.perf_counter() - started)

    cold = []
    for text in asked[:5]:
        started = time.perf_counter()
        subprocess.run([KG, "--store", str(store_path), "search", text], check=True, capture_output=True)
        cold.append(time.perf_counter() - started)
    store.close()
    result = {
        "quads": total,
        "queries": len(asked),
        "with_hits": sum(1 for h in hits if h),
        "p50_ms": median(times) * 1000,
        "p95_ms": percentile(times, 0.95) * 1000,
        "common_words_p50_ms": median(common_times) * 1000,
        "sparql_scan_p50_ms": median(scan_times) * 1000,
        "speedup_vs_scan": median(scan_times) / median(times),
        "cold_cli_median_s": median(cold),
        "index_write_s": index_seconds,
        "index_mb": ((store_path / "current").resolve() / INDEX_FILE).stat().st_size / 2**20,
    }
    log(json.dumps(result, indent=2))
    return result


# ---------------------------------------------------------------- kg add vs kg build


def write_sheet(folder: Path, entries: int, seed: int) -> Path:
    """A source text of `entries` sentences and its fact sheet (YAML)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    states = [f"Benchland {i}" for i in range(40)]
    cities = [f"Port Bench {i}" for i in range(40)]
    sentences, lines = (
        [],
        [
            "source: {file: source.txt, title: Generated bench source, publisher: kg bench, issued: 2024}",
            "entries:",
        ],
    )
    for i in range(entries):
        a, b = rng.sample(range(40), 2)
        day = f"20{10 + i % 14:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        sentence = (
            f"In talks number {i}, held on {day}, {states[a]} hosted {states[b]} in {cities[a]} "
            f"and the two sides discussed item {rng.randrange(10**6)}."
        )
        sentences.append(sentence)
        lines += [f"  - id: e{i}", f'    quote: "{sentence}"', "    entities:"]
        if i < 40:
            lines += [
                f"      - {{label: {states[i]}, class: State}}",
                f"      - {{label: {cities[i]}, class: Place, relations: {{locatedIn: {states[i]}}}}}",
            ]
        lines += [
            f"      - {{label: Bench talks {i}, class: Dialogue, date: {day},",
            f"         relations: {{host: {states[a]}, guest: {states[b]}, place: {cities[a]}}}}}",
        ]
        if i % 5 == 0:
            lines += [
                f"      - {{label: Bench accord {i}, class: Arrangement, date: {day},",
                f"         relations: {{party: [{states[a]}, {states[b]}]}}}}",
            ]
        if i % 7 == 0:
            lines += [
                "    claims:",
                f"      - {{claimant: {states[a]}, content: Talks {i} went well., "
                f"about: Bench talks {i}, type: assertion}}",
            ]
    # Entities are declared before use: the states and cities come in the first 40 entries, so
    # entries 0..39 may name a state declared later; kg resolves names across the whole sheet.
    (folder / "source.txt").write_text("\n".join(sentences) + "\n", encoding="utf-8")
    sheet = folder / "facts.yaml"
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sheet


def run(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([KG, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"kg {' '.join(args)}: {done.stdout}{done.stderr}")
    return time.perf_counter() - started


def add_bench(entries: int, seed: int, repeats: int) -> dict[str, Any]:
    folder = DATA / f"sheet-{entries}"
    sheet = write_sheet(folder, entries, seed)
    trig = folder / "facts.trig"
    to_trig = run(["--store", str(folder / "unused"), "add", str(sheet), "--to-trig", str(trig)])
    add_times, build_times = [], []
    for _ in range(repeats):
        for store in (folder / "store-add", folder / "store-build"):
            shutil.rmtree(store, ignore_errors=True)
        add_times.append(run(["--store", str(folder / "store-add"), "add", str(sheet)]))
        build_times.append(run(["--store", str(folder / "store-build"), "build", str(trig)]))
    from kg.storage.location import open_store

    added, built = len(open_store(folder / "store-add")), len(open_store(folder / "store-build"))
    result = {
        "entries": entries,
        "sheet_kb": sheet.stat().st_size // 1024,
        "statements_added": added,
        "statements_built": built,
        "kg_add_s": median(add_times),
        "kg_build_s": median(build_times),
        "add_over_build": median(add_times) / median(build_times),
        "entries_per_s": entries / median(add_times),
        "to_trig_s": to_trig,
        "repeats": repeats,
    }
    log(json.dumps(result, indent=2))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quads", default="1M", help="Size of the synthetic graph for search (default 1M).")
    parser.add_argument("--queries", type=int, default=200, help="Search queries to time.")
    parser.add_argument("--entries", type=int, default=10_000, help="Entries of the generated fact sheet.")
    parser.add_argument("--repeats", type=int, default=1, help="Runs of kg add and kg build (median).")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-add", action="store_true", help="Only the search benchmark.")
    parser.add_argument("--skip-search", action="store_true", help="Only the add benchmark.")
    options = parser.parse_args()
    results: dict[str, Any] = {"machine": machine(["pyoxigraph", "pyshacl", "PyYAML", "jsonschema"])}
    if not options.skip_search:
        results["search"] = search_bench(size(options.quads), options.queries, options.seed)
    if not options.skip_add:
        results["add"] = add_bench(options.entries, options.seed, options.repeats)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "search.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
