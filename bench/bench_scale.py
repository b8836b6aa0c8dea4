"""Scale benchmark (issue 5): load, queries, endpoint and memory at 10k, 100k and 1M quads, in one run.

Every number sits next to baselines measured in the same run, because the machine is shared and
noisy: compare the ratios, not the absolute seconds. For each size:

  * load: kg's embedded store (kg.storage.embedded.load_file, and `kg build --only FILE --no-validate`) against
    raw pyoxigraph bulk_load on disk, pyoxigraph in memory, rdflib in memory, Virtuoso's own bulk
    loader (ld_dir + rdf_loader_run + checkpoint through isql-vt) and kg's upload path to
    Virtuoso (`kg --store URL build --only FILE --no-validate`, the Graph Store Protocol);
  * queries: bench_core's anchored and group_by queries and the canned queries of kg/queries that
    return rows on synthetic data, on kg's store (on disk), pyoxigraph in memory, rdflib in memory
    and Virtuoso (SPARQL over HTTP on loopback); row counts compared across engines;
  * memory: peak RSS of each loading process (and of the Virtuoso server);
then the endpoint: bench_serve.py as it is (bundled graph), and wrk against `kg serve` on the
largest store.

Virtuoso runs in a temporary folder on 127.0.0.1 (tests/virtuoso.py), one fresh server per load,
stopped at the end. Each embedded measurement runs in a child process (`--worker`), so peak RSS
belongs to one method only. Nothing here asserts a time.

    python bench/bench_scale.py --quick         # 10k and 100k, ~5 min -> bench/results/scale-quick.json
    python bench/bench_scale.py                 # 10k, 100k, 1M, ~28 min -> bench/results/scale.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import bench_core as core  # noqa: E402
from bench import bench_serve  # noqa: E402
from bench.bench_core import fmt_mb, fmt_rate, fmt_ratio, fmt_s, log, median  # noqa: E402

# Canned queries (kg/queries/*.rq) that return rows on synthetic data, with the parameters bound
# for it (2015-02-06 is the one summit date present at 10k, 100k and 1M with the default seed).
# Left out: cq3/cq4/cq5/cq7 (announcements, trade measures, kg:outcome chains: none in synthetic
# data, 0 rows) and entities-without-evidence (a data check that returns 0 rows by design).
CANNED = {
    "cq1-summit-leaders": {"date": "2015-02-06"},
    "evidence-of": {"entity": core.HUB},
    "cq2-ruling-order": {},
    "cq6-minefields": {},
    "agreements": {},
    "claims": {},
    "disputes": {},
    "timeline": {},
}
ANCHORED = ("anchored", "cq1-summit-leaders", "evidence-of")  # one entity or date: p50 ≤ 50 ms
SKIPPED = {
    "cq3-compensation-plan": "no kg:Announcement/kg:Plan in synthetic data (0 rows)",
    "cq4-export-controls": "no kg:TradeMeasure (0 rows)",
    "cq5-phnom-penh-statement": "no kg:outcome (0 rows)",
    "cq7-ruling-to-summit": "no kg:partOf/kg:basedOn chain (0 rows)",
    "entities-without-evidence": "a data check, 0 rows by design",
}
KG_LOAD = core.KG_LOAD
KG_BUILD = core.KG_BUILD
OX_BULK = core.OX_BULK
OX_MEMORY = core.OX_MEMORY
RDFLIB = core.RDFLIB
VIRT_BULK = "Virtuoso ld_dir + rdf_loader_run + checkpoint"
VIRT_UPLOAD = "kg --store URL build --only FILE --no-validate (→ Virtuoso)"
VIRT_BUFFERS = ("170000", "130000")  # NumberOfBuffers, MaxDirtyBuffers: the packaged 2 GB setting
ENGINES = ("kg", "pyoxigraph memory", "rdflib", "Virtuoso")
RESULT_ROWS = 2_000_000  # Virtuoso's ResultSetMaxRows (default 10,000 cuts group_by)


def register_queries() -> list[str]:
    """Add the canned queries, parameters bound as kg binds them for a server, to core.QUERIES."""
    from kg.query import bind_parameters, canned_queries
    from kg.storage.remote_sparql import bind_values

    shipped = canned_queries()
    for name, params in CANNED.items():
        canned = shipped[name]
        core.QUERIES[name] = bind_values(canned.text, bind_parameters(canned.text, params, canned))
    return list(core.QUERIES)


# -- workers (child processes) ----------------------------------------------------------------


def _ontology_into_pyoxigraph(store: Any) -> None:
    import pyoxigraph as ox

    from kg.namespaces import ONTOLOGY_IRI
    from kg.resources import ontology_files

    for path in ontology_files():
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(ONTOLOGY_IRI))


def worker_ox_memory(file: str, runs: int, names: list[str]) -> dict[str, Any]:
    """pyoxigraph Store() in memory: load (timed), the ontology (untimed), then the queries."""
    import resource

    import pyoxigraph as ox

    start = core._clock()
    store = ox.Store()
    store.load(path=file, format=ox.RdfFormat.TRIG)
    spent = core._since(start)
    report: dict[str, Any] = {
        **spent,
        "quads": len(store),
        "load_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    if runs:
        _ontology_into_pyoxigraph(store)
        report["queries"] = core._time_queries(
            lambda text: store.query(text, use_default_graph_as_union=True), runs, names
        )
    return report


class _Timeout(Exception):
    pass


def worker_rdflib(file: str, runs: int, names: list[str], cap: float) -> dict[str, Any]:
    """rdflib Dataset(default_union=True): parse (timed), ontology, queries (each capped at `cap` s)."""
    import resource

    import rdflib

    from kg.namespaces import ONTOLOGY_IRI
    from kg.resources import ontology_files

    start = core._clock()
    dataset = rdflib.Dataset(default_union=True)
    dataset.parse(file, format="trig")
    spent = core._since(start)
    report: dict[str, Any] = {
        **spent,
        "quads": sum(1 for _ in dataset.quads((None, None, None, None))),
        "load_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "queries": {},
    }
    for path in ontology_files():
        dataset.graph(rdflib.URIRef(ONTOLOGY_IRI)).parse(str(path), format="turtle")

    def alarm(*_: Any) -> None:
        raise _Timeout

    signal.signal(signal.SIGALRM, alarm)
    for name in names:  # rdflib is pure Python: the alarm interrupts it between bytecodes
        capped = name in CANNED  # canned queries: one run, stopped after `cap` seconds
        signal.setitimer(signal.ITIMER_REAL, cap if capped else 0)
        try:
            report["queries"].update(
                core._time_queries(lambda text: dataset.query(text), 1 if capped else runs, [name])
            )
        except _Timeout:
            report["queries"][name] = {"times": [], "cpu": [], "rows": None, "timeout_s": cap}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    return report


def run_worker(name: str, args: list[str]) -> None:
    names = register_queries()
    chosen = args[2].split(",") if len(args) > 2 and args[2] else names
    if name == "kg-query":
        report = core.worker_kg_query(args[0], int(args[1]), chosen)
    elif name == "ox-memory":
        report = worker_ox_memory(args[0], int(args[1]), chosen)
    elif name == "rdflib":
        report = worker_rdflib(args[0], int(args[1]), chosen, float(args[3]))
    else:
        raise SystemExit(f"unknown worker {name}")
    print(json.dumps(report))


def worker(name: str, *args: str) -> dict[str, Any]:
    """Run one of this script's workers in a child interpreter (peak RSS = that child's)."""
    result = core.run_measured([sys.executable, str(Path(__file__).resolve()), "--worker", name, *args])
    report: dict[str, Any] = json.loads(result["stdout"].strip().splitlines()[-1])
    report["maxrss_kb"] = result["maxrss_kb"]
    return report


# -- Virtuoso ---------------------------------------------------------------------------------


def start_virtuoso() -> Any:
    """A fresh tests/virtuoso.py server with the packaged 2 GB buffer setting (the test helper's
    20,000 buffers = 160 MB would make the 1M load wait on disk)."""
    from tests import virtuoso

    original = virtuoso.write_config

    def bigger(*args: Any, **kwargs: Any) -> Path:
        path: Path = original(*args, **kwargs)
        text = re.sub(r"(?m)^NumberOfBuffers\s*=.*$", f"NumberOfBuffers = {VIRT_BUFFERS[0]}", path.read_text())
        text = re.sub(r"(?m)^MaxDirtyBuffers\s*=.*$", f"MaxDirtyBuffers = {VIRT_BUFFERS[1]}", text)
        path.write_text(text)
        return path

    virtuoso.write_config = bigger  # type: ignore[assignment]
    try:
        return virtuoso.start(max_rows=RESULT_ROWS)
    finally:
        virtuoso.write_config = original  # type: ignore[assignment]


def stop_virtuoso(server: Any) -> None:
    server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)


def peak_rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def virtuoso_select(server: Any, text: str, timeout: float = 600) -> tuple[int, bool]:
    """Run a SELECT over HTTP, all rows parsed from SPARQL JSON; (rows, answer was cut short)."""
    data = urllib.parse.urlencode({"query": text}).encode()
    request = urllib.request.Request(
        server.sparql_url,
        data=data,
        headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        partial = response.headers.get("X-SQL-State") is not None  # MaxQueryExecutionTime hit
        body = json.loads(response.read())
    return len(body["results"]["bindings"]), partial


def virtuoso_count(server: Any) -> int:
    """Quads in the synthetic data's graphs (the server also holds its own system graphs)."""
    text = (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "
        "'https://example.org/bench/') || ?g = <https://w3id.org/kg-diplomacy/graph/provenance>) }"
    )
    data = urllib.parse.urlencode({"query": text}).encode()
    request = urllib.request.Request(
        server.sparql_url, data=data, headers={"Accept": "application/sparql-results+json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return int(json.loads(response.read())["results"]["bindings"][0]["n"]["value"])


def virtuoso_bulk_load(server: Any, file: Path) -> dict[str, Any]:
    """Virtuoso's own bulk path: ld_dir, rdf_loader_run, checkpoint (timed from ld_dir to the end)."""
    folder = server.folder / "load"
    folder.mkdir()
    shutil.copy(file, folder / file.name)  # must be under DirsAllowed
    start = time.perf_counter()
    server.sql(f"ld_dir('{folder}', '{file.name}', 'urn:kg:bench:default');")
    server.sql("rdf_loader_run();")
    server.sql("checkpoint;")
    seconds = time.perf_counter() - start
    errors = server.sql("SELECT COUNT(*) FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;")
    if not re.search(r"^\s*0\s*$", errors, re.M):
        raise RuntimeError(f"Virtuoso bulk load reported errors:\n{errors[-1500:]}")
    return {
        "seconds": seconds,
        "cpu_s": float("nan"),
        "quads": virtuoso_count(server),
        "maxrss_kb": peak_rss_kb(server.process.pid),
    }


def virtuoso_ontology(server: Any) -> None:
    from kg.namespaces import ONTOLOGY_IRI
    from kg.resources import ontology_files

    folder = server.folder / "ontology"
    folder.mkdir()
    for path in ontology_files():
        shutil.copy(path, folder / path.name)
    server.sql(f"ld_dir('{folder}', '*.ttl', '{ONTOLOGY_IRI}'); rdf_loader_run(); checkpoint;")


def virtuoso_queries(server: Any, runs: int, names: list[str]) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for name in names:
        times, rows, partial = [], None, False
        for _ in range(runs):
            start = time.perf_counter()
            rows, cut = virtuoso_select(server, core.QUERIES[name])
            times.append(time.perf_counter() - start)
            partial = partial or cut
        report[name] = {"times": times, "rows": rows, "partial": partial}
    return report


def kg_upload(server: Any, file: Path, timeout: float) -> dict[str, Any]:
    """kg's own path to a server: `kg --store URL build --only FILE --no-validate` (one run)."""
    env = {**os.environ, "KG_REMOTE_USER": server.user, "KG_REMOTE_PASSWORD": server.password}
    env.pop("KG_STORE", None)
    cmd = [
        "timeout",
        str(int(timeout)),
        str(core.KG_BIN),
        "--store",
        server.sparql_url,
        "build",
        "--only",
        str(file),
        "--no-validate",
    ]
    result = core.run_measured(cmd, env=env, check=False)
    report = {
        "seconds": result["wall"],
        "cpu_s": result["cpu_s"],
        "maxrss_kb": result["maxrss_kb"],
        "output": result["stdout"].strip()[-500:],
        "returncode": result["returncode"],
    }
    if result["returncode"] == 124:
        report["timeout_s"] = timeout
    elif result["returncode"] != 0:
        report["error"] = result["stderr"].strip()[-500:]
    else:
        report["quads"] = virtuoso_count(server)
    return report


# -- one size -----------------------------------------------------------------------------------


def summary(reports: list[dict[str, Any]], quads: int) -> dict[str, Any]:
    seconds = [r["seconds"] for r in reports]
    return {
        "median_s": median(seconds),
        "cpu_s": median([r["cpu_s"] for r in reports]),
        "quads_per_s": quads / median(seconds),
        "runs": seconds,
        "maxrss_kb": median([r.get("load_maxrss_kb") or r.get("maxrss_kb") or 0 for r in reports]),
        "quads_loaded": reports[-1].get("quads"),
        **{k: reports[-1][k] for k in ("timeout_s", "error", "loader") if k in reports[-1]},
    }


def bench_size(size: int, opts: argparse.Namespace, names: list[str], last_size: bool) -> dict[str, Any]:
    file, info = core.dataset_file(size, opts.seed)
    quads = info["quads"]
    rdflib_names = names if size <= opts.rdflib_canned_max else list(core.QUERIES)[:2]
    rdflib_runs = opts.rdflib_runs if size <= opts.rdflib_full_runs_max else 1
    log(f"=== {file.name}: {quads:,} quads")
    samples: dict[str, list[dict[str, Any]]] = {m: [] for m in (KG_LOAD, KG_BUILD, OX_BULK, OX_MEMORY)}
    if not opts.no_virtuoso:
        samples[VIRT_BULK] = []
    queries: dict[str, dict[str, Any]] = {}
    result: dict[str, Any] = {
        "file": str(file.relative_to(ROOT)),
        "quads": quads,
        "bytes": file.stat().st_size,
        "graphs": info.get("graphs"),
    }
    with core.scratch(opts.tmp, "scale") as folder:
        kg_store = folder / "kg-build-0"
        for round_ in range(opts.runs):
            last = round_ == opts.runs - 1
            for method in samples:  # interleaved rounds: drift hits every method alike
                target = folder / f"{method.split()[0]}-{method.split()[1]}-{round_}"
                if method == KG_LOAD:
                    report = core.worker("kg-load", str(file), str(target))
                elif method == KG_BUILD:
                    target = folder / f"kg-build-{round_}"
                    built = core.run_measured(
                        [str(core.KG_BIN), "--store", str(target), "build", "--only", str(file), "--no-validate"]
                    )
                    report = {"seconds": built["wall"], "cpu_s": built["cpu_s"], "maxrss_kb": built["maxrss_kb"]}
                elif method == OX_BULK:
                    report = core.worker("ox-bulk_load", str(file), str(target))
                elif method == OX_MEMORY:
                    report = worker("ox-memory", str(file), str(opts.query_runs if last else 0), ",".join(names))
                    if "queries" in report:
                        queries["pyoxigraph memory"] = report.pop("queries")
                else:
                    server = start_virtuoso()
                    try:
                        report = virtuoso_bulk_load(server, file)
                        if last:
                            virtuoso_ontology(server)
                            log(f"Virtuoso queries: {opts.query_runs} run(s) each")
                            queries["Virtuoso"] = virtuoso_queries(server, opts.query_runs, names)
                    finally:
                        stop_virtuoso(server)
                samples[method].append(report)
                log(f"load {method} {round_ + 1}/{opts.runs}: {report['seconds']:.2f} s")
                if target != kg_store:
                    shutil.rmtree(target, ignore_errors=True)

        log(
            f"rdflib: parse once, then {rdflib_runs} run(s) of {len(rdflib_names)} queries "
            f"(each capped at {opts.rdflib_timeout:g} s)"
        )
        rdflib_report = worker("rdflib", str(file), str(rdflib_runs), ",".join(rdflib_names), str(opts.rdflib_timeout))
        queries["rdflib"] = rdflib_report.pop("queries")
        samples[RDFLIB] = [rdflib_report]
        log(f"kg queries: {opts.query_runs} run(s) each")
        queries["kg"] = worker("kg-query", str(kg_store), str(opts.query_runs), ",".join(names))

        if not opts.no_virtuoso and not opts.no_upload and size <= opts.upload_max:
            server = start_virtuoso()
            try:
                log(f"kg upload to Virtuoso (one run, at most {opts.upload_timeout:g} s)")
                samples[VIRT_UPLOAD] = [kg_upload(server, file, opts.upload_timeout)]
                samples[VIRT_UPLOAD][0]["server_maxrss_kb"] = peak_rss_kb(server.process.pid)
            finally:
                stop_virtuoso(server)
            log(f"upload: {samples[VIRT_UPLOAD][0]['seconds']:.1f} s")
        if last_size and not opts.no_serve:
            result["endpoint"] = serve_at_scale(kg_store, opts)

    load = {m: summary(samples[m], quads) for m in samples if samples[m]}
    for entry in load.values():
        entry["ratio_to_bulk_load"] = entry["median_s"] / load[OX_BULK]["median_s"]
        entry["kg_speedup"] = entry["median_s"] / load[KG_LOAD]["median_s"]
    result["load"] = load
    result["rdflib_query_runs"] = rdflib_runs
    result["queries"] = compare_queries(queries, names)
    return result


def compare_queries(raw: dict[str, dict[str, Any]], names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        entry: dict[str, Any] = {"engines": {}}
        for engine in ENGINES:
            measured = raw.get(engine, {}).get(name)
            if not measured:
                continue
            entry["engines"][engine] = {
                "median_s": median(measured["times"]),
                "times": measured["times"],
                "rows": measured["rows"],
                **({"timeout_s": measured["timeout_s"]} if "timeout_s" in measured else {}),
                **({"partial": True} if measured.get("partial") else {}),
            }
        counts = {e: m["rows"] for e, m in entry["engines"].items() if m["rows"] is not None}
        entry["rows"] = counts.get("kg")
        entry["rows_match"] = len(set(counts.values())) == 1
        kg_time = entry["engines"].get("kg", {}).get("median_s", float("nan"))
        for measured in entry["engines"].values():
            measured["ratio_to_kg"] = measured["median_s"] / kg_time if kg_time else float("nan")
        out[name] = entry
    return out


# -- endpoint -----------------------------------------------------------------------------------


def serve_at_scale(store: Path, opts: argparse.Namespace) -> dict[str, Any]:
    """wrk against `kg serve` on the largest store: a one-entity lookup and the anchored query."""
    port = bench_serve.free_port()
    server = subprocess.Popen(
        [str(core.KG_BIN), "--store", str(store), "serve", "--port", str(port), "--no-site", "--timeout", "30"],
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/sparql"
    lookup = f"SELECT ?label WHERE {{ <{core.HUB}> rdfs:label ?label }}"
    report: dict[str, Any] = {"connections": opts.connections, "seconds": opts.seconds}
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base, timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        for name, text in (("lookup", lookup), ("anchored", core.QUERIES["anchored"])):
            url = base + "?" + urllib.parse.urlencode({"query": text})
            bench_serve.wrk(url, 2, opts.connections)  # warm up
            rows = [bench_serve.wrk(url, opts.seconds, opts.connections) for _ in range(opts.serve_runs)]
            report[name] = {k: median([r[k] for r in rows]) for k in rows[0]}
            log(f"endpoint {name}: {report[name]['requests_per_s']:.0f} req/s, p99 {report[name]['p99_ms']:.0f} ms")
    finally:
        server.terminate()
        server.wait(30)
    return report


def bench_serve_bundled(opts: argparse.Namespace) -> dict[str, Any]:
    """bench_serve.py as it is (bundled graph, runaway query); its JSON is bench/results/serve.json."""
    result = core.run_measured(
        [
            sys.executable,
            str(ROOT / "bench" / "bench_serve.py"),
            "--runs",
            str(opts.serve_runs),
            "--seconds",
            str(opts.seconds),
            "--connections",
            str(opts.connections),
        ],
        check=False,
    )
    if result["returncode"] != 0:
        return {"error": result["stderr"].strip()[-800:]}
    report: dict[str, Any] = json.loads((core.RESULTS / "serve.json").read_text())
    report["table"] = result["stdout"].strip()
    return report


# -- report -------------------------------------------------------------------------------------


def met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def cell(measured: dict[str, Any] | None) -> str:
    if not measured:
        return "–"
    if "timeout_s" in measured:
        return f"> {measured['timeout_s']:g} s (stopped)"
    text = f"{fmt_s(measured['median_s'])} ({len(measured['times'])})"
    return text + (" PARTIAL" if measured.get("partial") else "")


def markdown(results: dict[str, Any]) -> str:
    env = results["environment"]
    lines = [
        f"## kg scale benchmark — {env['date']}",
        "",
        f"Machine: {env['machine']}; Python {env['python']}, pyoxigraph {env['pyoxigraph']}, "
        f"rdflib {env['rdflib']}, {env.get('virtuoso', 'Virtuoso ?')}, kg {env['kg']} at "
        f"{env['git']}. Load average {env['loadavg_start']} at the start, "
        f"{results.get('loadavg_end', '?')} at the end. Total {results.get('total_s', 0):.0f} s.",
        "",
    ]
    sizes = results["sizes"]
    lines += [
        "### Load (median wall; quads/s; × = time / kg load_file's time)",
        "",
        "| method | " + " | ".join(f"{s['quads']:,}" for s in sizes) + " | peak RSS (largest) |",
        "|---|" + "---|" * len(sizes) + "---|",
    ]
    methods = list(dict.fromkeys(m for s in sizes for m in s["load"]))
    for method in methods:
        cells = []
        for s in sizes:
            m = s["load"].get(method)
            if not m:
                cells.append("–")
            elif "timeout_s" in m or "error" in m:
                cells.append(f"> {m['timeout_s']:g} s (stopped)" if "timeout_s" in m else "failed")
            else:
                runs = len(m["runs"])
                cells.append(
                    f"{fmt_s(m['median_s'])} ({runs}) · {fmt_rate(m['quads_per_s'])} · {fmt_ratio(m['kg_speedup'])}"
                )
        biggest = sizes[-1]["load"].get(method, {})
        rss = fmt_mb(biggest.get("maxrss_kb"))
        if method == VIRT_UPLOAD and biggest.get("server_maxrss_kb"):
            rss += f" (kg client; server {fmt_mb(biggest['server_maxrss_kb'])})"
        elif method == VIRT_BULK:
            rss += " (server)"
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {rss} |")
    top = sizes[-1]
    kg = top["load"][KG_LOAD]
    lines += [
        "",
        f"Targets at {top['quads']:,}: ≥ 200k quads/s — {met(kg['quads_per_s'] >= 200_000)} "
        f"({fmt_rate(kg['quads_per_s'])}); ≤ 1.25× raw bulk_load — "
        f"{met(kg['ratio_to_bulk_load'] <= 1.25)} ({fmt_ratio(kg['ratio_to_bulk_load'])}).",
    ]
    if RDFLIB in top["load"]:
        lines[-1] += f" rdflib takes {fmt_ratio(top['load'][RDFLIB]['kg_speedup'])} kg's time"
    if VIRT_BULK in top["load"]:
        lines[-1] += f", Virtuoso's bulk loader {fmt_ratio(top['load'][VIRT_BULK]['kg_speedup'])}."
    for s in sizes:
        lines += [
            "",
            f"### Queries on {s['quads']:,} quads (median, runs in brackets; rdflib {s['rdflib_query_runs']} run(s))",
            "",
            "| query | rows | " + " | ".join(ENGINES) + " | rdflib / kg | Virtuoso / kg | rows match |",
            "|---|---|" + "---|" * len(ENGINES) + "---|---|---|",
        ]
        for name, q in s["queries"].items():
            e = q["engines"]
            ratios = [
                fmt_ratio(e[k]["ratio_to_kg"]) if k in e and "timeout_s" not in e[k] else "–"
                for k in ("rdflib", "Virtuoso")
            ]
            match = "yes" if q["rows_match"] else "NO " + ", ".join(f"{k} {v['rows']}" for k, v in e.items())
            rows = f"{q['rows']:,}" if q["rows"] is not None else "–"
            lines.append(
                f"| {name} | {rows} | "
                + " | ".join(cell(e.get(k)) for k in ENGINES)
                + f" | {ratios[0]} | {ratios[1]} | {match} |"
            )
    q = top["queries"]
    lines += [
        "",
        f"Targets at {top['quads']:,}: kg ≥ 30× rdflib — "
        + "; ".join(
            f"{n} {fmt_ratio(q[n]['engines']['rdflib']['ratio_to_kg'])}"
            for n in ("anchored", "group_by")
            if "rdflib" in q[n]["engines"]
        )
        + " — "
        + met(all(q[n]["engines"].get("rdflib", {}).get("ratio_to_kg", 0) >= 30 for n in ("anchored", "group_by")))
        + "; p50 ≤ 50 ms for anchored queries (kg) — "
        + "; ".join(f"{n} {fmt_s(q[n]['engines']['kg']['median_s'])}" for n in ANCHORED)
        + " — "
        + met(all(q[n]["engines"]["kg"]["median_s"] <= 0.05 for n in ANCHORED))
        + ".",
    ]
    endpoint = top.get("endpoint")
    bundled = results.get("serve_bundled")
    if endpoint or bundled:
        lines += [
            "",
            "### Endpoint (wrk on loopback, median of runs)",
            "",
            "| store, query | req/s | p50 ms | p90 ms | p99 ms | non-2xx |",
            "|---|---|---|---|---|---|",
        ]
        if bundled and "quiet" in bundled:
            for label, key in (
                ("bundled graph, one-label lookup", "quiet"),
                ("same, with a runaway query hitting its time limit", "with_runaway"),
            ):
                r = bundled[key]
                lines.append(
                    f"| {label} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | "
                    f"{r['p90_ms']:.1f} | {r['p99_ms']:.1f} | {r['non_2xx']:.0f} |"
                )
            lines.append(f"| (bench_serve.py: p99 with runaway / without {bundled['p99_ratio']:.2f}×) | | | | | |")
        elif bundled:
            lines.append(f"| bench_serve.py failed: {bundled.get('error', '')[:200]} | | | | | |")
        for name in ("lookup", "anchored") if endpoint else ():
            r = endpoint[name]
            lines.append(
                f"| {top['quads']:,} quads, {name} | {r['requests_per_s']:.0f} | "
                f"{r['p50_ms']:.1f} | {r['p90_ms']:.1f} | {r['p99_ms']:.1f} | {r['non_2xx']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def environment() -> dict[str, Any]:
    env = core.environment()
    try:
        version = subprocess.run(["virtuoso-t", "--help"], capture_output=True, text=True).stderr
        match = re.search(r"Version (\S+)", version)
        env["virtuoso"] = f"Virtuoso {match.group(1)}" if match else "Virtuoso ?"
    except OSError:
        env["virtuoso"] = "Virtuoso not installed"
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1M")
    parser.add_argument("--quick", action="store_true", help="10k and 100k only")
    parser.add_argument("--runs", type=int, default=3, help="load rounds per method (default 3)")
    parser.add_argument(
        "--query-runs", type=int, default=3, help="runs of each query (kg, pyoxigraph, Virtuoso; default 3)"
    )
    parser.add_argument(
        "--rdflib-runs", type=int, default=3, help="runs of each rdflib query up to --rdflib-full-runs-max (then 1)"
    )
    parser.add_argument("--rdflib-full-runs-max", default="100k")
    parser.add_argument(
        "--rdflib-canned-max",
        default="10k",
        help="largest size at which rdflib runs the canned queries (they take seconds to minutes each at 10k already)",
    )
    parser.add_argument(
        "--rdflib-timeout",
        type=float,
        default=20.0,
        help="stop an rdflib query after this many seconds (reported as stopped)",
    )
    parser.add_argument("--no-virtuoso", action="store_true")
    parser.add_argument("--no-upload", action="store_true", help="skip kg's upload to Virtuoso")
    parser.add_argument("--upload-max", default="1M", help="largest size for kg's upload path")
    parser.add_argument("--upload-timeout", type=float, default=600.0)
    parser.add_argument("--no-serve", action="store_true")
    parser.add_argument("--serve-runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seed", type=int, default=20230316)
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument(
        "--json", type=Path, default=None, help="default bench/results/scale.json (scale-quick.json with --quick)"
    )
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.worker[0], args.worker[1:])
        return 0
    from bench.generate import parse_size

    sizes = core.parse_sizes("10k,100k" if args.quick else args.sizes)
    for option in ("rdflib_full_runs_max", "rdflib_canned_max", "upload_max"):
        setattr(args, option, parse_size(getattr(args, option)))
    if shutil.which("wrk") is None and not args.no_serve:
        sys.exit("wrk is missing: make bench-deps (or --no-serve)")
    names = register_queries()
    started = time.perf_counter()
    results: dict[str, Any] = {
        "environment": environment(),
        "sizes": [],
        "queries": core.QUERIES,
        "skipped_canned": SKIPPED,
        "virtuoso_buffers": VIRT_BUFFERS,
    }
    for index, size in enumerate(sizes):
        results["sizes"].append(bench_size(size, args, names, index == len(sizes) - 1))
    if not args.no_serve:
        log("bench_serve.py (bundled graph)")
        results["serve_bundled"] = bench_serve_bundled(args)
    results["total_s"] = time.perf_counter() - started
    results["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report = markdown(results)
    print(report)
    target = args.json or core.RESULTS / ("scale-quick.json" if args.quick else "scale.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    log(f"wrote {target}; total {results['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
