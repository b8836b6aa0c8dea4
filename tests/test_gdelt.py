"""GDELT events in the graph: the CAMEO scheme, the three file forms, filters, malformed rows, the
atomic and idempotent `kg import gdelt`, and the cooperation–conflict index (`kg tension`).

Fixtures: tests/data/gdelt/ (invented rows in the real layouts; see make_fixtures.py there).
"""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.build import build
from kg.cli import cli
from kg.event_import import import_gdelt, load_events
from kg.namespaces import KG, KGC, KGR, SKOS
from kg.readers.cameo import event_codes
from kg.readers.gdelt import EventFilter, ImportReport, parse_filter, read_events
from kg.storage.embedded import memory_store
from kg.storage.location import open_store
from kg.tension import curated_markers, tension_df
from kg.validate import validate_store

DATA = Path(__file__).parent / "data" / "gdelt"
EXPORT, HEADER, DAILY = DATA / "export.CSV", DATA / "header.csv", DATA / "daily-v1.CSV"
DAILY_57 = DATA / "daily-v1-57.CSV"
MALFORMED, MALFORMED_HEADER = DATA / "malformed.CSV", DATA / "malformed-header.csv"
INFERRED = "https://w3id.org/kg-diplomacy/graph/inferred"
ALL_IDS = {f"9000000{n:02d}" for n in range(1, 14)}
JPN_KOR = {
    "900000001",
    "900000002",
    "900000003",
    "900000004",
    "900000005",
    "900000006",
    "900000010",
    "900000012",
    "900000013",
}


def ids(path: Path, chosen: EventFilter | None = None) -> set[str]:
    return {e.event_id for e in read_events([path], chosen)}


def quads_of(*paths: Path) -> set[str]:
    store = memory_store()
    load_events(store, list(paths))
    return {str(q) for q in store.oxigraph.quads_for_pattern(None, None, None, None)}


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A store built from the bundled ontology and graphs (with the curated CAMEO codes)."""
    path = tmp_path / "store"
    build(path)
    return path


# --- the CAMEO scheme ---------------------------------------------------------------------------


def test_cameo_scheme_codes_are_strings_with_twenty_roots() -> None:
    codes = event_codes()
    roots = sorted(c for c in codes if len(c) == 2)
    assert roots == [f"{n:02d}" for n in range(1, 21)]
    assert codes["010"].label == "Make statement, not specified below" and codes["010"].goldstein == 0.0
    assert codes["10"].label == "Demand" and codes["10"].goldstein == -5.0
    assert codes["100"].root == "10" and codes["010"].root == "01"
    assert codes["0872"].label == "Ease military blockade"  # damaged in GDELT's list, fixed from the codebook
    assert len(codes) > 300


def test_cameo_scheme_in_the_store_is_a_skos_tree(bundled_store_path: Path) -> None:
    store = open_store(bundled_store_path)
    top = {
        r["n"].value
        for r in store.query("SELECT ?n WHERE { ?c skos:topConceptOf kgc:cameo ; skos:notation ?n ; kg:quadClass ?q }")
    }
    assert top == {f"{n:02d}" for n in range(1, 21)}
    orphans = list(
        store.query(
            "SELECT ?c WHERE { ?c skos:inScheme kgc:cameo FILTER NOT EXISTS { ?c skos:topConceptOf kgc:cameo }"
            " FILTER NOT EXISTS { ?c skos:broader ?b } }"
        )
    )
    assert orphans == []
    row = next(
        iter(
            store.query(
                'SELECT ?root ?g WHERE { ?c skos:notation "0311" ; skos:broader+ ?r ; kg:goldstein ?g .'
                " ?r skos:topConceptOf kgc:cameo ; skos:notation ?root }"
            )
        )
    )
    assert (row["root"].value, row["g"].value) == ("03", "5.2")


# --- file forms -------------------------------------------------------------------------------------


def test_raw_header_and_zip_forms_give_the_same_graph(tmp_path: Path) -> None:
    archive = tmp_path / "20230316120000.export.CSV.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.write(EXPORT, "20230316120000.export.CSV")
    raw = quads_of(EXPORT)
    assert len(raw) > 13 * 15
    assert quads_of(HEADER) == raw
    assert quads_of(archive) == raw


def test_forms_are_recognised() -> None:
    report = ImportReport()
    list(read_events([EXPORT, HEADER, DAILY], report=report))
    assert report.forms == {
        str(EXPORT): "GDELT 2.0 export",
        str(HEADER): "CSV with a header row (62 columns)",
        str(DAILY): "GDELT 1.0 daily",
    }
    assert report.rows_read == 13 + 13 + 3 and report.kept == 29 and not report.skipped


def test_gdelt1_daily_forms_of_58_and_57_columns() -> None:
    report = ImportReport()
    events = list(read_events([DAILY, DAILY_57], report=report))
    assert [e.event_id for e in events] == ["900000001", "900000002", "900000003", "900000004", "900000005"]
    assert report.forms[str(DAILY_57)] == "GDELT 1.0 daily (no SOURCEURL)" and not report.skipped
    assert events[0].url == "https://news.example.org/2023/03/06/compensation-plan" and events[4].url == ""
    store = memory_store()
    load_events(store, [DAILY_57])
    cited = {q.subject.value for q in store.oxigraph.quads_for_pattern(None, ox.NamedNode(KG + "source"), None, None)}
    assert not any(c.rsplit("/", 1)[1].isdigit() for c in cited)  # events without SOURCEURL cite nothing
    records = {
        q.subject.value
        for q in store.oxigraph.quads_for_pattern(None, None, ox.NamedNode(KG + "MachineCodedEvidence"), None)
    }
    assert {r.rsplit("/", 1)[1] for r in records if r.rsplit("/", 1)[1].isdigit()} == {"900000004", "900000005"}
    assert {r.split("/gdelt/")[1] for r in records if not r.rsplit("/", 1)[1].isdigit()} == {
        "actor/jpn",
        "actor/kor",
        "actor/kormil",
        "actor/jpnmil",
        "place/JA",
    }


def test_a_file_mixing_layouts_reports_the_odd_rows(tmp_path: Path) -> None:
    """The first row of 57, 58 or 61 columns sets the file's layout; other rows are malformed."""
    mixed = tmp_path / "mixed.CSV"
    mixed.write_text(DAILY.read_text(encoding="utf-8") + "\n" + DAILY_57.read_text(encoding="utf-8"), encoding="utf-8")
    report = ImportReport()
    assert len(list(read_events([mixed], report=report))) == 3
    assert [(s.line, s.reason) for s in report.skipped] == [
        (5, "wrong column count: 57, expected 58"),
        (6, "wrong column count: 57, expected 58"),
    ]


