"""Core benchmarks of kg: cold CLI query time, load throughput, and SPARQL on a 1M-quad graph.

One run prints a Markdown table and writes JSON (bench/results/core.json, or core-quick.json with
--quick). Every number is a median of several runs, next to a baseline measured in the same run
(Python start-up, raw pyoxigraph, rdflib), because the machine is shared and noisy: compare the
ratios, not the absolute seconds.

    python bench/bench_core.py --quick          # 100k quads, a smoke run of about a minute
    python bench/bench_core.py                  # 1M quads, a few minutes (rdflib dominates)
    python bench/bench_core.py --sizes 100k,1M --runs 5

Each measurement runs in a child process (this script with --worker), so peak memory (ru_maxrss
of that child, from wait4) belongs to one method only. These are measurements, not tests: nothing
here asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
BUNDLED_GRAPH = ROOT / "graph" / "japan-rok-2023.trig"
MINI_GRAPH = ROOT / "tests" / "data" / "mini.trig"
KG_BIN = Path(sys.executable).parent / "kg"
# Above this size, pyoxigraph's transactional on-disk Store.load is run --disk-load-runs times only
# (about a minute per run at 1M quads).
SLOW_DISK_LOAD_BYTES = 8 * 1024 * 1024

PREFIXES = """PREFIX kg: <https://w3id.org/kg-diplomacy/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
ROLES = "kg:host|kg:guest|kg:visitor|kg:member|kg:speaker"
HUB = "https://example.org/bench/resource/state-0"  # the most active actor of a generated graph

QUERIES = {
    # "one actor's events ordered by date": the shape of most canned queries
    "anchored": PREFIXES
    + f"""SELECT ?event ?date ?label WHERE {{
  ?event {ROLES} <{HUB}> ;
         kg:date ?date ;
         rdfs:label ?label .
}} ORDER BY ?date ?event""",
    # events per actor and year: a whole-graph aggregate
    "group_by": PREFIXES
    + f"""SELECT ?actor ?year (COUNT(?event) AS ?events) WHERE {{
  ?event {ROLES} ?actor ;
         kg:date ?date .
  BIND(SUBSTR(STR(?date), 1, 4) AS ?year)
}} GROUP BY ?actor ?year""",
}

CLI_QUERY = (
    "SELECT ?event ?date WHERE { ?event kg:date ?date . "
    "{ ?event a kg:Summit } UNION { ?event a kg:PressConference } } ORDER BY ?date"
)


# -- small helpers ---------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def label_size(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def fmt_s(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "–"
    if seconds < 0.1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def fmt_rate(per_second: float) -> str:
    return f"{per_second / 1000:.0f}k/s" if per_second == per_second else "–"


def fmt_mb(kb: float | None) -> str:
    return f"{kb / 1024:.0f} MB" if kb else "–"


