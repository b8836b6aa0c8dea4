"""Interactive pages: kg's page generation and in-browser drawing against pyvis's defaults.

For generated graphs of 1k / 5k / 20k nodes with the attributes kg's projection produces, one run
measures:

* page generation: ``kg.pages.render.network(g)`` + ``kg.pages.render.page_html(...)`` (including igraph's
  Fruchterman–Reingold layout above 1000 nodes) against pyvis's defaults (``Network(cdn_resources="in_line")``,
  ``from_nx(g.copy())``, ``generate_html()``). pyvis runs in a child process with a time budget
  (``from_nx`` is quadratic); past the budget the result is "> budget";
* time until the graph is drawn and stable in headless Chromium (Debian's, through Playwright),
  network blocked, page opened from ``file://``, from the start of ``page.goto`` until kg's
  ``window.kgGraph.ready`` (set after stabilisation, or after the first draw when the layout was
  computed in Python), or, for the pyvis page, until vis-network's ``stabilizationIterationsDone``
  (when pyvis hides its loading bar) and ``stabilized`` (physics at rest), each capped.
  Console errors and requests leaving ``file:`` are recorded.

    python bench/bench_pages.py --quick        # 500 / 2000 nodes, one run each: about a minute
    python bench/bench_pages.py                # 1k / 5k / 20k nodes, medians of 3: about 12 minutes
    python bench/bench_pages.py --sizes 5000 --runs 5 --browser-cap 120

Prints a Markdown table and writes JSON to bench/results/pages.json (pages-quick.json with
--quick). These are measurements, not tests: nothing here asserts a time. The machine is shared
and noisy: compare the ratios measured in the same run, not the absolute seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine, median, seconds  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CHROMIUM = "/usr/bin/chromium"
# The launch arguments of tests/test_browser.py: no sandbox (root in a container), no GPU, and
# every host name resolves to nothing, so a page cannot fetch anything from the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]
RESOURCE = "https://example.org/bench/resource/"

# Installed before any page script runs: records when vis-network first fires each event, and
# how far the physics stabilisation has got (for a page that does not finish within the cap). Both
# templates assign the network to the global `network` (pyvis: `var network` at top level; kg:
# `window.network = network`), so a setter on window sees it as soon as it exists.
EVENT_HOOK = """
window.__bench = { events: {}, progress: null };
(function () {
  var current;
  Object.defineProperty(window, "network", {
    configurable: true,
    get: function () { return current; },
    set: function (value) {
      current = value;
      if (value && typeof value.once === "function") {
        ["stabilizationIterationsDone", "stabilized", "afterDrawing"].forEach(function (name) {
          value.once(name, function () {
            if (!(name in window.__bench.events)) { window.__bench.events[name] = performance.now(); }
          });
        });
        value.on("stabilizationProgress", function (p) {
          window.__bench.progress = { iterations: p.iterations, total: p.total, ms: performance.now() };
        });
      }
    }
  });
})();
"""

# -- synthetic graphs with the shape of kg.analysis.project.entity_graph ---------------------------------

ACTOR_KINDS = [
    ("State", 0.05),
    ("Person", 0.55),
    ("Company", 0.15),
    ("GovernmentBody", 0.15),
    ("InternationalOrganization", 0.10),
]
OTHER_KINDS = [  # (kind, top, share of the non-actors, relation from the node to its actors)
    ("Summit", "Event", 0.22, "host"),
    ("Visit", "Event", 0.18, "visitor"),
    ("Dialogue", "Event", 0.10, "member"),
    ("PressConference", "Event", 0.06, "speaker"),
    ("Treaty", "Agreement", 0.07, "party"),
    ("JointStatement", "Agreement", 0.05, "party"),
    ("Statement", "Claim", 0.15, "claimant"),
    ("Dispute", "Dispute", 0.07, "party"),
    ("Ruling", "Ruling", 0.05, "party"),
    ("Policy", "Policy", 0.03, "adoptedBy"),
    ("City", "Place", 0.02, "locatedIn"),
]
HUB_TOPS = {"Event", "Ruling", "Claim", "OfficeTerm", "PollResult"}
WORDS = (
    "minister said the two governments agreed to resume talks on export controls and "
    "security cooperation after the court ruling on compensation for wartime labour was "
    "discussed at length during the visit while officials stressed shared values"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(14, 30))]
    return " ".join(words).capitalize() + "."


def make_graph(nodes: int, seed: int = 0) -> nx.MultiDiGraph:
    """A seeded actor/event graph: ~22% actors, the rest events, agreements, claims, disputes…
    each linked to 1–3 actors picked with a skew (a few actors take part in most things), some
    to a dispute or agreement they concern, a few actors to each other; ~1.8 edges per node.

    Node attributes: label, kind, top, date, end, quotes [(quote, source)], quote, hub; edge
    attributes: label, relation, date, quote, claim — as `kg.analysis.project.entity_graph` gives (without
    the edge attribute `source`: pyvis's `from_nx` passes edge attributes as keyword arguments to
    `add_edge(source, to, …)`, so an attribute named `source` makes it raise a TypeError).
    """
    rng = random.Random(seed)
    graph = nx.MultiDiGraph()
    actor_count = max(10, nodes * 22 // 100)
    actors: list[str] = []
    for i in range(actor_count):
        kind = rng.choices([k for k, _ in ACTOR_KINDS], [w for _, w in ACTOR_KINDS])[0]
        iri = f"{RESOURCE}{kind.lower()}-{i}"
        quotes = [(_sentence(rng), f"Source {rng.randint(1, 50)}")]
        graph.add_node(
            iri,
            label=f"{kind} {i}",
            kind=kind,
            top="Actor",
            date="",
            end="",
            quotes=quotes,
            quote=quotes[0][0],
            hub=False,
        )
        actors.append(iri)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(actor_count)]
    targets: list[str] = []  # disputes and agreements, which events may concern
    shares = [share for _, _, share, _ in OTHER_KINDS]
    for i in range(nodes - actor_count):
        kind, top, _, relation = rng.choices(OTHER_KINDS, shares)[0]
        iri = f"{RESOURCE}{kind.lower()}-{i}"
        date = f"{rng.randint(1990, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        quotes = sorted((_sentence(rng), f"Source {rng.randint(1, 50)}") for _ in range(rng.randint(1, 2)))
        quote = "\n".join(q for q, _ in quotes)
        graph.add_node(
            iri,
            label=f"{kind} of {date} ({i})",
            kind=kind,
            top=top,
            date=date,
            end="",
            quotes=quotes,
            quote=quote,
            hub=top in HUB_TOPS,
        )
        linked = set(rng.choices(actors, weights, k=rng.choice((1, 1, 2, 2, 2, 3))))
        for actor in sorted(linked):
            graph.add_edge(
                iri,
                actor,
                key=f"kg:{relation}",
                label=relation,
                relation=f"kg:{relation}",
                date=date,
                quote=quotes[0][0],
                claim=False,
            )
        if top == "Claim" and targets:
            graph.add_edge(
                iri,
                rng.choice(targets),
                key="kg:claimedObject",
                label="claimed object",
                relation="kg:claimedObject",
                date=date,
                quote=quotes[0][0],
                claim=True,
            )
        elif top == "Event" and targets and rng.random() < 0.3:
            graph.add_edge(
                iri,
                rng.choice(targets),
                key="kg:concerns",
                label="concerns",
                relation="kg:concerns",
                date=date,
                quote=quotes[0][0],
                claim=False,
            )
        if top in ("Dispute", "Agreement"):
            targets.append(iri)
    for _ in range(actor_count // 2):  # persons in organisations, states in organisations
        a, b = rng.sample(actors, 2)
        graph.add_edge(
            a,
            b,
            key="kg:memberOf",
            label="member of",
            relation="kg:memberOf",
            date="",
            quote=graph.nodes[a]["quote"],
            claim=False,
        )
    return graph


# -- helpers ------------------------------------------------------------------------------------


# -- page generation ----------------------------------------------------------------------------


def kg_generate(graph: nx.MultiDiGraph, runs: int, out: Path) -> dict[str, Any]:
    """Median seconds of kg's network() + page_html(); the layout is timed separately once."""
    from kg.pages.render import LAYOUT_THRESHOLD, _layout, network, page_html

    totals, network_times = [], []
    html = ""
    for _ in range(runs):
        started = time.perf_counter()
        net = network(graph)
        built = time.perf_counter()
        html = page_html(net, title="kg benchmark page")
        finished = time.perf_counter()
        totals.append(finished - started)
        network_times.append(built - started)
    out.write_text(html, encoding="utf-8")
    layout = None
    if graph.number_of_nodes() > LAYOUT_THRESHOLD:
        started = time.perf_counter()
        _layout(graph, 0)
        layout = time.perf_counter() - started
    return {
        "seconds": median(totals),
        "runs": totals,
        "network_seconds": median(network_times),
        "layout_seconds": layout,
        "bytes": len(html.encode("utf-8")),
    }


