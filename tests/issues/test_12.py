"""Issue 12: GDELT 2.0 / CAMEO import and a cooperation–conflict index per dyad, on real data.

Reads the shared GDELT sample (3,000 real GDELT 2.0 rows, BigQuery form with a header, 62 columns)
and the shared CAMEO code list from `../shared/data/gdelt/` beside the repository (or the folder
named by KG_SHARED). They are not copied into the project; without them these tests fail and say
where the files are expected.
"""

from __future__ import annotations

import csv
import os
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.build import build
from kg.cli import cli
from kg.event_import import import_gdelt, load_events
from kg.readers.cameo import event_codes
from kg.readers.gdelt import ImportReport, parse_filter
from kg.storage.embedded import memory_store
from kg.storage.location import open_store
from kg.tension import tension_df

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("KG_SHARED") or ROOT.parent / "shared")
SAMPLE = SHARED / "data" / "gdelt" / "gdelt2-events-sample.csv"
CODES = SHARED / "data" / "gdelt" / "cameo-codes.tsv"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    if not SAMPLE.is_file():
        pytest.fail(f"the shared GDELT sample is missing: expected {SAMPLE} (set KG_SHARED to the shared folder)")
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]]) -> Path:
    """The bundled graph with the whole sample imported through the CLI."""
    path = tmp_path_factory.mktemp("gdelt") / "store"
    build(path)
    result = CliRunner().invoke(cli, ["--store", str(path), "import", "gdelt", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "3000 rows read, 3000 kept, 0 filtered out, 0 skipped; 3000 new events" in result.output
    return path


def busiest_dyads(rows: list[dict[str, str]], n: int) -> list[tuple[tuple[str, str], int]]:
    pairs: Counter[tuple[str, str]] = Counter()
    for row in rows:
        first, second = row["Actor1CountryCode"], row["Actor2CountryCode"]
        if first and second and first != second:
            pairs[tuple(sorted((first, second)))] += 1  # type: ignore[index]
    return pairs.most_common(n)


def raw_form(rows: list[dict[str, str]], path: Path) -> Path:
    """The same rows in the GDELT 2.0 export form: tabs, no header, 61 columns."""
    columns = [c for c in rows[0] if c != "CAMEOCodeDescription"]
    path.write_text("".join("\t".join(row[c] for c in columns) + "\n" for row in rows), encoding="utf-8")
    return path


def test_the_cameo_scheme_has_every_reference_code_with_its_goldstein_value() -> None:
    if not CODES.is_file():
        pytest.fail(f"the shared CAMEO code list is missing: expected {CODES}")
    scheme = event_codes()
    with CODES.open(encoding="utf-8", newline="") as handle:
        reference = [r for r in csv.reader(handle, delimiter="\t") if r and r[0].strip().isdigit()]
    assert len(reference) == 280
    for code, _label, goldstein, *_ in reference:
        assert code in scheme, f"CAMEO code {code!r} is missing from ontology/cameo.ttl"
        assert scheme[code].goldstein == float(goldstein), code
    assert "10" in scheme and "010" in scheme and scheme["10"] != scheme["010"]


def test_counts_per_root_code_equal_the_files(sample_store: Path, rows: list[dict[str, str]]) -> None:
    store = open_store(sample_store)
    counted = {
        r["root"].value: int(r["n"].value)
        for r in store.query("""
            SELECT ?root (COUNT(?e) AS ?n) WHERE {
              GRAPH ?g { ?e kg:gdeltEventId ?id ; kg:eventCode ?code }
              ?code skos:broader* ?top . ?top skos:topConceptOf kgc:cameo ; skos:notation ?root .
            } GROUP BY ?root""")
    }
    assert counted == dict(Counter(row["EventRootCode"] for row in rows))
    quad = {
        r["q"].value: int(r["n"].value)
        for r in store.query(
            "SELECT ?q (COUNT(?e) AS ?n) WHERE { GRAPH ?g { ?e kg:gdeltEventId ?id ; kg:quadClass ?c } "
            "?c skos:notation ?q } GROUP BY ?q"
        )
    }
    assert quad == dict(Counter(row["QuadClass"] for row in rows))


def test_every_event_has_its_source_article_as_machine_coded_evidence(
    sample_store: Path, rows: list[dict[str, str]]
) -> None:
    store = open_store(sample_store)
    urls = {
        r["id"].value: r["url"].value
        for r in store.query("""
        SELECT ?id ?url WHERE {
          GRAPH ?g { ?e kg:gdeltEventId ?id }
          GRAPH kgg:provenance { ?g a kg:MachineCodedEvidence ; kg:source ?s . ?s schema:url ?url }
        }""")
    }
    assert urls == {row["GLOBALEVENTID"]: row["SOURCEURL"] for row in rows}


def test_reimport_is_idempotent(sample_store: Path) -> None:
    before = len(open_store(sample_store))
    report = import_gdelt(sample_store, [SAMPLE])
    assert (report.kept, report.events_added, report.quads_added) == (3000, 0, 0)
    assert len(open_store(sample_store)) == before


def test_the_dyad_filter_is_exact(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    for (first, second), count in busiest_dyads(rows, 3):
        expected = {
            row["GLOBALEVENTID"]
            for row in rows
            if {row["Actor1CountryCode"], row["Actor2CountryCode"]} == {first, second}
        }
        assert len(expected) == count
        store = memory_store()
        report = load_events(store, [SAMPLE], parse_filter(dyads=[f"{second}:{first}"]))
        assert (report.kept, report.filtered) == (count, 3000 - count)
        found = {r["id"].value for r in store.query("SELECT ?id WHERE { GRAPH ?g { ?e kg:gdeltEventId ?id } }")}
        assert found == expected


def test_header_form_raw_form_and_zip_give_the_same_graph(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    raw = raw_form(rows, tmp_path / "20170701234500.export.CSV")
    archive = tmp_path / "20170701234500.export.CSV.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.write(raw, raw.name)
    graphs = []
    for path in (SAMPLE, raw, archive):
        store = memory_store()
        report = load_events(store, [path])
        assert report.kept == 3000 and not report.skipped
        graphs.append({str(q) for q in store.oxigraph.quads_for_pattern(None, None, None, None)})
    assert graphs[0] == graphs[1] == graphs[2]
    assert len(graphs[0]) > 3000 * 15


def test_malformed_rows_are_reported_by_line_number(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = dict(enumerate(lines, start=1))
    broken[10] = broken[10].replace(",", ",,", 1)  # one column too many
    broken[500] = broken[500].replace(rows[498]["SQLDATE"], "20170230", 1)
    field = rows[2998]
    broken[3000] = broken[3000].replace(
        f",{field['QuadClass']},{field['GoldsteinScale']},", f",{field['QuadClass']},high,", 1
    )
    path = tmp_path / "broken.csv"
    path.write_text("".join(broken[n] for n in sorted(broken)), encoding="utf-8")
    store = memory_store()
    report = load_events(store, [path], report=ImportReport())
    assert [(s.line, s.reason.split(":")[0]) for s in report.skipped] == [
        (10, "wrong column count"),
        (500, "impossible date"),
        (3000, "non-numeric Goldstein value 'high' (a number from -10 to 10)"),
    ]
    assert report.kept == 2997
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "none"), "import", "gdelt", str(path)])
    assert result.exit_code == 2  # no store built there: refused before reading
    built = tmp_path / "store"
    build(built)
    result = CliRunner().invoke(cli, ["--store", str(built), "import", "gdelt", str(path)])
    assert result.exit_code == 1
    assert f"skipped {path}:500: impossible date: SQLDATE '20170230'" in result.output
    assert "3000 rows read, 2997 kept, 0 filtered out, 3 skipped" in result.output


def test_tension_for_the_busiest_dyads(sample_store: Path, rows: list[dict[str, str]], tmp_path: Path) -> None:
    store = open_store(sample_store)
    runner = CliRunner()
    for (first, second), count in busiest_dyads(rows, 3):
        frame = tension_df(store, first, second, by="month")
        both = frame[frame.direction == "both"]
        assert int(both.events.sum()) == count
        chosen = [r for r in rows if {r["Actor1CountryCode"], r["Actor2CountryCode"]} == {first, second}]
        assert float((both.goldstein_mean * both.events).sum()) == pytest.approx(
            sum(float(r["GoldsteinScale"]) for r in chosen), abs=0.01
        )
        forward = frame[frame.direction == f"{first}→{second}"]
        assert int(forward.events.sum()) == sum(r["Actor1CountryCode"] == first for r in chosen)
        chart = tmp_path / f"{first}-{second}.png"
        result = runner.invoke(
            cli,
            ["--store", str(sample_store), "tension", "--dyad", first, second, "--by", "week", "--chart", str(chart)],
        )
        assert result.exit_code == 0, result.output
        assert chart.stat().st_size > 10_000
    same = tension_df(store, "USA", "USA", by="year")
    usa = sum(r["Actor1CountryCode"] == r["Actor2CountryCode"] == "USA" for r in rows)
    assert set(same.direction) == {"USA→USA", "both"}
    assert int(same[same.direction == "both"].events.sum()) == usa


def test_canned_event_queries(sample_store: Path, rows: list[dict[str, str]]) -> None:
    (first, second), count = busiest_dyads(rows, 1)[0]
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "--store",
            str(sample_store),
            "query",
            "event-types-of-dyad",
            "--format",
            "csv",
            "--param",
            f"a={first}",
            "--param",
            f"b={second}",
        ],
    )
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(result.output.splitlines()))
    chosen = [r for r in rows if {r["Actor1CountryCode"], r["Actor2CountryCode"]} == {first, second}]
    assert sum(int(r["events"]) for r in table) == count
    per_code = Counter(r["EventCode"] for r in chosen)
    assert {r["code"]: int(r["events"]) for r in table} == dict(per_code)
    assert int(table[0]["events"]) == max(per_code.values())
    day = Counter(r["SQLDATE"] for r in chosen).most_common(1)[0][0]
    iso = f"{day[:4]}-{day[4:6]}-{day[6:]}"
    result = runner.invoke(
        cli,
        [
            "--store",
            str(sample_store),
            "query",
            "sources-of-spike",
            "--format",
            "csv",
            "--param",
            f"a={first}",
            "--param",
            f"b={second}",
            "--param",
            f"start={iso}",
            "--param",
            f"end={iso}",
        ],
    )
    assert result.exit_code == 0, result.output
    urls = {r["url"] for r in csv.DictReader(result.output.splitlines())}
    assert urls == {r["SOURCEURL"] for r in chosen if r["SQLDATE"] == day}