# --- filters ------------------------------------------------------------------------------------------


def test_filters() -> None:
    assert ids(EXPORT) == ALL_IDS
    assert ids(EXPORT, parse_filter(dyads=["JPN:KOR"])) == JPN_KOR
    assert ids(EXPORT, parse_filter(dyads=["KOR:JPN"])) == JPN_KOR
    assert ids(EXPORT, parse_filter(actor_countries="USA")) == {"900000007", "900000008"}
    assert ids(EXPORT, parse_filter(actor_countries="fra,chn")) == {"900000008", "900000011"}
    assert ids(EXPORT, parse_filter(since="2023-04", until="2023-05-10")) == {"900000005", "900000006", "900000012"}
    assert ids(EXPORT, parse_filter(until="2023-01")) == {"900000011"}
    assert ids(EXPORT, parse_filter(root_codes="10")) == {"900000013"}
    assert ids(EXPORT, parse_filter(root_codes="01")) == {"900000007"}
    assert ids(EXPORT, parse_filter(root_codes="03,14", dyads=["JPN:KOR"])) == {"900000001", "900000006", "900000010"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dyads": ["JPNKOR"]}, "--dyad: 'JPNKOR' is not A:B"),
        ({"dyads": ["JP:KOR"]}, "--dyad: 'JP' is not a CAMEO country code"),
        ({"root_codes": "3"}, "--root-codes: '3' is not a CAMEO root code"),
        ({"root_codes": "21"}, "--root-codes: '21' is not a CAMEO root code"),
        ({"since": "2023-13"}, "--since: '2023-13' is not a date"),
    ],
)
def test_bad_filters_are_one_line_errors(kwargs: dict[str, object], message: str) -> None:
    from kg.errors import KgError

    with pytest.raises(KgError, match="^" + message.replace("(", r"\(")):
        parse_filter(**kwargs)  # type: ignore[arg-type]


# --- malformed rows ------------------------------------------------------------------------------