def pyvis_worker(nodes: int, seed: int, mode: str, out: str) -> None:
    """Child process: build the same graph, time pyvis, write the page, print JSON."""
    from pyvis.network import Network

    graph = make_graph(nodes, seed)
    started = time.perf_counter()
    net = Network(cdn_resources="in_line")
    if mode == "from_nx":
        net.from_nx(graph.copy())
    else:  # what from_nx would give, set directly (pyvis's add_node/add_edge are quadratic)
        net.nodes = [
            {"color": "#97c2fc", "shape": "dot", **data, "size": 10, "id": node}
            for node, data in graph.nodes(data=True)
        ]
        net.edges = [{"from": a, "to": b, **data, "width": 1} for a, b, data in graph.edges(data=True)]
        net.node_ids = [n["id"] for n in net.nodes]
        net.node_map = {n["id"]: n for n in net.nodes}
    html = net.generate_html()
    elapsed = time.perf_counter() - started
    Path(out).write_text(html, encoding="utf-8")
    print(json.dumps({"seconds": elapsed, "bytes": len(html.encode("utf-8"))}))


def pyvis_generate(nodes: int, seed: int, runs: int, budget: float, out: Path) -> dict[str, Any]:
    """pyvis from_nx in child processes, each with `budget` seconds; stops after the first overrun.
    When from_nx never finished, the page for the browser is built with nodes/edges set directly."""
    times: list[float] = []
    size = None
    timed_out = False
    for _ in range(runs):
        command = [
            sys.executable,
            __file__,
            "--worker",
            "from_nx",
            "--nodes",
            str(nodes),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=budget + 15, check=True)
        except subprocess.TimeoutExpired:
            timed_out = True
            break
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if result["seconds"] > budget:  # finished, but past the budget: count as a cap
            timed_out = True
            break
        times.append(result["seconds"])
        size = result["bytes"]
    record: dict[str, Any] = {
        "seconds": median(times) if times else None,
        "runs": times,
        "budget": budget,
        "capped": timed_out and not times,
        "bytes": size,
        "page": "from_nx",
    }
    if not times:
        command = [
            sys.executable,
            __file__,
            "--worker",
            "direct",
            "--nodes",
            str(nodes),
            "--seed",
            str(seed),
            "--out",
            str(out),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        record.update(page="direct", direct_seconds=result["seconds"], bytes=result["bytes"])
    return record


# -- the browser ---------------------------------------------------------------------------------


def open_page(browser: Any, path: Path, *, kind: str, cap: float) -> dict[str, Any]:
    """Open one page in a fresh context; seconds from the start of goto to ready (kg) or to
    stabilizationIterationsDone / stabilized (pyvis), None past `cap`."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(viewport={"width": 1200, "height": 800}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.add_init_script(EVENT_HOOK)
    record: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        page.goto(path.as_uri(), wait_until="commit", timeout=cap * 1000)
        waits = (
            [("ready", "window.kgGraph && window.kgGraph.ready")]
            if kind == "kg"
            else [
                ("iterations_done", "window.__bench.events.stabilizationIterationsDone !== undefined"),
                ("stabilized", "window.__bench.events.stabilized !== undefined"),
            ]
        )
        for name, condition in waits:
            remaining = cap - (time.perf_counter() - started)
            try:
                if remaining <= 0:
                    raise TimeoutError
                page.wait_for_function(condition, timeout=remaining * 1000)
                record[name] = time.perf_counter() - started
            except (TimeoutError, PlaywrightError):
                record[name] = None
        if record.get("ready") or record.get("iterations_done"):
            record["drawn_nodes"] = page.evaluate("network.body.data.nodes.length")
            record["drawn_edges"] = page.evaluate("network.body.data.edges.length")
            record["events_ms"] = page.evaluate("window.__bench.events")
        else:  # capped: how far did it get? (the page may be busy in one long synchronous step)
            try:
                state = page.wait_for_function("JSON.stringify(window.__bench)", timeout=10_000)
                record["at_cap"] = json.loads(state.json_value())
            except (TimeoutError, PlaywrightError):
                record["at_cap"] = "page unresponsive for 10 s after the cap"
    finally:
        context.close()
    record["console_errors"] = errors
    record["external_requests"] = sorted({u for u in requests if not u.startswith(("file:", "data:", "blob:"))})
    return record


def browser_runs(browser: Any, path: Path, *, kind: str, runs: int, cap: float) -> dict[str, Any]:
    """Repeated opens; stops after the first one that hits the cap (a capped page is not repeated)."""
    key = "ready" if kind == "kg" else "iterations_done"
    opened = []
    for _ in range(runs):
        result = open_page(browser, path, kind=kind, cap=cap)
        opened.append(result)
        if result[key] is None:
            break
    done = [r[key] for r in opened if r[key] is not None]
    stable = [r.get("stabilized") for r in opened if r.get("stabilized") is not None]
    errors = sorted({e for r in opened for e in r["console_errors"]})
    return {
        "seconds": median(done) if len(done) == len(opened) else None,
        "runs": [r[key] for r in opened],
        "stabilized": median(stable) if kind == "pyvis" and len(stable) == len(opened) else None,
        "cap": cap,
        "console_errors": errors,
        "external_requests": sorted({u for r in opened for u in r["external_requests"]}),
        "drawn_nodes": opened[0].get("drawn_nodes"),
        "drawn_edges": opened[0].get("drawn_edges"),
        "events_ms": opened[0].get("events_ms"),
        "at_cap": opened[-1].get("at_cap"),
    }


# -- the run ------------------------------------------------------------------------------------


def run(
    sizes: list[int], runs: int, budget: float, cap: float, seed: int, keep: Path | None, skip_pyvis: bool = False
) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="kg-bench-pages-"))
    results: dict[str, Any] = {"meta": machine(("networkx", "igraph", "pyvis", "playwright", "jinja2")), "sizes": {}}
    results["meta"].update(runs=runs, pyvis_budget=budget, browser_cap=cap, seed=seed, skip_pyvis=skip_pyvis)
    try:
        pages = {}
        for nodes in sizes:
            started = time.perf_counter()
            graph = make_graph(nodes, seed)
            entry: dict[str, Any] = {
                "nodes": graph.number_of_nodes(),
                "edges": graph.number_of_edges(),
                "generate_graph_seconds": time.perf_counter() - started,
            }
            print(f"[{nodes}] graph: {entry['nodes']} nodes, {entry['edges']} edges", file=sys.stderr)
            kg_page, pyvis_page = workdir / f"kg-{nodes}.html", workdir / f"pyvis-{nodes}.html"
            entry["kg_generate"] = kg_generate(graph, runs, kg_page)
            print(f"[{nodes}] kg page: {seconds(entry['kg_generate']['seconds'])}", file=sys.stderr)
            if not skip_pyvis:
                entry["pyvis_generate"] = pyvis_generate(nodes, seed, runs, budget, pyvis_page)
                print(f"[{nodes}] pyvis page: {seconds(entry['pyvis_generate']['seconds'], budget)}", file=sys.stderr)
            results["sizes"][str(nodes)] = entry
            pages[nodes] = (kg_page, pyvis_page)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            results["meta"]["chromium"] = browser.version
            for nodes in sizes:
                entry = results["sizes"][str(nodes)]
                kg_page, pyvis_page = pages[nodes]
                entry["kg_browser"] = browser_runs(browser, kg_page, kind="kg", runs=runs, cap=cap)
                print(f"[{nodes}] kg in Chromium: {seconds(entry['kg_browser']['seconds'], cap)}", file=sys.stderr)
                if skip_pyvis:
                    continue
                entry["pyvis_browser"] = browser_runs(browser, pyvis_page, kind="pyvis", runs=runs, cap=cap)
                print(
                    f"[{nodes}] pyvis in Chromium: {seconds(entry['pyvis_browser']['seconds'], cap)}", file=sys.stderr
                )
            browser.close()
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
            for page in workdir.iterdir():
                shutil.copy(page, keep / page.name)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def ratio(slow: float | None, fast: float | None, slow_cap: float) -> str:
    """slow / fast; a lower bound ("> N×") when the slow side hit its cap."""
    if fast is None:
        return "–"
    value = (slow if slow is not None else slow_cap) / fast
    text = f"{value:.0f}×" if value >= 10 else f"{value:.1f}×"
    return text if slow is not None else f"> {text}"


def at_cap(browser: dict[str, Any]) -> str:
    """What a capped page had done by then: its stabilisation progress, or nothing."""
    state = browser.get("at_cap")
    if browser.get("seconds") is not None or not state:
        return ""
    if isinstance(state, str):
        return f" ({state})"
    progress = state.get("progress")
    if not progress:
        return " (no stabilisation progress yet)"
    return f" (stabilisation {progress['iterations']}/{progress['total']} iterations at {progress['ms'] / 1000:.0f} s)"


def table(results: dict[str, Any]) -> str:
    meta = results["meta"]
    budget, cap = meta["pyvis_budget"], meta["browser_cap"]
    lines = [
        f"{meta['date']}; {meta['machine']}; Python {meta['python']}; Chromium {meta.get('chromium', '?')}; "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f"; medians of {meta['runs']}",
        "",
        "| nodes (edges) | kg page (layout, one run) | pyvis from_nx page | ratio | HTML kg / pyvis "
        "| Chromium: kg ready | pyvis stabilizationIterationsDone | pyvis stabilized | ratio "
        "| console errors kg / pyvis |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for nodes, entry in results["sizes"].items():
        kg_gen, kg_br = entry["kg_generate"], entry["kg_browser"]
        skipped = {"seconds": None, "stabilized": None, "page": "skipped", "bytes": 0, "console_errors": []}
        py_gen, py_br = entry.get("pyvis_generate", skipped), entry.get("pyvis_browser", skipped)
        layout = f" ({seconds(kg_gen['layout_seconds'])})" if kg_gen["layout_seconds"] is not None else ""
        py_text = seconds(py_gen["seconds"], budget) if py_gen["page"] != "skipped" else "skipped"
        if py_gen["page"] == "direct":
            py_text += f" (set directly: {seconds(py_gen['direct_seconds'])})"
        sizes = f"{kg_gen['bytes'] / 1e6:.1f} / {py_gen['bytes'] / 1e6:.1f} MB"
        kg_errors = len(kg_br["console_errors"])
        py_errors = len(py_br["console_errors"])
        lines.append(
            f"| {int(nodes):,} ({entry['edges']:,}) | {seconds(kg_gen['seconds'])}{layout} | {py_text} "
            f"| {ratio(py_gen['seconds'], kg_gen['seconds'], budget)} | {sizes} "
            f"| {seconds(kg_br['seconds'], cap)}{at_cap(kg_br)} | {seconds(py_br['seconds'], cap)}{at_cap(py_br)} "
            f"| {seconds(py_br['stabilized'], cap)} | {ratio(py_br['seconds'], kg_br['seconds'], cap)} "
            f"| {kg_errors} / {py_errors} |"
        )
    errors = sorted(
        {e for entry in results["sizes"].values() for e in entry.get("pyvis_browser", {}).get("console_errors", [])}
    )
    if errors:
        lines += ["", "pyvis console errors: " + "; ".join(e[:160] for e in errors)]
    kg_errors_all = sorted({e for entry in results["sizes"].values() for e in entry["kg_browser"]["console_errors"]})
    lines += ["", "kg console errors: " + ("; ".join(kg_errors_all) if kg_errors_all else "none")]
    complete = all(
        entry["kg_browser"]["drawn_nodes"] == entry["nodes"] and entry["kg_browser"]["drawn_edges"] == entry["edges"]
        for entry in results["sizes"].values()
    )
    external = sorted({u for entry in results["sizes"].values() for u in entry["kg_browser"]["external_requests"]})
    lines += [
        f"kg pages drew every node and edge: {'yes' if complete else 'NO'}; "
        f"requests leaving file: {', '.join(external) if external else 'none'}"
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 and 2000 nodes, one run, short caps")
    parser.add_argument("--sizes", help="comma-separated node counts (default 1000,5000,20000)")
    parser.add_argument("--runs", type=int, help="runs per measurement (default 3; 1 with --quick)")
    parser.add_argument("--pyvis-budget", type=float, help="seconds allowed for pyvis from_nx (default 90)")
    parser.add_argument("--browser-cap", type=float, help="seconds allowed for a page to get ready (default 60)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-pyvis", action="store_true", help="measure kg's pages only")
    parser.add_argument("--keep-pages", type=Path, help="copy the generated pages into this folder")
    parser.add_argument("--output", type=Path, help="JSON file (default bench/results/pages[-quick].json)")
    parser.add_argument("--worker", choices=["from_nx", "direct"], help=argparse.SUPPRESS)
    parser.add_argument("--nodes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        pyvis_worker(args.nodes, args.seed, args.worker, args.out)
        return 0
    if not Path(CHROMIUM).exists():
        parser.error(f"{CHROMIUM} is missing (apt-get install chromium)")
    sizes = (
        [int(s) for s in args.sizes.split(",")] if args.sizes else ([500, 2000] if args.quick else [1000, 5000, 20000])
    )
    runs = args.runs or (1 if args.quick else 3)
    budget = args.pyvis_budget or (20.0 if args.quick else 90.0)
    cap = args.browser_cap or (20.0 if args.quick else 60.0)
    started = time.perf_counter()
    results = run(sizes, runs, budget, cap, args.seed, args.keep_pages, args.skip_pyvis)
    results["meta"]["total_seconds"] = time.perf_counter() - started
    output = args.output or RESULTS / ("pages-quick.json" if args.quick else "pages.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\n{results['meta']['total_seconds']:.0f} s in all; JSON: {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
