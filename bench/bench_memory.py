"""Issue 13 item 5: long-lived processes (kg serve, notebooks) answering from memory, at 1M quads.

One run, on one store built the default way (validated `kg build --only synthetic-1m.trig`):

* build: the validated (`--allow-invalid`: validation runs in full) and `--no-validate` builds
  (both write the snapshot), and the snapshot's own cost (dumping the built store again, as the
  build does) — the build's extra cost;
* rdflib's in-memory Dataset (parse time, RSS, queries) — the baseline of the ratios;
* the notebook (`kg.notebook.open()`: snapshot loaded into memory) against the same process reading
  the disk store: rows fully materialised (every term read), and `query_df` (pandas);
* `kg serve` (memory, the default) against `kg serve --from-disk`: start-up until the first answer,
  memory (PSS of the server, zygote and workers), queries over HTTP (JSON results, fully read);
* the zygote: load time, fork (respawn) time, a worker's private memory after a query.

* the anchored query interleaved (rdflib, kg now, kg before) in the process holding rdflib's
  Dataset: each round runs the three one after the other, so the ratio is taken under the same
  load. "kg before" is the path before the subject-ordered load and the positional rows: the
  store loaded in Oxigraph's dump order, terms read by variable name.

Queries: `anchored` (one actor's events by date) and `group_by` (events per actor and year) from
bench_core, and the canned `timeline`. Medians of --runs (rdflib's GROUP BY: --rdflib-runs).
Rows are read as kg reads them (`kg.query.solution_rows`: every term of every row).

    python bench/bench_memory.py                     # 1M, ~15 min → bench/results/memory.json
    python bench/bench_memory.py --size 100k --runs 3
    python bench/bench_memory.py --store S --parts notebook_memory,rdflib --queries anchored --runs 15
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_core import QUERIES, fmt_ratio, fmt_s, log, median, run_measured
from bench.common import machine

ROOT = Path(__file__).resolve().parent.parent
EXTRA_DATA = Path(os.environ.get("KG_BENCH_DATA", ROOT / "bench" / "data"))  # generated inputs kept elsewhere
RESULTS = ROOT / "bench" / "results"
KG = [sys.executable, "-m", "kg"]


def data_file(size: str) -> Path:
    for folder in (ROOT / "bench" / "data", EXTRA_DATA):
        candidate = folder / f"synthetic-{size.lower()}.trig"
        if candidate.exists():
            return candidate
    raise SystemExit(f"no synthetic-{size}.trig in bench/data or {EXTRA_DATA}: run bench/generate.py")


def queries() -> dict[str, str]:
    from kg.namespaces import PREFIXES
    from kg.query import get_canned

    declared = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
    timeline = declared + get_canned("timeline").text
    return {"anchored": QUERIES["anchored"], "group_by": QUERIES["group_by"], "timeline": timeline}


CPU: dict[str, float] = {}  # the CPU seconds of the last times() call (in-process measurements)


def times(function: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median wall seconds over `runs`, and the last result; the median CPU seconds go to CPU["last"]
    (on 2 shared cores, CPU time is the figure other helpers' work disturbs least)."""
    values, cpu, result = [], [], None
    for _ in range(runs):
        started, began = time.perf_counter(), time.process_time()
        result = function()
        values.append(time.perf_counter() - started)
        cpu.append(time.process_time() - began)
    CPU["last"] = median(cpu)
    return median(values), result


def rss_mb(pid: int | str = "self") -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError):
        return 0.0


