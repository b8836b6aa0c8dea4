"""Every read command of the CLI at 10k / 100k / 1M quads: how long a user waits (issue 13).

    python bench/bench_commands.py                         # 10k, 100k, 1M → bench/results/commands.json
    python bench/bench_commands.py --sizes 1M --runs 1 --timeout 60
    python bench/bench_commands.py --store-dir /tmp/kg-cmd # reuse the stores of an earlier run

Each size is a store built once with `kg build --no-validate` from the bundled graphs plus the
synthetic file of that size (`bench/data/synthetic-SIZE.nq`, made by generate.py when missing).
Each command is the installed `kg` entry point in a fresh process (start-up and opening the
on-disk store included), output to a pipe; median of --runs, stopped after --timeout seconds.
Entities: bundled ones (President Yoon, Kishida, the 2018 ruling and the 2023 summit) and the
synthetic graph's busiest actor, `state-0` (about 0.5 % of all events at every size), by IRI.
Up to --compare-max, the explore commands are also timed in one process on the whole snapshot
(what the CLI did before) and anchored (what it does now), with a check that the answers agree.

    python bench/bench_commands.py --against main --only "describe state-0,neighbors state-0"

With --against REF, each command runs alternately with kg as of the git revision REF (exported
with `git archive` into a temporary folder, run by this Python with that folder first on the path)
and with this tree, --runs times each, in one run: medians of wall and CPU, and their ratios
(old / new), and whether the two printed the same output.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_core import fmt_s, label_size, log, parse_sizes  # noqa: E402
from bench.common import machine, median  # noqa: E402

KG = str(Path(sys.executable).with_name("kg"))
STATE_0 = "https://example.org/bench/resource/state-0"
STATE_1 = "https://example.org/bench/resource/state-1"
RULING = "Supreme Court forced-labour ruling of October 2018"
SUMMIT = "Japan-ROK summit of 16 March 2023"
CANNED = [
    "agreements",
    "claims",
    "cq1-summit-leaders",
    "cq2-ruling-order",
    "cq3-compensation-plan",
    "cq4-export-controls",
    "cq5-phnom-penh-statement",
    "cq6-minefields",
    "cq7-ruling-to-summit",
    "disputes",
    "entities-without-evidence",
    "evidence-of",
    "timeline",
]


def commands(state0: str, state1: str) -> dict[str, list[str]]:
    found = {
        "stats": ["stats"],
        "describe (bundled)": ["describe", "President Yoon"],
        "describe state-0": ["describe", state0],
        "neighbors Kishida --hops 2": ["neighbors", "Kishida", "--hops", "2"],
        "neighbors state-0": ["neighbors", state0],
        "path ruling → summit": ["path", RULING, SUMMIT],
        "path state-0 → state-1": ["path", state0, state1],
        "timeline": ["timeline"],
        "timeline --actor state-0": ["timeline", "--actor", state0],
    }
    found.update({f"query {name}": ["query", name] for name in CANNED})
    return found


def data_file(quads: int) -> Path:
    path = ROOT / "bench" / "data" / f"synthetic-{label_size(quads)}.nq"
    if not path.exists():
        from bench.generate import generate

        log(f"generating {path.name}")
        generate(path, quads)
    return path


def prepared_store(quads: int, folder: Path) -> Path:
    store = folder / f"store-{label_size(quads)}"
    if not (store / "current").exists():
        log(f"building {store}")
        subprocess.run(
            [KG, "--store", str(store), "build", "--no-validate", str(data_file(quads))],
            check=True,
            env={**os.environ, "CI": "true"},
            stdout=subprocess.DEVNULL,
        )
    return store


def anchored_against_whole(store: Path, state0: str, state1: str) -> dict[str, dict[str, float]]:
    """In one process: each explore command on the whole snapshot (`Snapshot.of`, what the CLI did
    before issue 13 item 6, reading included) and anchored on the store (what it does now), CPU s."""
    from kg.analysis import explore
    from kg.describe import describe
    from kg.snapshot import Snapshot
    from kg.storage.embedded import open_folder

    opened = open_folder(store)
    calls: dict[str, Any] = {
        "describe (bundled)": lambda s: describe(s, "President Yoon"),
        "neighbors Kishida --hops 2": lambda s: explore.neighbors(s, "Kishida", hops=2),
        "path ruling → summit": lambda s: explore.explain_paths(s, RULING, SUMMIT),
        "timeline --actor state-0": lambda s: explore.timeline(s, actor=state0),
        "path state-0 → state-1": lambda s: explore.explain_paths(s, state0, state1),
    }
    found: dict[str, dict[str, float]] = {}
    for name, call in calls.items():
        started = time.process_time()
        whole = call(Snapshot.of(opened))
        middle = time.process_time()
        anchored = call(opened)
        ended = time.process_time()
        found[name] = {"whole": middle - started, "anchored": ended - middle, "same": float(whole == anchored)}
        log(f"  in process {name}: whole {middle - started:.2f} s, anchored {ended - middle:.2f} s CPU")
    return found


def run(store: Path, args: list[str], timeout: float, tree: Path | None = None) -> dict[str, Any]:
    """Wall and CPU time (user + system, from wait4) of one command; None after `timeout`. With
    `tree`, kg is that source tree's (`python -m kg` with the tree first on the path) and the
    output's digest is kept."""
    import hashlib
    import tempfile

    started = time.perf_counter()
    env = {**os.environ, "CI": "true"}
    command = [KG, "--store", str(store), *args]
    if tree is not None:  # `python -m` puts the working folder first on the path: run in the tree
        env["PYTHONPATH"] = str(tree)
        command = [sys.executable, "-m", "kg", "--store", str(store.resolve()), *args]
    with tempfile.TemporaryFile() as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE, env=env, cwd=tree)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                process.kill()
                os.wait4(process.pid, 0)
                return {"wall": None, "cpu": None, "timed_out": timeout}
            time.sleep(0.01)
        wall = time.perf_counter() - started
        sink.seek(0)
        digest = hashlib.sha256(sink.read()).hexdigest()
    error = process.stderr.read().decode("utf-8", "replace")[-300:] if process.stderr else ""
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "exit": os.waitstatus_to_exitcode(status),
        "error": error,
        "output": digest,
    }