def test_malformed_rows_are_reported_by_line_and_skipped() -> None:
    report = ImportReport()
    kept = {e.event_id for e in read_events([MALFORMED], report=report)}
    assert kept == {"900000001", "900000003", "900000007", "900000010"}
    assert [(s.line, s.reason.split(":")[0]) for s in report.skipped] == [
        (2, "wrong column count"),
        (4, "impossible date"),
        (5, "non-numeric Goldstein value 'abc' (a number from -10 to 10)"),
        (6, "non-numeric count"),
        (8, "non-numeric count"),
    ]
    assert report.skipped[0].text() == f"{MALFORMED}:2: wrong column count: 60, expected 61"
    assert report.skipped[1].reason == "impossible date: SQLDATE '20230231'"
    assert report.skipped[3].reason == "non-numeric count: NumMentions 'x'"
    assert report.rows_read == 9


def test_malformed_rows_in_header_form_count_the_header_line() -> None:
    report = ImportReport()
    kept = {e.event_id for e in read_events([MALFORMED_HEADER], report=report)}
    assert kept == {"900000001", "900000003"}
    assert [(s.line, s.reason) for s in report.skipped] == [
        (3, "impossible date: SQLDATE '2023-03-16'"),
        (5, "wrong column count: 60, expected 62"),
    ]


# --- kg import gdelt ----------------------------------------------------------------------------------


def test_import_is_idempotent_and_resolves_actors(built: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(built), "import", "gdelt", str(EXPORT)])
    assert result.exit_code == 0, result.output
    assert "13 rows read, 13 kept, 0 filtered out, 0 skipped; 13 new events" in result.output
    store = open_store(built)
    size = len(store)
    store.close()
    again = runner.invoke(cli, ["--store", str(built), "import", "gdelt", str(HEADER)])
    assert again.exit_code == 0 and "13 kept" in again.output and "0 new events, 0 new statements" in again.output
    store = open_store(built)
    assert len(store) == size
    actors = {
        (r["id"].value, r["role"].value.rsplit("#", 1)[1]): r["actor"].value.rsplit("/", 1)[1]
        for r in store.query(
            "SELECT ?id ?role ?actor WHERE { GRAPH ?g { ?e kg:gdeltEventId ?id ; ?role ?actor "
            "VALUES ?role { kg:agent kg:recipient } } }"
        )
    }
    assert actors[("900000002", "agent")] == "government-of-japan"
    assert actors[("900000002", "recipient")] == "government-of-the-republic-of-korea"
    assert actors[("900000003", "agent")] == "republic-of-korea"
    assert actors[("900000007", "agent")] == "united-states"
    assert actors[("900000005", "agent")] == "cameo-actor-kormil"
    assert actors[("900000011", "recipient")] == "cameo-actor-deu"
    assert ("900000009", "agent") not in actors
    labels = {
        r["l"].value
        for r in store.query("SELECT DISTINCT ?l WHERE { kgr:cameo-actor-kormil a kg:MilitaryUnit ; rdfs:label ?l }")
    }
    assert labels == {"South Korea: military (CAMEO KORMIL)"}
    germany = {
        r["c"].value
        for r in store.query("SELECT ?c WHERE { GRAPH ?g { kgr:cameo-actor-deu a ?c } FILTER(?g != kgg:inferred) }")
    }
    assert germany == {KG + "State"}