def fmt_ratio(value: float) -> str:
    if value != value:
        return "–"
    return f"{value:.2f}×" if value < 10 else f"{value:.0f}×"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_measured(
    cmd: list[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None, check: bool = True
) -> dict[str, Any]:
    """Run a command; its wall time, peak RSS (KB, of that process only), exit code and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result: dict[str, Any] = {
            "wall": wall,
            "maxrss_kb": usage.ru_maxrss,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "returncode": process.returncode,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }
    if check and result["returncode"] != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result['returncode']}):\n{result['stderr'][-2000:]}")
    return result


def worker(name: str, *args: str) -> dict[str, Any]:
    """Run `name` in a child interpreter; its JSON report plus the child's peak RSS."""
    result = run_measured([sys.executable, str(Path(__file__).resolve()), "--worker", name, *args])
    report: dict[str, Any] = json.loads(result["stdout"].strip().splitlines()[-1])
    report["maxrss_kb"] = result["maxrss_kb"]
    report["child_wall"] = result["wall"]
    return report


@contextlib.contextmanager
def scratch(base: Path | None, name: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=f"kg-bench-{name}-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- workers (run in child processes) -------------------------------------------------------


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> dict[str, float]:
    """Wall and CPU seconds (all threads of this process) since `start`."""
    wall, cpu = _clock()
    return {"seconds": wall - start[0], "cpu_s": cpu - start[1]}


def _rows(result: Any) -> int:
    return sum(1 for _ in (tuple(row) for row in result))


def _time_queries(run: Callable[[str], Any], runs: int, names: list[str]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for name in names:
        times, cpu, rows = [], [], None
        for _ in range(runs):
            start = _clock()
            count = _rows(run(QUERIES[name]))
            spent = _since(start)
            times.append(spent["seconds"])
            cpu.append(spent["cpu_s"])
            rows = count
        report[name] = {"times": times, "cpu": cpu, "rows": rows}
    return report


class _Recorder:
    """Stands in for the pyoxigraph Store inside kg's Store, noting which loader kg calls."""

    def __init__(self, real: Any):
        self.real = real
        self.called: list[str] = []

    def __getattr__(self, name: str) -> Any:
        if name in ("load", "bulk_load"):
            self.called.append(name)
        return getattr(self.real, name)


def worker_kg_load(file: str, store: str) -> dict[str, Any]:
    """kg's own load path: a new store generation (flushed, swapped in) and kg.storage.embedded.load_file."""
    from kg.readers.rdf import load_file
    from kg.storage import open_store
    from kg.storage.embedded import new_generation

    start = _clock()
    with new_generation(Path(store)) as (target, _):
        recorder = _Recorder(target.oxigraph)
        target.oxigraph = recorder  # type: ignore[assignment]
        load_file(target, Path(file))
        target.oxigraph = recorder.real
    spent = _since(start)
    quads = len(open_store(Path(store)))
    return {**spent, "quads": quads, "loader": "+".join(recorder.called) or "?"}


def worker_ox(file: str, folder: str, method: str) -> dict[str, Any]:
    """Raw pyoxigraph into an on-disk store: Store(path).bulk_load or .load, then flush."""
    import pyoxigraph as ox

    start = _clock()
    store = ox.Store(folder)
    getattr(store, method)(path=file, format=ox.RdfFormat.TRIG)
    store.flush()
    del store
    spent = _since(start)
    quads = len(ox.Store.read_only(folder))
    return {**spent, "quads": quads}


def worker_ox_memory(file: str, runs: int, names: list[str]) -> dict[str, Any]:
    """Raw pyoxigraph in memory: Store().load, then (if runs) the queries, union default graph."""
    import resource

    import pyoxigraph as ox

    start = _clock()
    store = ox.Store()
    store.load(path=file, format=ox.RdfFormat.TRIG)
    spent = _since(start)
    report: dict[str, Any] = {
        **spent,
        "quads": len(store),
        "load_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    if runs:
        report["queries"] = _time_queries(lambda text: store.query(text, use_default_graph_as_union=True), runs, names)
    return report


def worker_kg_query(store: str, runs: int, names: list[str], optimize: str = "") -> dict[str, Any]:
    """kg.query.run_query (guard, union default graph) on a built store; rows materialised.

    With `optimize`, Store.optimize() (RocksDB compaction) runs on the live generation first.
    """
    from kg.query import run_query
    from kg.storage import open_store
    from kg.storage.embedded import _live_database

    report: dict[str, Any] = {}
    if optimize:
        import pyoxigraph as ox

        start = _clock()
        writable = ox.Store(str(_live_database(Path(store))))
        writable.optimize()
        del writable
        report["optimize"] = _since(start)
    opened = open_store(Path(store))
    report.update(_time_queries(lambda text: run_query(opened, text), runs, names))
    return report


def worker_rdflib(file: str, runs: int, names: list[str]) -> dict[str, Any]:
    """rdflib: parse into an in-memory Dataset (default graph = union), then the same queries."""
    import resource

    import rdflib

    start = _clock()
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(file, format="trig")
    spent = _since(start)
    parse_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    quads = sum(1 for _ in dataset.quads((None, None, None, None)))
    report: dict[str, Any] = {**spent, "quads": quads, "load_maxrss_kb": parse_rss}
    if runs:
        report["queries"] = _time_queries(lambda text: dataset.query(text), runs, names)
    return report


def run_worker(name: str, args: list[str]) -> None:
    names = args[2].split(",") if len(args) > 2 and args[2] else []
    if name == "kg-load":
        report = worker_kg_load(args[0], args[1])
    elif name in ("ox-bulk_load", "ox-load"):
        report = worker_ox(args[0], args[1], name.split("-", 1)[1])
    elif name == "ox-memory":
        report = worker_ox_memory(args[0], int(args[1]), names)
    elif name == "kg-query":
        report = worker_kg_query(args[0], int(args[1]), names, *args[3:])
    elif name == "rdflib":
        report = worker_rdflib(args[0], int(args[1]), names)
    else:
        raise SystemExit(f"unknown worker {name}")
    print(json.dumps(report))


# -- a. cold CLI -----------------------------------------------------------------------------


def bench_cli(runs: int, tmp: Path | None) -> dict[str, Any]:
    """`kg query` as a user runs it: a fresh process each time, against a built store."""
    env = dict(os.environ)
    env.pop("KG_STORE", None)
    with scratch(tmp, "cli") as folder:
        store = folder / "store"
        note = ""
        if BUNDLED_GRAPH.exists():
            build = run_measured([str(KG_BIN), "--store", str(store), "build"], env=env, check=False)
            graph = "bundled graph (graph/japan-rok-2023.trig)"
            if build["returncode"] != 0:
                build = run_measured([str(KG_BIN), "--store", str(store), "build", "--allow-invalid"], env=env)
                note = (
                    "the bundled graph does not validate yet: store built with --allow-invalid "
                    f"({build['stderr'].count('Violation')} violation line(s))"
                )
        else:
            build = run_measured([str(KG_BIN), "--store", str(store), "build", "--only", str(MINI_GRAPH)], env=env)
            graph = "tests/data/mini.trig (graph/japan-rok-2023.trig does not exist yet)"
            note = "fallback: built with `kg build --only tests/data/mini.trig`"
        log(f"CLI store built: {build['stdout'].strip()}")

        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import kg.cli'": [sys.executable, "-c", "import kg.cli"],
            "kg --version": [str(KG_BIN), "--version"],
            "kg query (simple)": [str(KG_BIN), "--store", str(store), "query", CLI_QUERY],
        }
        from kg.query import canned_queries

        canned = sorted(canned_queries())
        if canned:
            commands[f"kg query {canned[0]} (canned)"] = [str(KG_BIN), "--store", str(store), "query", canned[0]]
        else:
            note += ("; " if note else "") + "no canned queries are shipped yet (kg/queries/*.rq)"
        times: dict[str, list[float]] = {name: [] for name in commands}
        rss: dict[str, list[int]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm the page cache, check it works
            run_measured(cmd, env=env)
        for _ in range(runs):  # interleaved, so drift hits every command alike
            for name, cmd in commands.items():
                result = run_measured(cmd, env=env)
                times[name].append(result["wall"])
                rss[name].append(result["maxrss_kb"])
                cpu[name].append(result["cpu_s"])
        rows = run_measured(commands["kg query (simple)"] + ["--format", "csv"], env=env)
    baseline = median(times["python -c pass"])
    return {
        "graph": graph,
        "note": note,
        "query": CLI_QUERY,
        "query_rows": max(0, len(rows["stdout"].strip().splitlines()) - 1),
        "runs": runs,
        "commands": {
            name: {
                "median": median(values),
                "min": min(values),
                "max": max(values),
                "ratio_to_python": median(values) / baseline,
                "maxrss_kb": median(rss[name]),
                "cpu_s": median(cpu[name]),
                "times": values,
            }
            for name, values in times.items()
        },
    }


# -- b. load ---------------------------------------------------------------------------------


def dataset_file(quads: int, seed: int) -> tuple[Path, dict[str, Any]]:
    """The generated file for a size, regenerated when missing or made by another generator."""
    from bench.generate import generate

    path = DATA / f"synthetic-{label_size(quads)}.trig"
    sidecar = path.with_suffix(".trig.json")
    source_hash = hashlib.sha256((BENCH / "generate.py").read_bytes()).hexdigest()[:16]
    if path.exists() and sidecar.exists():
        info: dict[str, Any] = json.loads(sidecar.read_text())
        if info.get("generator") == source_hash and info.get("seed") == seed:
            return path, info
    log(f"generating {path.name} (~{quads} quads)")
    stats = generate(path, quads, seed=seed)
    info = {**stats.__dict__, "generator": source_hash}
    sidecar.write_text(json.dumps(info, indent=2))
    return path, info


@dataclass
class Options:
    runs: int  # load rounds
    query_runs: int  # kg and pyoxigraph query runs
    rdflib_runs: int  # rdflib query runs
    disk_load_runs: int  # pyoxigraph Store(path).load rounds for files kg would bulk-load
    optimize: bool  # also query kg's store after Store.optimize()
    tmp: Path | None


KG_LOAD = "kg load_file"
KG_BUILD = "kg build --only FILE --no-validate"
OX_BULK = "pyoxigraph bulk_load (disk)"
OX_DISK = "pyoxigraph load (disk)"
OX_MEMORY = "pyoxigraph load (memory)"
RDFLIB = "rdflib Dataset.parse (memory)"


def _summary(reports: list[dict[str, Any]], quads: int) -> dict[str, Any]:
    seconds = [r["seconds"] for r in reports]
    return {
        "median_s": median(seconds),
        "min_s": min(seconds),
        "max_s": max(seconds),
        "cpu_s": median([r["cpu_s"] for r in reports]),
        "quads_per_s": quads / median(seconds),
        "maxrss_kb": median([r.get("load_maxrss_kb") or r["maxrss_kb"] for r in reports]),
        "quads_loaded": reports[-1].get("quads"),
        "runs": seconds,
        **({"loader": reports[-1]["loader"]} if "loader" in reports[-1] else {}),
    }


def bench_size(
    file: Path, info: dict[str, Any], rdflib_file: Path | None, rdflib_info: dict[str, Any] | None, opts: Options
) -> dict[str, Any]:
    """b. load throughput of every method on `file`; c. the queries on kg, pyoxigraph, rdflib."""
    quads = info["quads"]
    names = list(QUERIES)
    query_file = rdflib_file or file  # the rdflib sample when rdflib is limited
    same_graph = query_file == file
    big = file.stat().st_size >= SLOW_DISK_LOAD_BYTES
    samples: dict[str, list[dict[str, Any]]] = {m: [] for m in (KG_LOAD, KG_BUILD, OX_BULK, OX_MEMORY, OX_DISK)}
    kg_store: Path | None = None
    memory_queries: dict[str, Any] | None = None
    with scratch(opts.tmp, "load") as folder:
        for round_ in range(opts.runs):
            last = round_ == opts.runs - 1
            for method in samples:  # interleaved rounds: noise spreads over all methods
                target = folder / f"{len(samples[method])}-{method.split()[1]}"
                if method == KG_LOAD:
                    report = worker("kg-load", str(file), str(target))
                elif method == KG_BUILD:
                    built = run_measured(
                        [str(KG_BIN), "--store", str(target), "build", "--only", str(file), "--no-validate"]
                    )
                    report = {
                        "seconds": built["wall"],
                        "cpu_s": built["cpu_s"],
                        "maxrss_kb": built["maxrss_kb"],
                        "output": built["stdout"].strip(),
                    }
                elif method == OX_MEMORY:
                    query_runs = opts.query_runs if last and same_graph else 0
                    report = worker("ox-memory", str(file), str(query_runs), ",".join(names))
                    if "queries" in report:
                        memory_queries = report["queries"]
                elif method == OX_DISK and big and round_ >= opts.disk_load_runs:
                    continue
                else:
                    report = worker(f"ox-{method.split()[1]}", str(file), str(target))
                samples[method].append(report)
                log(
                    f"load {method} round {round_ + 1}/{opts.runs}: {report['seconds']:.2f} s "
                    f"(cpu {report['cpu_s']:.2f} s)"
                )
                if method == KG_LOAD and kg_store is None:
                    kg_store = target  # kept for the query benchmark
                else:
                    shutil.rmtree(target, ignore_errors=True)

        rdflib_report: dict[str, Any] | None = None
        if rdflib_file is not None and rdflib_info is not None:
            log(
                f"rdflib: parsing {rdflib_file.name} ({rdflib_info['quads']} quads), then "
                f"{opts.rdflib_runs} run(s) of each query"
            )
            rdflib_report = worker("rdflib", str(rdflib_file), str(opts.rdflib_runs), ",".join(names))
            log(f"rdflib parse: {rdflib_report['seconds']:.1f} s")
        if not same_graph:
            kg_store = folder / "kg-sample"
            worker("kg-load", str(query_file), str(kg_store))
            memory_queries = worker("ox-memory", str(query_file), str(opts.query_runs), ",".join(names))["queries"]
        assert kg_store is not None
        log(f"kg queries: {opts.query_runs} run(s) each")
        kg_queries = worker("kg-query", str(kg_store), str(opts.query_runs), ",".join(names))
        optimized = None
        if opts.optimize:
            log("kg queries after Store.optimize()")
            optimized = worker("kg-query", str(kg_store), str(opts.query_runs), ",".join(names), "optimize")

    load = {m: _summary(samples[m], quads) for m in samples}
    baseline = load[OX_BULK]["median_s"]
    if rdflib_report is not None and rdflib_info is not None:
        sample = rdflib_info["quads"]
        measured = rdflib_report["seconds"]
        load[RDFLIB] = {
            **_summary([rdflib_report], sample),
            "median_s": measured * quads / sample,  # linear extrapolation when sampled
            "cpu_s": rdflib_report["cpu_s"] * quads / sample,
            "measured_s": measured,
            "measured_quads": sample,
            "extrapolated": sample != quads,
        }
    for summary in load.values():
        summary["ratio_to_bulk_load"] = summary["median_s"] / baseline
    result: dict[str, Any] = {
        "file": str(file.relative_to(ROOT)),
        "quads": quads,
        "bytes": file.stat().st_size,
        "runs": opts.runs,
        "load": load,
    }
    if RDFLIB in load:
        result["kg_speedup_over_rdflib"] = load[RDFLIB]["median_s"] / load[KG_LOAD]["median_s"]

    queries: dict[str, Any] = {
        "graph": str(query_file.relative_to(ROOT)),
        "quads": (rdflib_info or info)["quads"] if not same_graph else quads,
    }
    if optimized is not None:
        queries["optimize_s"] = optimized["optimize"]["seconds"]
    for name in names:
        entry: dict[str, Any] = {
            "text": QUERIES[name],
            "rows": kg_queries[name]["rows"],
            "kg_median_s": median(kg_queries[name]["times"]),
            "kg_times": kg_queries[name]["times"],
            "kg_cpu_s": median(kg_queries[name]["cpu"]),
        }
        rows = {"kg": entry["rows"]}
        if optimized is not None:
            entry["kg_optimized_median_s"] = median(optimized[name]["times"])
            entry["kg_optimized_times"] = optimized[name]["times"]
            rows["kg optimized"] = optimized[name]["rows"]
        if memory_queries is not None:
            entry["pyoxigraph_memory_median_s"] = median(memory_queries[name]["times"])
            entry["pyoxigraph_memory_times"] = memory_queries[name]["times"]
            rows["pyoxigraph memory"] = memory_queries[name]["rows"]
        if rdflib_report is not None and "queries" in rdflib_report:
            theirs = rdflib_report["queries"][name]
            entry["rdflib_median_s"] = median(theirs["times"])
            entry["rdflib_times"] = theirs["times"]
            entry["rdflib_cpu_s"] = median(theirs["cpu"])
            entry["speedup"] = entry["rdflib_median_s"] / entry["kg_median_s"]
            rows["rdflib"] = theirs["rows"]
        entry["rows_by_engine"] = rows
        entry["rows_match"] = len(set(rows.values())) == 1
        queries[name] = entry
    result["queries"] = queries
    return result


# -- environment and report ------------------------------------------------------------------


def environment() -> dict[str, Any]:
    import pyoxigraph
    import rdflib

    import kg

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError, ValueError):
        kb = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "kg"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), {memory}",
        "os": platform.platform(),
        "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__ if hasattr(pyoxigraph, "__version__") else "?",
        "rdflib": rdflib.__version__,
        "kg": kg.__version__,
        "git": commit + (" (kg/ modified)" if dirty else ""),
        "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def markdown(results: dict[str, Any]) -> str:
    env = results["environment"]
    lines = [
        f"## kg core benchmarks — {env['date']}",
        "",
        f"Machine: {env['machine']}; Python {env['python']}, pyoxigraph {env['pyoxigraph']}, "
        f"rdflib {env['rdflib']}, kg {env['kg']} at {env['git']}. Load average "
        f"{env['loadavg_start']} at the start, {results.get('loadavg_end', '?')} at the end "
        f"(2 cores: above 2 means other work competed for the CPU). Total "
        f"{results.get('total_s', 0):.0f} s.",
        "",
    ]
    cli = results.get("cli")
    if cli:
        lines += [f"### a. Cold `kg query` ({cli['graph']}; median of {cli['runs']})", ""]
        if cli["note"]:
            lines += [f"Note: {cli['note']}.", ""]
        lines += ["| command | median | min–max | × python -c pass | CPU | peak RSS |", "|---|---|---|---|---|---|"]
        for name, c in cli["commands"].items():
            lines.append(
                f"| `{name}` | {fmt_s(c['median'])} | {fmt_s(c['min'])}–{fmt_s(c['max'])} "
                f"| {fmt_ratio(c['ratio_to_python'])} | {fmt_s(c['cpu_s'])} "
                f"| {fmt_mb(c['maxrss_kb'])} |"
            )
        lines += ["", f"Query ({cli['query_rows']} rows): `{cli['query']}`. Target ≤ 0.6 s.", ""]
    for size in results.get("sizes", []):
        lines += [
            f"### b. Load {size['quads']:,} quads ({size['file']}, "
            f"{size['bytes'] / 1e6:.0f} MB TriG; median of the runs shown)",
            "",
            "| method | runs | median wall | CPU | quads/s | × bulk_load (disk) | peak RSS |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, m in size["load"].items():
            label = name
            if name == KG_LOAD and "loader" in m:
                label += f" (uses {m['loader']})"
            if m.get("extrapolated"):
                label += (
                    f" — EXTRAPOLATED (linear) from {m['measured_quads']:,} quads "
                    f"measured in {fmt_s(m['measured_s'])}; peak RSS of that sample"
                )
            lines.append(
                f"| {label} | {len(m['runs'])} | {fmt_s(m['median_s'])} | "
                f"{fmt_s(m['cpu_s'])} | {fmt_rate(m['quads_per_s'])} | "
                f"{fmt_ratio(m['ratio_to_bulk_load'])} | {fmt_mb(m['maxrss_kb'])} |"
            )
        lines += [
            "",
            "Targets: kg load_file ≤ 1.25× pyoxigraph bulk_load (disk), ≥ 200k quads/s, "
            f"≥ 10× rdflib (measured: {fmt_ratio(size['load'][KG_LOAD]['ratio_to_bulk_load'])}"
            f", {fmt_rate(size['load'][KG_LOAD]['quads_per_s'])}"
            + (f", {fmt_ratio(size['kg_speedup_over_rdflib'])}" if "kg_speedup_over_rdflib" in size else "")
            + ").",
        ]
        queries = size["queries"]
        lines += [
            "",
            f"### c. SPARQL on {queries['quads']:,} quads ({queries['graph']})",
            "",
            "| query | rows | kg | pyoxigraph memory | rdflib | rdflib / kg | rows match |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in QUERIES:
            q = queries[name]

            def cell(key: str, q: dict[str, Any] = q) -> str:
                times = q.get(f"{key}_times")
                return f"{fmt_s(q[f'{key}_median_s'])} ({len(times)})" if times else "–"

            lines.append(
                f"| {name} | {q['rows']:,} | {cell('kg')} | {cell('pyoxigraph_memory')} | "
                f"{cell('rdflib')} | {fmt_ratio(q.get('speedup', float('nan')))} | "
                f"{'yes' if q['rows_match'] else 'NO ' + str(q['rows_by_engine'])} |"
            )
        if "optimize_s" in queries:
            lines += [
                "",
                f"After `Store.optimize()` ({fmt_s(queries['optimize_s'])}) on kg's store: "
                + ", ".join(f"{name} {fmt_s(queries[name]['kg_optimized_median_s'])}" for name in QUERIES)
                + ".",
            ]
        lines += [
            "",
            "Medians (runs in brackets). kg = kg.query.run_query on the on-disk store "
            "(read-only, union default graph); pyoxigraph memory = Store() in memory, "
            "use_default_graph_as_union=True; rdflib = Dataset(default_union=True) in memory. "
            "Rows fully materialised everywhere. Target: kg ≥ 30× rdflib on the anchored "
            "query.",
            "",
        ]
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int]:
    from bench.generate import parse_size

    return [parse_size(part) for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=None, help="graph sizes for load/query (default 1M; --quick: 100k), e.g. 100k,1M"
    )
    parser.add_argument("--quick", action="store_true", help="100k quads instead of 1M")
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="load rounds (default 3); the CLI is timed max(7, runs) times and "
        "kg/pyoxigraph queries max(5, runs) times",
    )
    parser.add_argument("--rdflib-runs", type=int, default=3, help="runs of each rdflib query")
    parser.add_argument(
        "--rdflib-max-triples",
        default=None,
        help="parse at most this many quads with rdflib: larger sizes use a "
        "generated sample of this size for rdflib and for the query "
        "comparison, and rdflib's load time is extrapolated (labelled)",
    )
    parser.add_argument("--no-rdflib", action="store_true", help="skip rdflib entirely")
    parser.add_argument(
        "--disk-load-runs",
        type=int,
        default=1,
        help="rounds of pyoxigraph Store(path).load for files kg bulk-loads (slow; default 1)",
    )
    parser.add_argument(
        "--optimize", action="store_true", help="also time the queries after Store.optimize() on kg's store"
    )
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--seed", type=int, default=20230316)
    parser.add_argument("--tmp", type=Path, default=None, help="folder for scratch stores")
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="where to write JSON (default bench/results/core.json, core-quick.json with --quick)",
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.worker[0], args.worker[1:])
        return 0

    from bench.generate import parse_size

    sizes = parse_sizes(args.sizes) if args.sizes else [100_000 if args.quick else 1_000_000]
    opts = Options(
        runs=args.runs,
        query_runs=max(5, args.runs),
        rdflib_runs=args.rdflib_runs,
        disk_load_runs=args.disk_load_runs,
        optimize=args.optimize,
        tmp=args.tmp,
    )
    rdflib_max = parse_size(args.rdflib_max_triples) if args.rdflib_max_triples else None
    started = time.perf_counter()
    results: dict[str, Any] = {"environment": environment(), "sizes": []}
    if not args.skip_cli:
        log(f"a. cold CLI, {max(7, args.runs)} runs")
        results["cli"] = bench_cli(max(7, args.runs), args.tmp)
    for size in sizes:
        file, info = dataset_file(size, args.seed)
        rdflib_file, rdflib_info = None, None
        if not args.no_rdflib:
            if rdflib_max and info["quads"] > rdflib_max:
                rdflib_file, rdflib_info = dataset_file(rdflib_max, args.seed)
            else:
                rdflib_file, rdflib_info = file, info
        log(f"b/c. {file.name}: {info['quads']} quads")
        entry = bench_size(file, info, rdflib_file, rdflib_info, opts)
        entry["generate_s"] = info["seconds"]
        results["sizes"].append(entry)
    results["total_s"] = time.perf_counter() - started
    results["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report = markdown(results)
    print(report)
    target = args.json or RESULTS / ("core-quick.json" if args.quick else "core.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {target}; total {results['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
