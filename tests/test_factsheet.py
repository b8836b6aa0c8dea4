"""Fact sheets: sources, quotes found with their offsets, names resolved, atomic adds, TriG output."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.quotes import SourceText
from kg.storage.location import open_store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "factsheet"
SHEET = EXAMPLE / "facts.yaml"


def kg(store: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--store", str(store), *args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh store with nothing but `kg add examples/factsheet/facts.yaml` run on it."""
    store = tmp_path_factory.mktemp("factsheet") / "store"
    code, output = kg(store, "add", str(SHEET))
    assert code == 0, output
    return store


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the example folder, for sheets changed by a test."""
    target = tmp_path / "example"
    shutil.copytree(EXAMPLE, target)
    return target


def changed(workdir: Path, old: str, new: str, name: str = "bad.yaml") -> Path:
    text = (workdir / "facts.yaml").read_text(encoding="utf-8")
    assert old in text, old
    (workdir / name).write_text(text.replace(old, new, 1), encoding="utf-8")
    return workdir / name


# ---------------------------------------------------------------- quotes


def test_quote_tolerates_line_breaks_and_quote_marks_only() -> None:
    source = SourceText("He said the deal\nwas “a major step” forward.\n\nNext.")
    match = source.find('the deal was "a major step" forward.')
    assert match is not None
    assert match.text == "the deal\nwas “a major step” forward."
    assert source.text[match.start : match.end] == match.text
    assert source.find("the deal  was “a major step” forward.") is None  # two spaces: not a line break
    assert source.find("the deal was “a big step” forward.") is None


def test_offsets_are_code_points() -> None:
    source = SourceText("윤석열 대통령은 “관계 개선”을 강조했다.")
    match = source.find('"관계 개선"')
    assert match is not None and (match.start, match.end) == (9, 16)  # code points, not UTF-8 bytes


# ---------------------------------------------------------------- the example round trip


def test_example_adds_evidence_graphs_in_the_bundled_form(example_store: Path) -> None:
    store = open_store(example_store)
    rows = list(
        store.query("""
        SELECT ?g ?quote ?start ?end ?copy WHERE {
          GRAPH kgg:provenance { ?g a kg:Evidence ; kg:quote ?quote ; kg:startOffset ?start ; kg:endOffset ?end ;
                                    kg:source ?s . ?s kg:localCopy ?copy ; kg:sha256 ?sha }
          GRAPH ?g { kgr:port-ellis-accord kg:party kgr:norland }
        }""")
    )
    assert len(rows) == 1
    text = (EXAMPLE / "harbour-talks.md").read_text(encoding="utf-8")
    start, end = int(rows[0]["start"].value), int(rows[0]["end"].value)
    assert text[start:end] == rows[0]["quote"].value
    assert rows[0]["quote"].value.startswith("At the close of the talks")
    copy = example_store / "current" / rows[0]["copy"].value
    assert copy.read_text(encoding="utf-8") == text


def test_example_claim_is_kept_apart_from_facts(example_store: Path) -> None:
    store = open_store(example_store)
    rows = list(
        store.query("""
        SELECT ?claim ?content ?type WHERE { ?claim a kg:Claim ; kg:claimant kgr:coastal-party ;
            kg:content ?content ; kg:concerns kgr:port-ellis-accord ; kg:claimType ?type ; kg:date ?date }""")
    )
    assert len(rows) == 1 and rows[0]["type"].value.endswith("denunciation")
    assert "half of Sudmark's waters" in rows[0]["content"].value


def test_added_entities_get_their_superclass_types_as_in_a_build(example_store: Path) -> None:
    store = open_store(example_store)
    assert store.query("ASK { GRAPH kgg:inferred { kgr:port-ellis-accord a kg:Agreement } }")
    assert store.query("ASK { GRAPH kgg:inferred { kgr:norland a kg:Actor } }")


def test_example_dates_keep_their_precision(example_store: Path) -> None:
    store = open_store(example_store)
    start = next(iter(store.query("SELECT ?d WHERE { kgr:grey-banks-fishing-dispute kg:startDate ?d }")))["d"]
    assert (start.value, start.datatype.value.rsplit("#")[-1]) == ("2022", "gYear")
    day = next(iter(store.query("SELECT ?d WHERE { kgr:port-ellis-talks-of-12-may-2024 kg:date ?d }")))["d"]
    assert (day.value, day.datatype.value.rsplit("#")[-1]) == ("2024-05-12", "date")


def test_example_shows_in_describe_and_canned_queries(example_store: Path) -> None:
    code, output = kg(example_store, "describe", "Harbour talks")
    assert code == 0, output
    assert "host → Norland" in output and "participant → Ilse Varga" in output
    assert "“The foreign ministers of Norland and Sudmark met in Port Ellis on 12 May 2024" in output
    code, output = kg(example_store, "timeline", "--actor", "Norland", "--format", "json")
    assert code == 0, output
    assert any(row["label"].startswith("Port Ellis talks") for row in json.loads(output))
    code, output = kg(
        example_store,
        "query",
        "SELECT ?l WHERE { ?a a/rdfs:subClassOf* kg:Agreement ; rdfs:label ?l ; "
        'kg:signatory/rdfs:label "Tomas Brenn"@en }',
        "--format",
        "csv",
    )
    assert code == 0 and "Port Ellis Accord" in output


def test_example_store_validates_and_keeps_the_bundled_graph(example_store: Path) -> None:
    code, output = kg(example_store, "validate")
    assert code == 0, output
    code, output = kg(example_store, "describe", "Kishida")
    assert code == 0 and "Kishida Fumio" in output


def test_adding_the_same_sheet_again_changes_nothing(example_store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store"
    shutil.copytree(example_store, copy, symlinks=True)
    before = len(open_store(copy))
    code, output = kg(copy, "add", str(SHEET))
    assert code == 0, output
    assert len(open_store(copy)) == before


def test_source_list_and_source_add(tmp_path: Path, workdir: Path) -> None:
    store = tmp_path / "store"
    code, output = kg(
        store,
        "source",
        "add",
        str(workdir / "harbour-talks.md"),
        "--title",
        "Harbour talks",
        "--publisher",
        "kg examples",
        "--issued",
        "2024-05-14",
        "--url",
        "https://example.org/h",
    )
    assert code == 0 and output.startswith("Registered kgr:source-harbour-talks-"), output
    ident = output.split()[1].rstrip(":")
    code, again = kg(store, "source", "add", str(workdir / "harbour-talks.md"), "--title", "Harbour talks")
    assert code == 0 and again.startswith("Already registered " + ident)
    code, listing = kg(store, "source", "list", "--format", "json")
    sources = {s["id"]: s for s in json.loads(listing)}
    assert sources[ident]["issued"] == "2024-05-14" and sources[ident]["url"] == "https://example.org/h"
    assert len(sources[ident]["sha256"]) == 64 and "kgr:source-japan-rok-2023" in sources
    # A sheet without a header, with --source.
    text = (workdir / "facts.yaml").read_text(encoding="utf-8")
    headless = text.split("entries:", 1)[1]
    (workdir / "headless.yaml").write_text("entries:" + headless, encoding="utf-8")
    code, output = kg(store, "add", str(workdir / "headless.yaml"), "--source", ident)
    assert code == 0, output
    code, output = kg(store, "source", "add", str(workdir / "nope.txt"), "--title", "x")
    assert code == 2 and "nope.txt: source file not found" in output


def test_csv_sheet(tmp_path: Path, example_store: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(example_store, store, symlinks=True)
    sheet = tmp_path / "more.csv"
    sheet.write_text(
        "entry,quote,subject,relation,object,claimant,content,about,type,date\n"
        'patrol,"both fleets gain from it",Grey Banks joint patrol,class,Arrangement,,,,,\n'
        "patrol,,Grey Banks joint patrol,party,Norland,,,,,\n"
        "patrol,,Grey Banks joint patrol,party,Sudmark,,,,,\n"
        "patrol,,Grey Banks joint patrol,alias,Joint patrol,,,,,\n"
        'gain,"Varga told reporters",,,,Ilse Varga,Both fleets gain.,Port Ellis Accord,assertion,2024-05-12\n',
        encoding="utf-8",
    )
    code, output = kg(store, "add", str(sheet), "--source", "Harbour talks settle the Grey Banks quarrel, for now")
    assert code == 0, output
    code, output = kg(store, "describe", "Joint patrol")
    assert code == 0 and "party → Sudmark" in output and "“both fleets gain from it”" in output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        'entry,quote,subject,relation,object\nx,"Varga told reporters",Norland,hots,Sudmark\n', encoding="utf-8"
    )
    code, output = kg(store, "add", str(bad), "--source", "Harbour talks settle the Grey Banks quarrel, for now")
    assert code == 2 and output.strip() == (
        f"Error: {bad}:2: entry 1 (x): facts[0].relation: unknown relation 'hots'; did you mean host or echoes?"
    )


def test_dry_run_changes_nothing(
    example_store: Path, tmp_path: Path, workdir: Path, digest: Callable[[Path], str]
) -> None:
    store = tmp_path / "store"
    shutil.copytree(example_store, store, symlinks=True)
    sheet = changed(workdir, "Coastal Party", "Coast Guard League")
    sheet.write_text(sheet.read_text().replace("Coastal Party", "Coast Guard League"))
    before = digest(store)
    code, output = kg(store, "add", "--dry-run", str(workdir / "facts.yaml"))
    assert code == 0, output
    assert "Would add 5 entries" in output and "entry 1 (talks)" in output
    assert digest(store) == before


def test_to_trig_builds_to_the_same_facts(tmp_path: Path, workdir: Path) -> None:
    out = workdir / "facts.trig"
    code, output = kg(tmp_path / "unused", "add", str(workdir / "facts.yaml"), "--to-trig", str(out))
    assert code == 0 and f"to {out}" in output, output
    assert not (tmp_path / "unused").exists()
    text = out.read_text(encoding="utf-8")
    assert 'kg:localCopy "harbour-talks.md"' in text
    built = tmp_path / "built"
    code, output = kg(built, "build", str(out))
    assert code == 0, output
    store = open_store(built)
    assert store.query("ASK { kgr:port-ellis-accord kg:signatory kgr:ilse-varga }")
    code, output = kg(built, "validate")
    assert code == 0, output


# ---------------------------------------------------------------- refusals: exit 2, one line, store unchanged

REFUSALS = [
    ("Sudmark met in Port Ellis", "Sudmark met at Port Ellis", "entry 1 (talks): quote: not found in source"),
    (
        "relation: participant",
        "relation: hots",
        "entry 3 (accord): facts[0].relation: unknown relation 'hots'; did you mean host",
    ),
    (
        "class: Dialogue",
        "class: Sumit",
        "entry 1 (talks): entities[3].class: unknown class 'Sumit'; did you mean kg:Summit",
    ),
    ("date: 2024-05-12", "date: 2024-13-12", "entry 1 (talks): entities[3].date: '2024-13-12' is not a date"),
    (
        "startDate: 2022",
        "startDate: early 2022",
        "entry 2 (quarrel): entities[0].relations.startDate: 'early 2022' is not a date",
    ),
    (
        "object: Grey Banks fishing dispute}",
        "object: Grey Bank dispute}",
        "entry 2 (quarrel): facts[0].object: no entity is called 'Grey Bank dispute'; did you mean",
    ),
    (
        "claimant: Coastal Party",
        "claimant: Coastal Partey",
        "entry 4 (coastal-party): claims[0].claimant: no entity is called 'Coastal Partey'",
    ),
    ("type: denunciation", "type: denounce", "entry 4 (coastal-party): claims[0].type: unknown concept 'denounce'"),
    ("  file: harbour-talks.md", "  file: missing.md", "source: missing.md: source file not found"),
    (
        "      - label: Tomas Brenn\n        class: Person\n",
        "      - label: Tomas Brenn\n        class: Person\n      - label: Norland\n        class: State\n",
        "entry 3 (accord): entities[2].label: 'Norland' is declared twice",
    ),
    (
        "  - id: varga",
        "  - id: accord",
        "entry 5 (accord): id: id 'accord' is already used by an entry with another quote",
    ),
    (
        "    quote: Varga told",
        "    quot: Varga told",
        "entry 5 (varga): Additional properties are not allowed ('quot' was unexpected)",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), REFUSALS, ids=[r[2][:40] for r in REFUSALS])
def test_bad_entry_is_refused_and_store_unchanged(
    example_store: Path, tmp_path: Path, workdir: Path, digest: Callable[[Path], str], old: str, new: str, message: str
) -> None:
    store = tmp_path / "store"
    shutil.copytree(example_store, store, symlinks=True)
    sheet = changed(workdir, old, new)
    sheet = sheet.rename(workdir / "facts2.yaml")
    before = digest(store)
    code, output = kg(store, "add", str(sheet))
    assert code == 2, output
    assert len(output.strip().splitlines()) == 1 and "Traceback" not in output
    assert output.startswith(f"Error: {sheet}") and message in output, output
    assert digest(store) == before


def test_ambiguous_name_lists_the_candidates(
    example_store: Path, tmp_path: Path, workdir: Path, digest: Callable[[Path], str]
) -> None:
    store = tmp_path / "store"
    shutil.copytree(example_store, store, symlinks=True)
    (workdir / "second.yaml").write_text(
        "source: {file: harbour-talks.md, title: 'Harbour talks settle the Grey Banks quarrel, for now'}\n"
        "entries:\n"
        "  - id: rematch\n"
        "    quote: Not everyone is convinced.\n"
        "    entities:\n"
        "      - {label: Ellis harbour talks, class: Dialogue, aliases: [Harbour talks], date: 2024-05,\n"
        "         relations: {participant: Norland}}\n"
        "    facts:\n"
        "      - {subject: Harbour talks, relation: concerns, object: Grey Banks fishing dispute}\n",
        encoding="utf-8",
    )
    before = digest(store)
    code, output = kg(store, "add", str(workdir / "second.yaml"))
    assert code == 2, output
    assert "entry 1 (rematch): facts[0].subject: 'Harbour talks' is ambiguous" in output
    assert "Port Ellis talks of 12 May 2024 (kgr:port-ellis-talks-of-12-may-2024)" in output
    assert "Ellis harbour talks (kgr:ellis-harbour-talks)" in output
    assert digest(store) == before


def test_shape_violation_names_the_entry(
    example_store: Path, tmp_path: Path, workdir: Path, digest: Callable[[Path], str]
) -> None:
    store = tmp_path / "store"
    shutil.copytree(example_store, store, symlinks=True)
    (workdir / "event.yaml").write_text(
        "source: {file: harbour-talks.md, title: 'Harbour talks settle the Grey Banks quarrel, for now'}\n"
        "entries:\n"
        "  - id: lonely\n"
        "    quote: Not everyone is convinced.\n"
        "    entities:\n"
        "      - {label: A lonely summit, class: Summit, date: 2024}\n",
        encoding="utf-8",
    )
    before = digest(store)
    code, output = kg(store, "add", str(workdir / "event.yaml"))
    assert code == 2, output
    assert "entry 1 (lonely): entities[0]: A lonely summit:" in output and "participant" in output
    assert digest(store) == before


def test_missing_source_is_refused(tmp_path: Path) -> None:
    sheet = tmp_path / "nosource.yaml"
    sheet.write_text("entries:\n  - quote: hello\n", encoding="utf-8")
    code, output = kg(tmp_path / "store", "add", str(sheet))
    assert code == 2
    assert (
        output.strip() == f"Error: {sheet}: source: no source: give `kg add --source ID` or a `source:` header "
        "(file, title, …)"
    )
    code, output = kg(tmp_path / "store", "add", str(sheet), "--source", "kgr:source-nothing")
    assert code == 2 and "--source 'kgr:source-nothing': no such source" in output


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    sheet = tmp_path / "broken.yaml"
    sheet.write_text("entries:\n  - quote: [unclosed\n", encoding="utf-8")
    code, output = kg(tmp_path / "store", "add", str(sheet))
    assert code == 2 and output.startswith(f"Error: {sheet}:3: not valid YAML")


def test_shipped_schema_is_the_generated_one() -> None:
    from kg.readers.factsheet import SCHEMA_FILE, schema_document
    from kg.resolve import ontology_terms

    terms = ontology_terms()
    expected = schema_document(sorted(terms.classes), sorted(terms.relations), sorted(terms.concepts))
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == expected, (
        "regenerate: python -m kg.readers.factsheet > kg/schemas/factsheet.schema.json"
    )
    assert "Summit" in expected["$defs"]["class"]["anyOf"][0]["enum"]


def test_example_sheet_conforms_to_the_schema() -> None:
    import jsonschema

    from kg.readers.factsheet import read_sheet, schema

    sheet = read_sheet(SHEET)
    jsonschema.Draft202012Validator(schema()).validate(sheet.data)
    assert sheet.entries[0]["entities"][3]["date"] == "2024-05-12"  # kept as written, not a datetime


# ---------------------------------------------------------------- hostile sheets


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
            "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
            "entries: [*h]\n",
            "YAML anchors and aliases (&name, *name) are not allowed",
        ),
        ("entries: " + "[" * 5000 + "]" * 5000 + "\n", "maximum nesting depth"),
        ("!!python/object/apply:os.system ['echo owned']\n", "not valid YAML"),
        ("- just\n- a list\n", "a fact sheet is a mapping"),
    ],
    ids=["alias-bomb", "deep-nesting", "python-tag", "not-a-mapping"],
)
def test_hostile_yaml_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    sheet = tmp_path / "hostile.yaml"
    sheet.write_text(text, encoding="utf-8")
    code, output = kg(tmp_path / "store", "add", str(sheet))
    assert code == 2 and output.count("\n") == 1 and "Traceback" not in output, output
    assert message in output
    assert not (tmp_path / "store").exists()


def test_hostile_csv_is_one_line(tmp_path: Path) -> None:
    sheet = tmp_path / "big.csv"
    sheet.write_text('entry,quote\nx,"' + "a" * 200_000 + '"\n', encoding="utf-8")
    code, output = kg(tmp_path / "store", "add", str(sheet))
    assert code == 2 and output.count("\n") == 1 and "not valid CSV" in output, output


def test_fifo_sheet_and_source_are_refused(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "sheet.yaml"
    os.mkfifo(fifo)
    code, output = kg(tmp_path / "store", "add", str(fifo))
    assert code == 2 and "sheet.yaml" in output and output.count("\n") == 1
    source = tmp_path / "source.txt"
    os.mkfifo(source)
    code, output = kg(tmp_path / "store", "source", "add", str(source), "--title", "x")
    assert code == 2 and "source.txt" in output and output.count("\n") == 1
