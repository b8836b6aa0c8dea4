"""`kg search`: the FTS5 index written with each build, ranked hits, any language; describe's fallback."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.errors import SearchError, UnknownEntityError
from kg.search import INDEX_FILE, fts_query, search
from kg.storage.embedded import Store
from kg.storage.location import open_store

KGR = "https://w3id.org/kg-diplomacy/resource/"


def kg(store: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--store", str(store), *args])
    return result.exit_code, result.output


def top(store: Store, text: str, **options: object) -> list[str]:
    return [hit.entity.removeprefix(KGR) for hit in search(store, text, **options)]  # type: ignore[arg-type]


def test_build_writes_the_index_into_the_generation(bundled_store_path: Path) -> None:
    index = (bundled_store_path / "current").resolve() / INDEX_FILE
    with sqlite3.connect(index) as db:
        entities = db.execute("SELECT COUNT(*) FROM entities").fetchone()[0]
        kinds = dict(db.execute("SELECT kind, COUNT(*) FROM docs GROUP BY kind").fetchall())
    assert entities > 100
    assert {"label", "alias", "description", "claim", "quote"} <= set(kinds)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Supreme Court of Korea", "supreme-court-of-korea"),  # English label
        ("尹錫悦", "yoon-suk-yeol"),  # Japanese label
        ("윤석열", "yoon-suk-yeol"),  # Korean label
        ("President Yoon", "yoon-suk-yeol"),  # English alias
        ("Kim Dae-jung–Obuchi declaration", "joint-declaration-1998"),  # alias only
        ("Kishida Yuko", "kishida-yuko"),  # accents ignored (Yūko)
        ("compensation plan", "yoon-compensation-plan"),  # stemmed: the label says "compensate"
    ],
)
def test_search_finds_labels_and_aliases_in_any_language(bundled_store: Store, text: str, expected: str) -> None:
    assert top(bundled_store, text)[0] == expected


def test_part_of_a_cjk_name_is_found(bundled_store: Store) -> None:
    found = top(bundled_store, "岸田")
    assert {"kishida-fumio", "kishida-yuko"} <= set(found[:3])


def test_quote_words_find_the_entities_the_quote_supports(bundled_store: Store) -> None:
    hits = search(bundled_store, "acrimony came to a head")
    assert hits and all(h.kind == "quote" for h in hits)
    assert KGR + "ruling-2018-forced-labor" in [h.entity for h in hits]
    assert "[acrimony]" in hits[0].snippet


def test_claim_contents_are_searched(bundled_store: Store) -> None:
    hits = search(bundled_store, "decade of animosity", limit=20)
    assert any(h.kind == "claim" and h.entity == KGR + "claim-kishida-visit-major-step" for h in hits)


def test_class_filter_and_limit(bundled_store: Store) -> None:
    assert top(bundled_store, "radar", classes=("Incident",)) == ["radar-incident-2018-12"]
    everything = search(bundled_store, "Japan", limit=50)
    assert len(everything) == 50 and len({h.entity for h in everything}) == 50
    actors = search(bundled_store, "Japan", classes=("Actor",), limit=50)
    assert actors and all(
        any(
            c in h.classes
            for c in (
                "kg:State",
                "kg:Government",
                "kg:Person",
                "kg:Company",
                "kg:GovernmentBody",
                "kg:Group",
                "kg:Court",
                "kg:BusinessFederation",
                "kg:InternationalOrganization",
                "kg:PoliticalParty",
                "kg:MilitaryUnit",
                "kg:PollingOrganization",
                "kg:UniversityOrganization",
            )
        )
        for h in actors
    )


def test_cli_search_text_and_json(bundled_store_path: Path) -> None:
    code, output = kg(bundled_store_path, "search", "radar incident", "--limit", "2")
    assert code == 0, output
    assert output.startswith("1. Radar incident between a South Korean destroyer")
    code, output = kg(bundled_store_path, "search", "윤석열", "--format", "json", "--limit", "1")
    hit = json.loads(output)[0]
    assert hit["entity"] == KGR + "yoon-suk-yeol" and hit["language"] == "ko" and hit["snippet"] == "[윤석열]"


@pytest.mark.parametrize("text", ['"', "*)", "NEAR(", "a OR", "-"])
def test_hostile_queries_never_crash(bundled_store_path: Path, text: str) -> None:
    code, output = kg(bundled_store_path, "search", text)
    assert code in (0, 2) and "Traceback" not in output
    assert len(output.strip().splitlines()) <= 11


def test_nothing_to_search_for() -> None:
    with pytest.raises(SearchError):
        fts_query("?!")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("compensation plan", "yoon-compensation-plan"),
        ("Joint Declaration", "joint-declaration-1998"),
        ("Phnom Penh statement", "phnom-penh-statement-2022-11"),
        ("radar incident", "radar-incident-2018-12"),
    ],
)
def test_describe_falls_back_to_the_unique_best_match(bundled_store_path: Path, name: str, expected: str) -> None:
    code, output = kg(bundled_store_path, "describe", name)
    assert code == 0, output
    assert output.splitlines()[0].endswith(f"<{KGR}{expected}>")


def test_describe_lists_candidates_when_the_search_is_not_unique(bundled_store: Store) -> None:
    from kg.describe import find_entity

    with pytest.raises(UnknownEntityError, match="matches several entities; did you mean: ") as caught:
        find_entity(bundled_store, "compensation")
    assert len(caught.value.suggestions) >= 2


def test_index_follows_kg_add_and_is_rebuilt_when_missing(bundled_store_path: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(bundled_store_path, store, symlinks=True)
    sheet = Path(__file__).resolve().parents[1] / "examples" / "factsheet" / "facts.yaml"
    code, output = kg(store, "add", str(sheet))
    assert code == 0, output
    assert top(open_store(store), "Grey Banks quarrel")[0] == "grey-banks-fishing-dispute"
    index = (store / "current").resolve() / INDEX_FILE
    index.unlink()
    assert top(open_store(store), "Port Ellis Accord")[0] == "port-ellis-accord"
    assert index.is_file()
