"""Issue 11: bring your own sources (fact sheets → evidence graphs), closed vocabulary, `kg search`.

One test per item of the issue's "Done when" list; the details are in tests/test_factsheet.py
and tests/test_search.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "factsheet"
TITLE = "Harbour talks settle the Grey Banks quarrel, for now"


def kg(store: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--store", str(store), *args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`kg add examples/factsheet/facts.yaml` on a fresh store, with no other step."""
    store = tmp_path_factory.mktemp("issue11") / "store"
    code, output = kg(store, "add", str(EXAMPLE / "facts.yaml"))
    assert code == 0, output
    assert "Added 5 entries" in output and "Registered source" in output
    return store


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "example"
    shutil.copytree(EXAMPLE, target)
    return target


def test_example_round_trips_into_canned_queries_and_describe(added: Path) -> None:
    code, output = kg(added, "describe", "Port Ellis Accord")
    assert code == 0, output
    assert "signatory → Ilse Varga" in output and "aims to resolve → Grey Banks fishing dispute" in output
    assert "“At the close of the talks, Norland's foreign minister Ilse Varga" in output
    assert "concerns ← Coastal Party: The Port Ellis Accord gives away half of Sudmark's waters" in output
    code, output = kg(added, "query", "cq6-minefields", "--format", "csv")  # bundled data still answers
    assert code == 0 and "Fukushima" in output
    code, output = kg(
        added, "render", "-o", str(added.parent / "accord.html"), "--focus", "Port Ellis Accord", "--hops", "1"
    )
    assert code == 0 and (added.parent / "accord.html").stat().st_size > 1000


def test_quote_changed_by_one_word_is_refused_and_store_byte_identical(
    added: Path, tmp_path: Path, example: Path, digest: Callable[[Path], str]
) -> None:
    store = tmp_path / "store"
    shutil.copytree(added, store, symlinks=True)
    sheet = example / "facts.yaml"
    sheet.write_text(sheet.read_text(encoding="utf-8").replace("Not everyone", "Hardly anyone"), encoding="utf-8")
    text = sheet.read_text(encoding="utf-8")
    sheet.write_text(text.replace("Varga told reporters that", "Varga told journalists that"), encoding="utf-8")
    before = digest(store)
    code, output = kg(store, "add", str(sheet))
    assert code == 2
    assert output.count("\n") == 1 and output.startswith(f"Error: {sheet}:")
    assert "entry 5 (varga): quote: not found in source kgr:source-harbour-talks" in output
    assert digest(store) == before


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "relation: participant",
            "relation: participent",
            "entry 3 (accord): facts[0].relation: unknown relation 'participent'; did you mean participant",
        ),
        (
            "date: 2024-05-12\n        relations:\n          host",
            "date: 12/05/2024\n        relations:\n          host",
            "entry 1 (talks): entities[3].date: '12/05/2024' is not a date (use 2023, 2023-03 or 2023-03-16)",
        ),
        ("  file: harbour-talks.md", "  file: harbour-talk.md", "source: harbour-talk.md: source file not found"),
    ],
)
def test_unknown_relation_bad_date_missing_source_are_one_line(
    tmp_path: Path, example: Path, old: str, new: str, expected: str
) -> None:
    sheet = example / "facts.yaml"
    text = sheet.read_text(encoding="utf-8")
    assert old in text
    sheet.write_text(text.replace(old, new, 1), encoding="utf-8")
    code, output = kg(tmp_path / "store", "add", str(sheet))
    assert code == 2 and output.count("\n") == 1, output
    assert expected in output


def test_ambiguous_name_lists_candidates(added: Path, tmp_path: Path, example: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(added, store, symlinks=True)
    sheet = example / "more.yaml"
    sheet.write_text(
        f"source: {{file: harbour-talks.md, title: '{TITLE}'}}\n"
        "entries:\n"
        "  - quote: Not everyone is convinced.\n"
        "    entities:\n"
        "      - {label: Norland coast guard, class: MilitaryUnit, aliases: [Ilse Varga]}\n"
        "    claims:\n"
        "      - {claimant: Ilse Varga, content: Not everyone is convinced.}\n",
        encoding="utf-8",
    )
    code, output = kg(store, "add", str(sheet))
    assert code == 2 and output.count("\n") == 1
    assert (
        "entry 1: claims[0].claimant: 'Ilse Varga' is ambiguous: it names Ilse Varga (kgr:ilse-varga), "
        "Norland coast guard (kgr:norland-coast-guard)" in output
    )


TYPOS = """
@prefix kg: <https://w3id.org/kg-diplomacy/ontology#> .
@prefix kgr: <https://w3id.org/kg-diplomacy/resource/> .
@prefix kgg: <https://w3id.org/kg-diplomacy/graph/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/> .
kgg:provenance { ex:e1 a kg:Evidence ; kg:source kgr:source-japan-rok-2023 ;
    kg:quote "In the wake of the historic Japan-ROK summit of March 16" . }
ex:e1 { kgr:typo-summit a kg:Sumit ; rdfs:label "A summit with a typo"@en ; kg:date "2023-03-16"^^xsd:date ;
    kg:hots kgr:japan ; ex:myOwnProperty "other namespaces stay open" . }
"""


def test_typo_class_and_property_are_caught_with_suggestions(
    tmp_path: Path, bundled_store_path: Path, digest: Callable[[Path], str]
) -> None:
    data = tmp_path / "typos.trig"
    data.write_text(TYPOS, encoding="utf-8")
    code, output = kg(tmp_path / "unused", "validate", str(data))
    assert code == 1
    assert "unknown class kg:Sumit: the vocabulary does not define it; did you mean kg:Summit" in output
    assert "unknown property kg:hots: the vocabulary does not define it; did you mean kg:host" in output
    assert "myOwnProperty" not in output
    store = tmp_path / "store"
    shutil.copytree(bundled_store_path, store, symlinks=True)
    before = digest(store)
    code, output = kg(store, "build", str(data))
    assert code == 1 and "build refused" in output and "did you mean kg:Summit" in output
    assert digest(store) == before


def test_search_by_any_language_label_alias_and_quote_words(bundled_store_path: Path, added: Path) -> None:
    for text, entity in [
        ("尹錫悦", "yoon-suk-yeol"),
        ("기시다 후미오", "kishida-fumio"),
        ("President Yoon", "yoon-suk-yeol"),
        ("Harbour talks", "port-ellis-talks-of-12-may-2024"),
    ]:
        code, output = kg(added, "search", text, "--limit", "1")
        assert code == 0 and f"/resource/{entity}>" in output.splitlines()[0], (text, output)
    code, output = kg(added, "search", "told reporters", "--limit", "10")
    assert code == 0 and "quote: " in output and "[told] [reporters]" in output
