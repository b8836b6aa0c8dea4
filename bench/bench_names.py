"""Name lookups before and after the per-generation cache of what they read of the ontology (issue 13).

    python bench/bench_names.py                    # main before the change (56188bb) against kg now
    python bench/bench_names.py --before REF --runs 7

A name lookup (`kg describe NAME`, `kg path A B`, a canned query's entity parameter, a notebook's
`describe("Yoon")`) starts an anchored reader (kg.neighbourhood), which read the ontology and lexicon
graphs and everything they mention again for every lookup. The old code is extracted from git with
`git archive` into a temporary folder and run from there (PYTHONPATH); both run on the same store,
the bundled graph built once by kg now. Two measurements, old and new alternating, medians:

* each command in a fresh process (start-up included), CPU = user + system of the child (wait4);
* 20 lookups of bundled names in one process (a notebook or the endpoint), CPU per lookup, the
  first lookup of the process apart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine, median  # noqa: E402

NAMES = ["President Yoon", "Kishida", "Republic of Korea", "Japan", "Yoon Suk-yeol"]
COMMANDS = {
    "describe": ["describe", "President Yoon"],
    "path": ["path", "Yoon", "Kishida"],
}
_IN_PROCESS = """
import json, sys, time
from kg.describe import find_entity
from kg.storage import open_store
store = open_store(sys.argv[1])
names = json.loads(sys.argv[2])
times = []
for i in range(20):
    started = time.process_time()
    find_entity(store, names[i % len(names)])
    times.append(time.process_time() - started)
print(json.dumps(times))
"""


def _run(code: Path, args: list[str]) -> tuple[float, float, str]:
    """(wall, CPU, stdout) of `python -m kg ARGS` with kg imported from `code`."""
    env = {**os.environ, "PYTHONPATH": str(code), "KG_STORE": ""}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=tempfile.gettempdir()
    )
    assert process.stdout is not None
    out = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    assert os.waitstatus_to_exitcode(status) == 0, args
    return wall, usage.ru_utime + usage.ru_stime, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="56188bb", help="git ref of the code before (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "names.json")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-bench-names-") as scratch:
        old = Path(scratch) / "old"
        old.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", options.before, "kg"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        store = Path(scratch) / "store"
        subprocess.run([sys.executable, "-m", "kg", "--store", str(store), "-q", "build"], check=True, cwd=ROOT)
        versions = {"before": old, "now": ROOT}
        results: dict[str, Any] = {"machine": machine(["pyoxigraph"]), "before": options.before, "commands": {}}
        for name, args in COMMANDS.items():
            samples: dict[str, list[tuple[float, float]]] = {v: [] for v in versions}
            outputs = {}
            for _ in range(options.runs):
                for version, code in versions.items():
                    wall, cpu, out = _run(code, ["-m", "kg", "--store", str(store), *args])
                    samples[version].append((wall, cpu))
                    outputs[version] = out
            assert outputs["before"] == outputs["now"], f"{name}: the answers differ"
            row = {v: {"wall": median([w for w, _ in s]), "cpu": median([c for _, c in s])} for v, s in samples.items()}
            row["cpu_ratio"] = row["before"]["cpu"] / row["now"]["cpu"]
            results["commands"][name] = row
            print(
                f"kg {' '.join(args)}: CPU {row['before']['cpu']:.3f} s -> {row['now']['cpu']:.3f} s "
                f"({row['cpu_ratio']:.2f}x), wall {row['before']['wall']:.3f} -> {row['now']['wall']:.3f} s"
            )
        lookups: dict[str, list[list[float]]] = {v: [] for v in versions}
        for _ in range(options.runs):
            for version, code in versions.items():
                _, _, out = _run(code, ["-c", _IN_PROCESS, str(store), json.dumps(NAMES)])
                lookups[version].append(json.loads(out))
        row = {
            v: {"first": median([t[0] for t in runs]), "later": median([x for t in runs for x in t[1:]])}
            for v, runs in lookups.items()
        }
        row["later_ratio"] = row["before"]["later"] / row["now"]["later"]
        results["in_process"] = row
        print(
            f"find_entity in one process, CPU per lookup after the first: {row['before']['later'] * 1000:.1f} ms -> "
            f"{row['now']['later'] * 1000:.1f} ms ({row['later_ratio']:.1f}x); first: "
            f"{row['before']['first'] * 1000:.0f} -> {row['now']['first'] * 1000:.0f} ms"
        )
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
