"""GDELT import benchmark (issue 12): throughput and peak memory of `kg import gdelt`, in one run.

For each size (synthetic rows in the GDELT 2.0 export form: tab-separated, 61 columns, no header),
three measurements, each in a child process of its own so that its peak RSS is its own:

  * import:  kg.event_import.import_gdelt into a copy of a built store (the bundled graph, built and
             validated as `kg build` does by default): reading, checking, filtering, mapping,
             streaming into Oxigraph's bulk loader, the atomic generation swap and the counts;
  * raw:     the same quads, written beforehand as an N-Quads file (not timed), bulk-loaded by
             pyoxigraph into a copy of the same store: the floor any importer has to pay;
  * pandas:  pandas.read_csv of the same file (all columns as strings), a common way to read GDELT;
  * map:     kg's reading, checking and mapping alone (the N-Quads text produced and dropped): the
             importer's own cost and memory, without the store.

Target (issue 12): import ≤ 1.5× raw, peak RSS flat as files grow. Nothing here asserts a time.

    python bench/bench_gdelt.py --sizes 100k,300k          # -> bench/results/gdelt-100k-300k.json
    python bench/bench_gdelt.py --sizes 100k,1M --repeat 1
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine, median  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
COUNTRIES = [
    "USA",
    "CHN",
    "RUS",
    "JPN",
    "KOR",
    "PRK",
    "GBR",
    "FRA",
    "DEU",
    "IND",
    "PAK",
    "IRN",
    "ISR",
    "SYR",
    "TUR",
    "UKR",
    "SAU",
    "EGY",
    "NGA",
    "BRA",
    "MEX",
    "CAN",
    "AUS",
    "AFG",
    "IRQ",
]
TYPES = ["", "", "", "GOV", "MIL", "BUS", "CVL", "MED", "OPP", "JUD", "LEG", "COP"]
PLACES = [
    ("Tokyo, Tokyo, Japan", "JA", "35.685", "139.751", "-246227"),
    ("Seoul, Soul-t'ukpyolsi, South Korea", "KS", "37.5664", "126.997", "-716583"),
    ("Washington, District of Columbia, United States", "US", "38.8951", "-77.0364", "531871"),
    ("Beijing, Beijing, China", "CH", "39.9289", "116.388", "-1898541"),
    ("Moscow, Moskva, Russia", "RS", "55.7522", "37.6156", "-2960561"),
]


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def generate(rows: int, path: Path, seed: int = 12) -> Path:
    """Write `rows` synthetic events in the GDELT 2.0 export form (deterministic for a seed)."""
    from kg.readers.cameo import event_codes
    from kg.readers.gdelt import LAYOUTS

    random.seed(seed)
    codes = sorted(event_codes().values(), key=lambda c: c.code)
    quad = {
        **dict.fromkeys(["01", "02", "03", "04", "05"], "1"),
        **dict.fromkeys(["06", "07", "08"], "2"),
        **dict.fromkeys(["09", "10", "11", "12", "13"], "3"),
    }
    layout = LAYOUTS[61]
    index = {c: i for i, c in enumerate(layout)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for n in range(rows):
            fields = [""] * len(layout)
            year, month, day = random.randint(2015, 2023), random.randint(1, 12), random.randint(1, 28)
            code = random.choice(codes)
            place = random.choice(PLACES)
            values = {
                "GLOBALEVENTID": str(700_000_000 + n),
                "SQLDATE": f"{year}{month:02d}{day:02d}",
                "MonthYear": f"{year}{month:02d}",
                "Year": str(year),
                "FractionDate": f"{year + month / 12:.4f}",
                "IsRootEvent": "1",
                "EventCode": code.code,
                "EventBaseCode": code.code[:3],
                "EventRootCode": code.root,
                "QuadClass": quad.get(code.root, "4"),
                "GoldsteinScale": f"{code.goldstein:.1f}",
                "NumMentions": str(random.randint(1, 60)),
                "NumSources": str(random.randint(1, 6)),
                "NumArticles": str(random.randint(1, 60)),
                "AvgTone": f"{random.uniform(-9, 6):.6f}",
                "ActionGeo_Type": "4",
                "ActionGeo_FullName": place[0],
                "ActionGeo_CountryCode": place[1],
                "ActionGeo_Lat": place[2],
                "ActionGeo_Long": place[3],
                "ActionGeo_FeatureID": place[4],
                "DATEADDED": f"{year}{month:02d}{day:02d}120000",
                "SOURCEURL": f"https://news.example.org/{year}/{month:02d}/{day:02d}/story-{n // 3}",
            }
            for actor in ("1", "2"):
                country, kind = random.choice(COUNTRIES), random.choice(TYPES)
                values.update(
                    {
                        f"Actor{actor}Code": country + kind,
                        f"Actor{actor}Name": country,
                        f"Actor{actor}CountryCode": country,
                        f"Actor{actor}Type1Code": kind,
                    }
                )
            for column, value in values.items():
                fields[index[column]] = value
            out.write("\t".join(fields) + "\n")
    return path


def write_nquads(events_file: Path, target: Path, store_path: Path) -> int:
    """The exact N-Quads the import would stream, as a file (the raw baseline's input); returns bytes."""
    from kg.readers.gdelt import EventMapper, NQuadsStream, known_actors, read_events
    from kg.storage.location import open_store

    store = open_store(store_path)
    mapper = EventMapper(known_actors(store))
    store.close()
    stream = NQuadsStream(read_events([events_file]), mapper)
    with target.open("wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)  # type: ignore[misc]
    return target.stat().st_size


# --- workers (one measurement per process) -------------------------------------------------------


def worker(method: str, events_file: Path, store_path: Path, nquads: Path) -> dict[str, Any]:
    started = time.perf_counter()
    extra: dict[str, Any] = {}
    if method == "import":
        from kg.event_import import import_gdelt

        report = import_gdelt(store_path, [events_file])
        extra = {"events": report.events_added, "quads": report.quads_added, "skipped": len(report.skipped)}
    elif method == "raw":
        import pyoxigraph as ox

        store = ox.Store(str((store_path / "current").resolve() / "oxigraph"))
        before = len(store)
        store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        store.flush()
        extra = {"quads": len(store) - before}
    elif method == "map":
        from kg.readers.gdelt import EventMapper, read_events

        mapper = EventMapper({})
        size = sum(len(mapper.nquads(event)) for event in read_events([events_file]))
        extra = {"nquads_mb": size / 2**20}
    elif method == "pandas":
        import pandas as pd

        frame = pd.read_csv(events_file, sep="\t", header=None, dtype=str, keep_default_na=False, quoting=3)
        extra = {"rows": len(frame)}
    else:
        raise SystemExit(f"unknown method {method}")
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rss_mb": rss, **extra}


def run_worker(method: str, events_file: Path, template: Path, nquads: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kg-bench-gdelt-") as folder:
        store_path = Path(folder) / "store"
        shutil.copytree(template, store_path, symlinks=True)
        output = subprocess.run(
            [sys.executable, __file__, "--worker", method, str(events_file), str(store_path), str(nquads)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100k,300k", help="Row counts, comma-separated (100k,1M).")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per measurement (median reported).")
    parser.add_argument("--worker", nargs=4, metavar=("METHOD", "EVENTS", "STORE", "NQUADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        method, events_file, store_path, nquads = args.worker
        print(json.dumps(worker(method, Path(events_file), Path(store_path), Path(nquads))))
        return

    from kg.build import build

    results: dict[str, Any] = {"machine": machine(["pyoxigraph", "pandas"]), "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="kg-bench-gdelt-template-") as folder:
        template = Path(folder) / "store"
        build(template)  # the default path: bundled graph, validated
        for label in args.sizes.split(","):
            rows = parse_size(label)
            events_file = DATA / f"gdelt-{label}.export.CSV"
            if not events_file.exists():
                generate(rows, events_file)
            nquads = DATA / f"gdelt-{label}.nq"
            if not nquads.exists():
                write_nquads(events_file, nquads, template)
            runs: dict[str, list[dict[str, Any]]] = {"import": [], "raw": [], "pandas": [], "map": []}
            for _ in range(args.repeat):
                for method in runs:
                    runs[method].append(run_worker(method, events_file, template, nquads))
            summary = {
                method: {
                    "seconds": median([r["seconds"] for r in found]),
                    "rss_mb": median([r["rss_mb"] for r in found]),
                    "runs": found,
                }
                for method, found in runs.items()
            }
            imported, raw = summary["import"], summary["raw"]
            summary["rows"] = rows
            summary["events_per_s"] = rows / imported["seconds"]
            summary["quads"] = runs["raw"][0]["quads"]
            summary["import_vs_raw"] = imported["seconds"] / raw["seconds"]
            summary["import_vs_pandas"] = imported["seconds"] / summary["pandas"]["seconds"]
            summary["file_mb"] = events_file.stat().st_size / 2**20
            results["sizes"][label] = summary
            print(
                f"{label:>5} rows ({summary['file_mb']:.0f} MB, {summary['quads']:,} quads): "
                f"import {imported['seconds']:.2f} s ({summary['events_per_s']:,.0f} events/s, "
                f"{imported['rss_mb']:.0f} MB) | raw N-Quads bulk load {raw['seconds']:.2f} s "
                f"({raw['rss_mb']:.0f} MB) → {summary['import_vs_raw']:.2f}× | pandas read_csv "
                f"{summary['pandas']['seconds']:.2f} s ({summary['pandas']['rss_mb']:.0f} MB) | map only "
                f"{summary['map']['seconds']:.2f} s ({summary['map']['rss_mb']:.0f} MB)",
                flush=True,
            )
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "gdelt-" + args.sizes.replace(",", "-") + ".json"
    (RESULTS / name).write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"results: {RESULTS / name}")


if __name__ == "__main__":
    main()