def pss_mb(pid: int) -> tuple[float, float]:
    """(PSS, private) of a process in MB, from /proc/PID/smaps_rollup."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            parts = line.split()
            if parts and parts[0] in ("Pss:", "Private_Clean:", "Private_Dirty:"):
                values[parts[0]] = int(parts[1]) / 1024
    except OSError:
        return 0.0, 0.0
    return values.get("Pss:", 0.0), values.get("Private_Clean:", 0.0) + values.get("Private_Dirty:", 0.0)


def tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    return found


# -- the build ----------------------------------------------------------------------------------


def bench_build(source: Path, store: Path, runs: int) -> dict[str, Any]:
    from kg.storage.memory import live_generation, write_snapshot

    scratch = store.parent / "unvalidated"
    log(f"kg build --only {source.name} --no-validate")
    unvalidated = run_measured([*KG, "--store", str(scratch), "build", "--only", str(source), "--no-validate"])
    shutil.rmtree(scratch, ignore_errors=True)
    log(f"kg build --only {source.name} (validated, the default)")
    # --allow-invalid: the shared inputs predate the generator's fix of persons as agreement parties
    # (106 violations at 10k); validation runs in full all the same
    validated = run_measured([*KG, "--store", str(store), "build", "--only", str(source), "--allow-invalid"])
    import pyoxigraph as ox

    generation = live_generation(store)
    disk = ox.Store.read_only(str(generation / "oxigraph"))
    dumps, dump_cpu = [], []
    for _ in range(runs):
        target = Path(tempfile.mkdtemp(dir=store.parent))
        started, began = time.perf_counter(), time.process_time()
        write_snapshot(disk, target)
        dumps.append(time.perf_counter() - started)
        dump_cpu.append(time.process_time() - began)
        shutil.rmtree(target)
    del disk
    snapshot = median(dumps)
    return {
        "validated_s": validated["wall"],
        "unvalidated_s": unvalidated["wall"],
        "validated_cpu_s": validated["cpu_s"],
        "unvalidated_cpu_s": unvalidated["cpu_s"],
        "snapshot_cpu_s": median(dump_cpu),
        "snapshot_s": snapshot,
        "snapshot_mb": (generation / "snapshot.nq").stat().st_size / 1e6,
        "ratio_with_snapshot": validated["wall"] / unvalidated["wall"],
        "ratio_without_snapshot": (validated["wall"] - snapshot) / (unvalidated["wall"] - snapshot),
        "validated_maxrss_mb": validated["maxrss_kb"] / 1024,
    }


# -- in-process: rdflib, notebook memory, notebook disk --------------------------------------------


def materialise_ox(result: Any) -> int:
    """Every term of every row, read as kg reads them (positional rows)."""
    from kg.query import solution_rows

    return len(solution_rows(result)[1])


def materialise_by_name(result: Any) -> int:
    """Every term of every row, looked up by variable name (how this benchmark read them before)."""
    names = [v.value for v in result.variables]
    return sum(1 for solution in result if [solution[n] for n in names])


def dump_order_store(store: Path) -> Any:
    """The live generation in memory, loaded in Oxigraph's dump order (as the snapshot was loaded
    before it was loaded in subject order)."""
    import pyoxigraph as ox

    from kg.storage.embedded import Store
    from kg.storage.memory import live_generation

    generation = live_generation(store)
    memory = ox.Store()
    memory.load(
        ox.Store.read_only(str(generation / "oxigraph")).dump(format=ox.RdfFormat.N_QUADS) or b"",
        format=ox.RdfFormat.N_QUADS,
    )
    return Store(memory, str(store), generation)


def bench_rdflib(
    source: Path, texts: dict[str, str], runs: int, rdflib_runs: int, store: Path | None = None
) -> dict[str, Any]:
    import rdflib

    before = rss_mb()
    started = time.perf_counter()
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(source, format="trig")
    out: dict[str, Any] = {"load_s": time.perf_counter() - started, "rss_mb": rss_mb() - before}
    log(f"rdflib parsed {len(dataset)} in {out['load_s']:.1f} s")
    if store is not None and "anchored" in texts:
        out["interleaved"] = interleaved(dataset, store, texts["anchored"], runs)
    for name in ("anchored", "group_by"):
        if name not in texts:
            continue
        runs_here = rdflib_runs if name == "group_by" else runs
        seconds, rows = times(lambda name=name: len([tuple(row) for row in dataset.query(texts[name])]), runs_here)
        out[name] = {"s": seconds, "cpu_s": CPU["last"], "rows": rows, "runs": runs_here}
        log(f"rdflib {name}: {seconds:.2f} s (CPU {CPU['last']:.2f} s), {rows} rows")
    return out


def interleaved(dataset: Any, store: Path, text: str, runs: int) -> dict[str, Any]:
    """The anchored query, round after round: rdflib, kg now (the snapshot as `kg.notebook.open()`
    loads it, rows as kg reads them), kg before (dump order, terms by name). Medians of wall and CPU."""
    import kg.notebook as nb
    from kg.query import run_query

    now = nb.open(store)
    before = dump_order_store(store)
    with running_server(store, True) as (_, url, _, _):
        contenders: dict[str, Callable[[], int]] = {
            "rdflib": lambda: len([tuple(row) for row in dataset.query(text)]),
            "kg": lambda: materialise_ox(run_query(now, text)),
            "kg_before": lambda: materialise_by_name(run_query(before, text)),
            "serve": lambda: ask_json(url, text),  # CPU: this client's only (the server is another process)
        }
        samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in contenders}
        rows = {}
        for _ in range(runs):
            for name, function in contenders.items():
                started, began = time.perf_counter(), time.process_time()
                rows[name] = function()
                samples[name][0].append(time.perf_counter() - started)
                samples[name][1].append(time.process_time() - began)
    assert len(set(rows.values())) == 1, rows
    out = {
        name: {"s": median(wall), "cpu_s": median(cpu), "rows": rows[name], "runs": runs}
        for name, (wall, cpu) in samples.items()
    }
    out["serve"]["vs_rdflib"] = out["rdflib"]["s"] / out["serve"]["s"]
    for name in ("kg", "kg_before"):
        out[name]["vs_rdflib"] = out["rdflib"]["s"] / out[name]["s"]
        out[name]["vs_rdflib_cpu"] = out["rdflib"]["cpu_s"] / out[name]["cpu_s"]
    log(f"interleaved anchored: {json.dumps(out)}")
    nb._state.clear()
    return out


def bench_notebook(store: Path, texts: dict[str, str], runs: int, memory: bool, slow_runs: int) -> dict[str, Any]:
    import kg.notebook as nb
    from kg.query import run_query

    before = rss_mb()
    started = time.perf_counter()
    opened = nb.open(store, memory=memory)
    out: dict[str, Any] = {"open_s": time.perf_counter() - started, "rss_mb": rss_mb() - before}
    for name, text in texts.items():
        runs_here = runs if memory or name == "anchored" else slow_runs
        seconds, rows = times(lambda text=text: materialise_ox(run_query(opened, text)), runs_here)
        cpu = CPU["last"]
        nb._pandas()  # imported before the clock starts (about a second, once per process)
        frame_s, frame = times(lambda text=text: nb.query_df(text, store=opened), 1 if name != "anchored" else runs)
        out_cpu = CPU["last"]
        out[name] = {"s": seconds, "cpu_s": cpu, "rows": rows, "query_df_s": frame_s, "query_df_cpu_s": out_cpu}
        out[name]["runs"] = runs_here
        where = "memory" if memory else "disk"
        log(f"notebook {where} {name}: {seconds:.2f} s, CPU {cpu:.2f} s ({rows} rows), query_df {frame_s:.2f} s")
        assert len(frame) == rows
    nb._state.clear()
    return out


# -- kg serve ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def running_server(store: Path, memory: bool) -> Any:
    """A `kg serve` subprocess answering; yields (process, SPARQL URL, seconds until the first answer,
    its log file)."""
    import httpx

    with socket_port() as port:
        pass
    args = [*KG, "--store", str(store), "serve", "--port", str(port), "--no-site", "--timeout", "600"]
    args += ["--max-result-mb", "2000", "--workers", "2"] + ([] if memory else ["--from-disk"])
    url = f"http://127.0.0.1:{port}/sparql"
    log_file = tempfile.TemporaryFile()  # noqa: SIM115  (read back after the server stops)
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        while True:
            try:
                response = httpx.post(url, data={"query": "ASK { ?s ?p ?o }"}, timeout=600)
                if response.status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if process.poll() is not None or time.perf_counter() - started > 900:
                raise RuntimeError("kg serve did not start")
        yield process, url, time.perf_counter() - started, log_file
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def ask_json(url: str, text: str) -> int:
    """Rows of a query over HTTP, SPARQL JSON results fully read."""
    import httpx

    accept = {"Accept": "application/sparql-results+json"}
    response = httpx.post(url, data={"query": text}, headers=accept, timeout=900)
    response.raise_for_status()
    return len(response.json()["results"]["bindings"])


def bench_serve(store: Path, texts: dict[str, str], runs: int, memory: bool, slow_runs: int) -> dict[str, Any]:
    with running_server(store, memory) as (process, url, start_s, log_file):
        out: dict[str, Any] = {"start_s": start_s}
        for name, text in texts.items():
            runs_here = runs if memory or name == "anchored" else slow_runs
            seconds, rows = times(lambda text=text: ask_json(url, text), runs_here)
            out[name] = {"s": seconds, "rows": rows, "runs": runs_here}
            log(f"serve {'memory' if memory else 'disk'} {name}: {seconds:.2f} s, {rows} rows")
        processes = tree(process.pid)
        out["processes"] = len(processes)
        out["pss_mb"] = sum(pss_mb(p)[0] for p in processes)
        out["rss_mb"] = sum(rss_mb(p) for p in processes)
        log_file.seek(0)
        out["log"] = log_file.read().decode("utf-8", "replace").strip().splitlines()
    return out


class socket_port:
    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *args: object) -> None:
        self.sock.close()


def bench_zygote(store: Path, texts: dict[str, str], forks: int) -> dict[str, Any]:
    from kg.workers import QueryJob, serve_jobs
    from kg.zygote import Zygote

    zygote = Zygote(store, serve_jobs)
    started = time.perf_counter()
    loaded = zygote.start()
    out: dict[str, Any] = {"start_s": time.perf_counter() - started, "load_s": loaded.seconds, "quads": loaded.quads}
    out["zygote_rss_mb"] = rss_mb(zygote._process.pid)
    fork_times, workers = [], []
    for _ in range(forks):
        began = time.perf_counter()
        worker, connection = zygote.fork()
        connection.send(QueryJob("ASK { ?s ?p ?o }"))
        connection.recv()  # the worker answers: it is ready
        fork_times.append(time.perf_counter() - began)
        workers.append((worker, connection))
    out["fork_to_first_answer_s"] = median(fork_times)
    worker, connection = workers[0]
    connection.send(QueryJob(texts["group_by"], max_bytes=2 << 30))
    connection.recv()
    out["worker_after_group_by_pss_mb"], out["worker_after_group_by_private_mb"] = pss_mb(worker.pid)
    for worker, connection in workers:
        connection.close()
        worker.kill()
        worker.join(5)
    zygote.stop()
    return out


def cold_query(store: Path, runs: int) -> float:
    command = [*KG, "--store", str(store), "query", "cq1-summit-leaders"]
    return median([run_measured(command)["wall"] for _ in range(runs)])


PARTS = ("build", "cold", "zygote", "serve_memory", "serve_disk", "notebook_memory", "notebook_disk", "rdflib")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1M", help="10k, 100k or 1M (synthetic-SIZE.trig)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rdflib-runs", type=int, default=1, help="runs of rdflib's GROUP BY (≈70 s each at 1M)")
    parser.add_argument("--disk-runs", type=int, default=1, help="runs of the slow queries on disk")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument(
        "--store",
        type=Path,
        help="a store already built from synthetic-SIZE.trig, with its snapshot (no build part)",
    )
    parser.add_argument("--parts", default=",".join(PARTS), help=f"what to measure, of: {','.join(PARTS)}")
    parser.add_argument("--queries", default="anchored,group_by,timeline", help="of: anchored,group_by,timeline")
    parser.add_argument("--output", type=Path, default=RESULTS / "memory.json")
    args = parser.parse_args()
    parts = {part.strip() for part in args.parts.split(",") if part.strip()}
    if unknown := parts - set(PARTS):
        raise SystemExit(f"unknown parts: {', '.join(sorted(unknown))} (known: {', '.join(PARTS)})")
    source = data_file(args.size)
    texts = {name: text for name, text in queries().items() if name in args.queries.split(",")}
    work = args.work or Path(tempfile.mkdtemp(prefix="kg-bench-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"size": args.size, "source": str(source), **machine(["pyoxigraph", "rdflib"])}
    if args.store is not None:
        store = args.store
        parts.discard("build")
    else:
        store = work / "store"
        shutil.rmtree(store, ignore_errors=True)
        results["build"] = build = bench_build(source, store, args.runs)
        log(f"build: {json.dumps(build)}")
    if "cold" in parts:
        bundled = work / "bundled"
        run_measured([*KG, "--store", str(bundled), "build"])
        results["cold_kg_query_bundled_s"] = cold_query(bundled, 5)
    if "zygote" in parts and "group_by" in texts:
        results["zygote"] = bench_zygote(store, texts, 5)
        log(f"zygote: {results['zygote']}")
    for part, memory in (("serve_memory", True), ("serve_disk", False)):
        if part in parts:
            results[part] = bench_serve(store, texts, args.runs, memory, args.disk_runs)
    for part, memory in (("notebook_memory", True), ("notebook_disk", False)):
        if part in parts:
            results[part] = bench_notebook(store, texts, args.runs, memory, args.disk_runs)
    if "rdflib" in parts:
        results["rdflib"] = bench_rdflib(source, texts, args.runs, args.rdflib_runs, store)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(report(results))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def report(r: dict[str, Any]) -> str:
    nan = {"s": float("nan"), "rows": 0}
    rd = r.get("rdflib", {})
    lines = [f"### {r['size']} quads ({r['date']}, {r['machine']})", ""]
    if "interleaved" in rd:
        i = rd["interleaved"]
        lines += [
            f"Anchored query ({i['kg']['rows']:,} rows), interleaved rounds, medians of {i['kg']['runs']}:",
            "",
            "| | rdflib memory | kg now (notebook memory) | kg before | kg serve now (HTTP, JSON) |",
            "|---|---|---|---|---|",
            f"| wall | {fmt_s(i['rdflib']['s'])} | {fmt_s(i['kg']['s'])} ({fmt_ratio(i['kg']['vs_rdflib'])}) | "
            f"{fmt_s(i['kg_before']['s'])} ({fmt_ratio(i['kg_before']['vs_rdflib'])}) | "
            f"{fmt_s(i['serve']['s'])} ({fmt_ratio(i['serve']['vs_rdflib'])}) |",
            f"| CPU | {fmt_s(i['rdflib']['cpu_s'])} | "
            f"{fmt_s(i['kg']['cpu_s'])} ({fmt_ratio(i['kg']['vs_rdflib_cpu'])}) | "
            f"{fmt_s(i['kg_before']['cpu_s'])} ({fmt_ratio(i['kg_before']['vs_rdflib_cpu'])}) | – |",
            "",
        ]
    lines += [
        "| query | rdflib memory | notebook memory | notebook disk | serve memory (HTTP) | serve disk (HTTP) "
        "| memory vs rdflib | memory vs disk |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in ("anchored", "group_by", "timeline"):
        nmr = r.get("notebook_memory", {}).get(name, nan)
        if nmr is nan and name not in rd:
            continue
        base = rd.get(name, nan)["s"]
        nm, nd = nmr["s"], r.get("notebook_disk", {}).get(name, nan)["s"]
        sm, sd = r.get("serve_memory", {}).get(name, nan)["s"], r.get("serve_disk", {}).get(name, nan)["s"]
        lines.append(
            f"| {name} ({nmr['rows'] or rd.get(name, nan)['rows']:,} rows) | {fmt_s(base)} | "
            f"{fmt_s(nm)} (CPU {fmt_s(nmr.get('cpu_s', float('nan')))}) "
            f"| {fmt_s(nd)} | {fmt_s(sm)} | {fmt_s(sd)} | {fmt_ratio(base / nm)} (serve {fmt_ratio(base / sm)}) | "
            f"{fmt_ratio(nd / nm)} (serve {fmt_ratio(sd / sm)}) |"
        )
    lines.append("")
    if "serve_memory" in r and "serve_disk" in r and "notebook_memory" in r and "notebook_disk" in r and rd:
        lines.append(
            f"* start-up: serve memory {fmt_s(r['serve_memory']['start_s'])} "
            f"(PSS {r['serve_memory']['pss_mb']:.0f} MB, "
            f"{r['serve_memory']['processes']} processes), serve disk {fmt_s(r['serve_disk']['start_s'])} "
            f"(PSS {r['serve_disk']['pss_mb']:.0f} MB); notebook open memory {fmt_s(r['notebook_memory']['open_s'])} "
            f"(RSS +{r['notebook_memory']['rss_mb']:.0f} MB), disk {fmt_s(r['notebook_disk']['open_s'])}; "
            f"rdflib parse {fmt_s(rd['load_s'])} (RSS +{rd['rss_mb']:.0f} MB)"
        )
    if "zygote" in r:
        z = r["zygote"]
        lines.append(
            f"* zygote: snapshot load {fmt_s(z['load_s'])}, RSS {z['zygote_rss_mb']:.0f} MB; a worker forked and "
            f"answering in {fmt_s(z['fork_to_first_answer_s'])}; after the GROUP BY it holds "
            f"{z['worker_after_group_by_private_mb']:.0f} MB private (PSS {z['worker_after_group_by_pss_mb']:.0f} MB)"
        )
    if "build" in r:
        b = r["build"]
        lines.append(
            f"* build: validated {fmt_s(b['validated_s'])}, --no-validate {fmt_s(b['unvalidated_s'])} "
            f"({b['ratio_with_snapshot']:.2f}×, both writing the snapshot); the snapshot itself "
            f"{fmt_s(b['snapshot_s'])} ({b['snapshot_mb']:.0f} MB); without it the ratio would be "
            f"{b['ratio_without_snapshot']:.2f}×"
        )
    if "cold_kg_query_bundled_s" in r:
        lines.append(
            f"* cold `kg query cq1-summit-leaders` on the bundled graph: {fmt_s(r['cold_kg_query_bundled_s'])}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