def exported(ref: str, folder: Path) -> Path:
    """The source tree of git revision `ref`, exported into `folder` (kg as it was)."""
    tree = folder / f"kg-{ref.replace('/', '-')}"
    if not (tree / "kg").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def against(store: Path, command: list[str], runs: int, timeout: float, old: Path) -> dict[str, Any]:
    """`command` with the old tree and with this one, alternating, `runs` times each."""
    reports: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    for number in range(runs):
        order = ("old", "new") if number % 2 == 0 else ("new", "old")
        for which in order:
            reports[which].append(run(store, command, timeout, old if which == "old" else ROOT))
    found: dict[str, Any] = {"runs": reports}
    for which, done in reports.items():
        walls = [r["wall"] for r in done if r["wall"] is not None]
        cpus = [r["cpu"] for r in done if r["cpu"] is not None]
        found[which] = {"wall": median(walls) if walls else None, "cpu": median(cpus) if cpus else None}
    outputs = {r.get("output") for done in reports.values() for r in done if r["wall"] is not None}
    found["same_output"] = len(outputs) == 1
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k,1M")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--runs-1m", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--only", help="comma-separated command names (default: all)")
    parser.add_argument(
        "--compare-max",
        type=lambda text: parse_sizes(text)[0],
        default=100_000,
        help="up to this size, also time the explore commands in one process, whole snapshot against anchored",
    )
    parser.add_argument("--store-dir", type=Path, default=Path("/tmp/kg-bench-commands"))
    parser.add_argument("--against", metavar="REF", help="also run each command with kg as of this git revision")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "commands.json")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"machine": machine(["pyoxigraph", "igraph"]), "sizes": {}}
    for quads in parse_sizes(args.sizes):
        store = prepared_store(quads, args.store_dir)
        # By IRI: the generator's names repeat at 1M ("Republic of Mermer" is state-0 and state-21).
        state0, state1 = f"<{STATE_0}>", f"<{STATE_1}>"
        # The build writes the search index; a store from an older kg gets it on first use: not timed.
        subprocess.run([KG, "--store", str(store), "search", "Kishida"], check=True, capture_output=True)
        runs = args.runs if quads < 1_000_000 else args.runs_1m
        size: dict[str, Any] = {"load": Path("/proc/loadavg").read_text().split()[:3], "commands": {}}
        old = exported(args.against, args.store_dir) if args.against else None
        for name, command in commands(state0, state1).items():
            if args.only and name not in args.only.split(","):
                continue
            if old is not None:
                size.setdefault("against", {})[name] = compared = against(store, command, runs, args.timeout, old)
                log(f"{label_size(quads)} {name}: old {compared['old']} new {compared['new']}")
                continue
            reports = [run(store, command, args.timeout) for _ in range(runs)]
            walls = [r["wall"] for r in reports if r["wall"] is not None]
            cpus = [r["cpu"] for r in reports if r["cpu"] is not None]
            size["commands"][name] = {
                "wall": median(walls) if walls else None,
                "cpu": median(cpus) if cpus else None,
                "runs": reports,
            }
            log(f"{label_size(quads)} {name}: {fmt_s(size['commands'][name]['wall']) if walls else 'stopped'}")
        if quads <= args.compare_max:
            size["in_process"] = anchored_against_whole(store, state0, state1)
        results["sizes"][label_size(quads)] = size
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    print(
        markdown(results, args.timeout) if not args.against else markdown_against(results, args.against, args.timeout)
    )
    return 0


