"""The store builds atomically: a failed build leaves the previous store exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kg.build import build
from kg.errors import InputFileError, StoreError, ValidationFailed
from kg.storage import open_store
from tests.conftest import BROKEN, MINI

MALFORMED = Path(__file__).parent / "data" / "malformed.ttl"


def count(path: Path) -> int:
    return len(open_store(path))


def test_build_swaps_in_a_new_generation(mini_store_path: Path) -> None:
    first = (mini_store_path / "current").resolve()
    before = count(mini_store_path)
    build(mini_store_path, [MINI, BROKEN / "two-dates.trig"], only=True, allow_invalid=True)
    second = (mini_store_path / "current").resolve()
    assert second != first and not first.exists()
    assert count(mini_store_path) == before + 1
    assert [p.name for p in mini_store_path.glob("gen-*")] == [second.name]


@pytest.mark.parametrize(
    "inputs, error",
    [
        ([MALFORMED], InputFileError),
        ([Path("no/such/file.ttl")], InputFileError),
        ([BROKEN / "ruling-without-court.trig"], ValidationFailed),
    ],
)
def test_failed_build_leaves_store_unchanged(
    mini_store_path: Path, digest: Callable[[Path], str], inputs: list[Path], error: type
) -> None:
    before = digest(mini_store_path)
    with pytest.raises(error):
        build(mini_store_path, [MINI, *inputs], only=True)
    assert digest(mini_store_path) == before
    assert count(mini_store_path) > 0


def test_allow_invalid_loads_and_reports(mini_store_path: Path) -> None:
    report = build(mini_store_path, [MINI, BROKEN / "ruling-without-court.trig"], only=True, allow_invalid=True)
    assert not report.conforms
    assert any("court" in v.message for v in report.violations)
    assert open_store(mini_store_path).query("ASK { kgr:ruling-x a kg:Ruling }")


def test_refuses_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_text("precious")
    with pytest.raises(StoreError, match="not a kg store"):
        build(tmp_path, [MINI], only=True)
    assert (tmp_path / "thesis.docx").read_text() == "precious"


def test_stale_generation_of_a_killed_build_is_removed(mini_store_path: Path) -> None:
    stale = mini_store_path / "gen-19990101T000000-1-1"
    (stale / "oxigraph").mkdir(parents=True)
    build(mini_store_path, [MINI], only=True)
    assert not stale.exists()


def test_query_before_any_build_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `kg build` first"):
        open_store(tmp_path / "empty")


def test_turtle_file_goes_to_a_graph_named_after_it(tmp_path: Path) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text('<https://example.org/a> <https://example.org/b> "c" .\n', encoding="utf-8")
    store_path = tmp_path / "s"
    build(store_path, [MINI, extra], only=True, allow_invalid=True)
    assert extra.resolve().as_uri() in open_store(store_path).named_graphs()