def test_event_statements_and_machine_coded_evidence(built: Path) -> None:
    import_gdelt(built, [EXPORT])
    store = open_store(built)
    row = next(
        iter(
            store.query("""
        SELECT ?g ?date ?code ?quad ?gold ?m ?s ?a ?tone ?place ?placeLabel ?url WHERE {
          GRAPH ?g { kgr:gdelt-event-900000002 a kg:Event ; kg:date ?date ; kg:eventCode ?code ;
                     kg:quadClass ?quad ; kg:goldstein ?gold ; kg:numMentions ?m ; kg:numSources ?s ;
                     kg:numArticles ?a ; kg:avgTone ?tone ; kg:place ?place }
          ?place rdfs:label ?placeLabel ; kg:locatedIn kgr:japan
          GRAPH kgg:provenance { ?g a kg:Evidence, kg:MachineCodedEvidence ; kg:source ?src . ?src schema:url ?url }
          FILTER NOT EXISTS { GRAPH kgg:provenance { ?g kg:quote ?q } }
        }""")
        )
    )
    assert row["date"] == ox.Literal("2023-03-16", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
    assert row["code"].value == KGC + "cameo-043" and row["quad"].value == KGC + "quad-class-1"
    assert (row["gold"].value, row["m"].value, row["s"].value, row["a"].value) == ("2.8", "40", "8", "40")
    assert float(row["tone"].value) == 3.25
    assert row["placeLabel"].value == "Tokyo, Tokyo, Japan"
    assert row["url"].value == "https://news.example.org/2023/03/16/summit"
    assert row["g"].value == "https://w3id.org/kg-diplomacy/evidence/gdelt/900000002"


def test_imported_events_and_curated_codes_pass_validation(built: Path) -> None:
    import_gdelt(built, [EXPORT])
    store = open_store(built)
    violations = [v for v in validate_store(store) if v.severity == "Violation"]
    assert violations == []
    curated = {
        r["e"].value.rsplit("/", 1)[1]
        for r in store.query(
            "SELECT ?e WHERE { ?e kg:eventCode kgc:cameo-043 FILTER NOT EXISTS { ?e kg:gdeltEventId ?id } }"
        )
    }
    assert curated == {"summit-2023-03-16"}
    both = {
        r["e"].value.rsplit("/", 1)[1]
        for r in store.query(
            "SELECT DISTINCT ?e WHERE { ?e kg:eventCode/skos:broader* kgc:cameo-04 ; kg:date ?d "
            'FILTER(STR(?d) >= "2023-03-16" && STR(?d) < "2023-03-17") }'
        )
    }
    assert both == {"summit-2023-03-16", "dinner-ginza-2023-03-16", "gdelt-event-900000002"}


def test_evidence_without_quote_must_be_machine_coded(built: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.trig"
    bad.write_text(
        "@prefix kg: <https://w3id.org/kg-diplomacy/ontology#> .\n"
        "<https://w3id.org/kg-diplomacy/graph/provenance> { <https://example.org/e1> a kg:Evidence ;"
        " kg:source <https://example.org/s> . <https://example.org/s> a kg:Source . }\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "needs a quote (kg:quote) unless it is machine-coded" in result.output


def test_malformed_rows_import_the_rest_and_exit_1(built: Path) -> None:
    result = CliRunner().invoke(cli, ["--store", str(built), "import", "gdelt", str(MALFORMED)])
    assert result.exit_code == 1
    assert f"skipped {MALFORMED}:2: wrong column count: 60, expected 61" in result.output
    assert f"skipped {MALFORMED}:5: non-numeric Goldstein value 'abc'" in result.output
    assert (
        "9 rows read, 4 kept, 0 filtered out, 5 skipped (1 impossible date, 1 non-numeric Goldstein value"
        in result.output
    )
    store = open_store(built)
    found = {r["id"].value for r in store.query("SELECT ?id WHERE { ?e kg:gdeltEventId ?id }")}
    assert found == {"900000001", "900000003", "900000007", "900000010"}


def test_failed_import_leaves_the_store_unchanged(built: Path, tmp_path: Path, digest: object) -> None:
    import_gdelt(built, [EXPORT], parse_filter(dyads=["USA:CHN"]))
    before = digest(built)  # type: ignore[operator]
    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("GLOBALEVENTID,SQLDATE,EventCode\n1,20230101,010\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(built), "import", "gdelt", str(EXPORT), str(bad_header)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lacks = "header row lacks the GDELT column(s) Actor1Code, Actor1Name"
    assert result.output.startswith(f"Error: {bad_header}:1: {lacks}")
    assert result.output.count("\n") == 1
    result = runner.invoke(cli, ["--store", str(built), "import", "gdelt", str(EXPORT), str(tmp_path / "no.CSV")])
    assert result.exit_code == 2 and result.output == f"Error: {tmp_path / 'no.CSV'}: no such file or folder\n"
    assert digest(built) == before  # type: ignore[operator]


def test_import_needs_a_built_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--store", str(tmp_path / "none"), "import", "gdelt", str(EXPORT)])
    assert result.exit_code == 2 and "run `kg build` first" in result.output


def test_import_logs_what_it_added(built: Path) -> None:
    report = import_gdelt(built, [EXPORT, DAILY], parse_filter(dyads=["JPN:KOR"]))
    assert (report.kept, report.filtered) == (9 + 3, 4)
    info = json.loads((built / "current" / "build.json").read_text(encoding="utf-8"))
    assert info["imports"][-1]["kind"] == "gdelt" and info["imports"][-1]["kept"] == 12


# --- kg tension -------------------------------------------------------------------------------------


def test_tension_series(built: Path) -> None:
    import_gdelt(built, [EXPORT])
    frame = tension_df(open_store(built), "JPN", "KOR", by="month")
    rows = {(r["period"], r["direction"]): r for r in frame.to_dict(orient="records")}
    march = rows[("2023-03", "both")]
    assert march["events"] == 5
    assert march["goldstein_mean"] == pytest.approx(3.0)
    assert march["goldstein_weighted"] == pytest.approx(423.6 / 90, abs=1e-4)
    assert (march["verbal_cooperation"], march["verbal_conflict"], march["material_conflict"]) == (4, 1, 0)
    assert rows[("2023-03", "KOR→JPN")]["goldstein_mean"] == pytest.approx(6.0)
    assert rows[("2023-03", "KOR→JPN")]["goldstein_weighted"] == pytest.approx(7.0)
    assert rows[("2023-03", "JPN→KOR")]["events"] == 3
    assert rows[("2023-04", "KOR→JPN")]["material_cooperation"] == 1
    assert sum(r["events"] for k, r in rows.items() if k[1] == "both") == 9  # event 9 has no actor 1
    assert list(frame.period.unique()) == ["2023-02", "2023-03", "2023-04", "2023-05"]
    year = tension_df(open_store(built), "KOR", "JPN", by="year", since="2023-03", until="2023-04")
    assert year.to_dict(orient="records")[-1]["events"] == 7
    assert list(year.direction) == ["KOR→JPN", "JPN→KOR", "both"]
    week = tension_df(open_store(built), "JPN", "KOR", by="week")
    assert "2023-W11" in set(week.period)


def test_tension_cli_formats_and_chart(built: Path, tmp_path: Path) -> None:
    import_gdelt(built, [EXPORT])
    runner = CliRunner()
    base = ["--store", str(built), "tension", "--dyad", "JPN", "KOR"]
    table = runner.invoke(cli, base)
    assert table.exit_code == 0 and "2023-03  both" in table.output
    csv_out = runner.invoke(cli, [*base, "--format", "csv"])
    assert csv_out.output.splitlines()[0].startswith("period,direction,events,goldstein_mean")
    data = json.loads(runner.invoke(cli, [*base, "--format", "json", "--by", "year"]).output)
    total = data[-1]
    assert (total["period"], total["direction"], total["events"]) == ("2023", "both", 9)
    assert total["goldstein_mean"] == pytest.approx(7.4 / 9, abs=1e-4)
    assert [
        total[c] for c in ("verbal_cooperation", "material_cooperation", "verbal_conflict", "material_conflict")
    ] == [4, 1, 2, 2]
    svg, png = tmp_path / "jpn-kor.svg", tmp_path / "jpn-kor.png"
    assert runner.invoke(cli, [*base, "--chart", str(svg)]).exit_code == 0
    text = svg.read_text(encoding="utf-8")
    assert "<svg" in text and "Japan-ROK summit of 16 March 2023" in text  # a curated marker
    assert "Japan-ROK summit of April 2008" not in text  # outside the plotted range
    assert runner.invoke(cli, [*base, "--by", "week", "--chart", str(png)]).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = runner.invoke(cli, [*base, "--chart", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2 and "written as .png or .svg" in bad.output
    nothing = runner.invoke(cli, ["--store", str(built), "tension", "--dyad", "FRA", "JPN"])
    assert nothing.exit_code == 0 and "no machine-coded events between FRA and JPN" in nothing.output
    wrong = runner.invoke(cli, ["--store", str(built), "tension", "--dyad", "JAPAN", "KOR"])
    assert wrong.exit_code == 2 and "not a CAMEO country code" in wrong.output


def test_curated_markers_of_the_dyad(bundled_store_path: Path) -> None:
    markers = {m.label: m.date for m in curated_markers(open_store(bundled_store_path), "KOR", "JPN")}
    assert markers["Japan-ROK summit of 16 March 2023"] == "2023-03-16"
    assert markers["Japan imposes export controls on South Korea, July 2019"] == "2019-07"
    assert "Japan-ROK Joint Declaration of October 1998" in markers
    assert not any("Gallup" in label for label in markers)  # no participants from both sides


def test_event_iri_comes_from_globaleventid() -> None:
    from kg.readers.gdelt import EventMapper, event_quads

    event = next(iter(read_events([EXPORT])))
    quads = event_quads(event, EventMapper({}))
    subjects = {q.subject.value for q in quads}  # type: ignore[attr-defined]
    assert KGR + "gdelt-event-900000001" in subjects
    assert KGR + "cameo-actor-jpn" in subjects  # no curated actors known: created from the code
    assert all(q.predicate.value != SKOS + "notation" for q in quads)  # type: ignore[attr-defined]


def test_created_actors_and_places_are_described_once_per_import() -> None:
    from kg.readers.gdelt import EventMapper

    mapper = EventMapper({})
    texts = [mapper.nquads(e) for e in read_events([EXPORT], parse_filter(dyads=["JPN:KOR"]))]
    described = [t for t in texts if f"<{KGR}cameo-actor-jpn> <http://www.w3.org/2000/01/rdf-schema#label>" in t]
    assert len(described) == 1 and described[0] is texts[0]
    tokyo = [t for t in texts if f"<{KGR}gdelt-place--246227> <http://www.w3.org/2000/01/rdf-schema#label>" in t]
    assert len(tokyo) == 1
    store = memory_store()
    load_events(store, [EXPORT])
    located = {
        q.object.value.rsplit("/", 1)[1]
        for q in store.oxigraph.quads_for_pattern(None, ox.NamedNode(KG + "locatedIn"), None, None)
    }
    assert located == {f"cameo-actor-{c}" for c in ("jpn", "kor", "usa", "chn", "fra")}  # no curated actors here
    graphs = {
        q.graph_name.value
        for q in store.oxigraph.quads_for_pattern(  # type: ignore[union-attr]
            ox.NamedNode(KGR + "cameo-actor-kormil"), None, None, None
        )
    }
    assert graphs == {"https://w3id.org/kg-diplomacy/evidence/gdelt/actor/kormil", INFERRED}  # + derived types


def test_site_shows_the_event_page_only_with_event_data(built: Path, bundled_store_path: Path) -> None:
    from kg.pages.render import templates
    from kg.pages.site import site_pages
    from kg.pages.site_events import event_pages

    assert event_pages(open_store(bundled_store_path), templates()) == {}
    import_gdelt(built, [EXPORT])
    pages = site_pages(open_store(built))
    page = pages["events.html"]
    assert "<h2>JPN–KOR (9 events)</h2>" in page and 'src="data:image/svg+xml;base64,' in page
    assert "<td>2023-03</td><td>both</td><td>5</td><td>3.0</td>" in page
    assert 'href="events.html"' in pages["index.html"]


def test_progress_counts_the_bytes_of_each_file(tmp_path: Path) -> None:
    from kg.readers.gdelt import Progress, input_size

    archive = tmp_path / "export.CSV.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as handle:
        handle.write(EXPORT, "export.CSV")
    for path in (EXPORT, HEADER, archive):
        steps: list[int] = []
        progress = Progress(input_size(path), steps.append)
        assert len(list(read_events([path], progress=progress))) == 13
        expected = (EXPORT if path == archive else path).stat().st_size  # a .zip counts what it holds
        assert sum(steps) == progress.total == expected and len(steps) >= 2


def test_hostile_rows_get_one_line_and_no_crash(tmp_path: Path) -> None:
    from kg.errors import InputFileError
    from kg.readers.gdelt import MAX_LINE

    long_line = tmp_path / "long.CSV"
    rows = EXPORT.read_text(encoding="utf-8").splitlines(keepends=True)
    long_line.write_text(rows[0] + "x" * (MAX_LINE * 2 + 5) + "\n" + rows[1], encoding="utf-8")
    report = ImportReport()
    assert [e.event_id for e in read_events([long_line], report=report)] == ["900000001", "900000002"]
    assert [(s.line, s.reason) for s in report.skipped] == [(2, f"line longer than {MAX_LINE} characters")]
    big_field = tmp_path / "field.csv"
    header = HEADER.read_text(encoding="utf-8").splitlines(keepends=True)
    big_field.write_text(header[0] + header[1] + '"' + "y" * 200_000 + '",1\n', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"field\.csv:3: unreadable CSV row: field larger than field limit"):
        list(read_events([big_field]))
    garbage = tmp_path / "garbage.CSV"
    garbage.write_bytes(b"\xff\xfe\x00\x01binary\n\x00\x00\n")
    report = ImportReport()
    assert list(read_events([garbage], report=report)) == []
    assert [s.line for s in report.skipped] == [1, 2]
    not_zip = tmp_path / "fake.CSV.zip"
    not_zip.write_text("plain text", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"not a valid \.zip file"):
        list(read_events([not_zip]))


def test_import_with_validation(built: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--store", str(built), "import", "gdelt", str(EXPORT), "--validate", "--dyad", "JPN:KOR"]
    )
    assert result.exit_code == 0, result.output
    assert "9 kept, 4 filtered out" in result.output


def test_import_with_validation_refuses_an_invalid_store(tmp_path: Path, digest: object) -> None:
    path = tmp_path / "store"
    build(path, [Path(__file__).parent / "data" / "broken" / "claim-without-claimant.trig"], allow_invalid=True)
    before = digest(path)  # type: ignore[operator]
    result = CliRunner().invoke(cli, ["--store", str(path), "import", "gdelt", str(EXPORT), "--validate"])
    assert result.exit_code == 1
    assert "Violation: An orphan claim" in result.output and "Error: import refused: " in result.output
    assert digest(path) == before  # type: ignore[operator]


def test_the_gdelt_reader_is_in_the_registry(built: Path) -> None:
    from kg.build import import_files
    from kg.errors import InputFileError
    from kg.readers import get, reader_for

    reader = get("gdelt")
    assert reader.name == "gdelt" and not reader.claims(EXPORT)  # `kg build` never takes a .CSV for events
    with pytest.raises(InputFileError):
        reader_for(HEADER)
    report = import_files(built, "gdelt", [EXPORT], {"dyad": "JPN:KOR,USA:CHN"}, validate=False)
    assert report.added > 0
    store = open_store(built)
    assert len(list(store.query("SELECT ?e WHERE { GRAPH ?g { ?e kg:gdeltEventId ?id } }"))) == 9 + 1
    store.close()
    with pytest.raises(InputFileError, match=r"malformed\.CSV:2: wrong column count"):
        import_files(built, "gdelt", [MALFORMED], {}, validate=False)  # the generic path is strict


def test_canned_event_queries_join_curated_and_machine_coded_events(built: Path) -> None:
    import_gdelt(built, [EXPORT])
    runner = CliRunner()
    window = ["--param", "start=2023-03-16", "--param", "end=2023-03-16", "--format", "csv"]
    result = runner.invoke(cli, ["--store", str(built), "query", "event-types-of-dyad", *window])
    assert result.exit_code == 0, result.output
    rows = {(r["code"], r["kind"]): int(r["events"]) for r in csv.DictReader(result.output.splitlines())}
    assert rows[("043", "machine-coded")] == 1 and rows[("043", "curated")] == 1  # the summit, both ways
    assert rows[("057", "machine-coded")] == 1 and rows[("036", "curated")] == 3
    result = runner.invoke(cli, ["--store", str(built), "query", "sources-of-spike", *window])
    found = list(csv.DictReader(result.output.splitlines()))
    assert {r["url"] for r in found if r["kind"] == "machine-coded"} == {
        "https://news.example.org/2023/03/16/summit",
        "https://news.example.org/2023/03/16/agreement",
    }
    assert any(r["quote"].startswith("In the wake of the historic Japan-ROK summit") for r in found)


def test_import_streams_what_a_build_derives_into_kgg_inferred(built: Path) -> None:
    """The import writes the superclass types and kg super-properties a build materialises, so
    running the build's materialisation afterwards adds nothing, and `?e a kg:Entity` finds events."""
    import pyoxigraph

    from kg.build import materialise_hierarchy
    from kg.storage.embedded import Store

    import_gdelt(built, [EXPORT])
    store = open_store(built)
    assert len(list(store.query("SELECT ?e WHERE { ?e a kg:Entity ; kg:gdeltEventId ?id }"))) == 13
    assert (
        len(list(store.query("SELECT ?e WHERE { GRAPH kgg:inferred { kgr:gdelt-event-900000002 kg:participant ?e } }")))
        == 2
    )
    store.close()
    copy = Store(pyoxigraph.Store(), ":memory:")
    copy.oxigraph.extend(open_store(built).quads())
    assert materialise_hierarchy(copy) == 0