def markdown_against(results: dict[str, Any], ref: str, timeout: float) -> str:
    """Old (REF) against new, per command and size: wall and CPU medians and their ratios."""

    def cell(entry: dict[str, Any]) -> str:
        if entry["wall"] is None:
            return f"> {timeout:.0f} s"
        return f"{fmt_s(entry['wall'])} ({fmt_s(entry['cpu'])} CPU)"

    def ratio(old: dict[str, Any], new: dict[str, Any], key: str) -> str:
        if new[key] is None:
            return "–"
        if old[key] is None:
            return f"> {timeout / new['wall']:.1f}×" if key == "wall" else "–"
        return f"{old[key] / new[key]:.1f}×"

    lines = [
        f"Run {results['machine']['date']}, {results['machine']['machine']}; old = `{ref}`, alternating; "
        "load at the start of " + ", ".join(f"{s}: {' '.join(v['load'])}" for s, v in results["sizes"].items()),
        "",
        "| command | size | old wall (CPU) | new wall (CPU) | × wall | × CPU | same output |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, found in results["sizes"].items():
        for name, entry in found.get("against", {}).items():
            old, new = entry["old"], entry["new"]
            lines.append(
                f"| `kg {name}` | {size} | {cell(old)} | {cell(new)} | {ratio(old, new, 'wall')} | "
                f"{ratio(old, new, 'cpu')} | {'yes' if entry['same_output'] else 'no'} |"
            )
    return "\n".join(lines)


def markdown(results: dict[str, Any], timeout: float) -> str:
    sizes = list(results["sizes"])
    lines = [
        f"Run {results['machine']['date']}, {results['machine']['machine']}; load average at the start of "
        + ", ".join(f"{s}: {' '.join(results['sizes'][s]['load'])}" for s in sizes),
        "",
        "| command (wall, CPU) | " + " | ".join(sizes) + " |",
        "|---|" + "---|" * len(sizes),
    ]
    names = list(next(iter(results["sizes"].values()))["commands"]) if sizes else []
    for name in names:
        cells = []
        for s in sizes:
            entry = results["sizes"][s]["commands"].get(name)
            if entry is None:
                cells.append("–")
            elif entry["wall"] is None:
                cells.append(f"> {timeout:.0f} s")
            else:
                failed = any(r.get("exit") not in (0, None) for r in entry["runs"])
                cells.append(fmt_s(entry["wall"]) + f" ({fmt_s(entry['cpu'])} CPU)" + (" exit ≠ 0" if failed else ""))
        lines.append(f"| `kg {name}` | " + " | ".join(cells) + " |")
    compared = [s for s in sizes if "in_process" in results["sizes"][s]]
    if compared:
        lines += ["", "| in one process, CPU: whole snapshot → anchored | " + " | ".join(compared) + " |"]
        lines.append("|---|" + "---|" * len(compared))
        for name in results["sizes"][compared[0]]["in_process"]:
            cells = []
            for s in compared:
                entry = results["sizes"][s]["in_process"][name]
                ratio = entry["whole"] / entry["anchored"] if entry["anchored"] else float("inf")
                same = "" if entry["same"] else " (answers differ)"
                cells.append(f"{fmt_s(entry['whole'])} → {fmt_s(entry['anchored'])} ({ratio:.1f}×){same}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
