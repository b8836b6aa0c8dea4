"""The SPARQL validation engine (kg.shacl_sparql) answers exactly as pySHACL, the reference.

Every shape of ontology/shapes.ttl runs on the bundled graph and on each broken fixture through
both engines; the violations (focus node, label, path, message, severity, value) must be equal.
tests/data/engines/ holds shapes using SHACL features the kg shapes do not (yet) use.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.build import build, input_files, load_all
from kg.cli import cli
from kg.errors import ShapeNotCompiled
from kg.readers.rdf import load_file
from kg.shacl_sparql import DERIVED_GRAPH, compile_shapes, validate_oxigraph
from kg.storage import open_store
from kg.storage.embedded import Store, memory_store
from kg.validate import Violation, _pyshacl_violations, validate_store
from tests.conftest import BROKEN, DATA, MINI

ENGINES = DATA / "engines"


def _loaded(files: list[Path], only: bool) -> Store:
    store = memory_store()
    load_all(store, input_files(files, only))
    return store


def _both(store: Store) -> tuple[list[Violation], list[Violation]]:
    return validate_store(store, engine="sparql"), validate_store(store, engine="pyshacl")


def test_bundled_graph_same_answer_from_both_engines() -> None:
    fast, reference = _both(_loaded([], only=False))
    assert fast == reference == []


@pytest.mark.parametrize("case", sorted(p.stem for p in BROKEN.glob("*.trig")))
def test_broken_fixture_same_violations_from_both_engines(case: str) -> None:
    fast, reference = _both(_loaded([MINI, BROKEN / f"{case}.trig"], only=True))
    assert reference, f"{case}: pySHACL found nothing (fixture no longer broken?)"
    assert fast == reference


def test_other_shacl_features_same_violations_from_both_engines() -> None:
    store = memory_store()
    load_file(store, ENGINES / "data.trig")
    shapes = ENGINES / "shapes.ttl"
    fast = sorted({Violation(*finding) for finding in validate_oxigraph(store, [], None, shapes)})
    reference = sorted(set(_pyshacl_violations(store, shapes)))
    assert fast == reference
    messages = {v.message for v in fast}
    # Every shape of the file catches something, so the comparison is not vacuous.
    assert messages >= {
        "name",
        "age",
        "known by",
        "city",
        "status",
        "nick",
        "friends",
        "ancestor",
        "xone",
        "and",
        "score",
    }
    assert {v.severity for v in fast} == {"Violation", "Warning", "Info"}
    assert any(v.value == "'abc'^^xsd:integer" for v in fast), "an ill-formed integer is not an xsd:integer"


def test_built_store_validated_in_place_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "store"
    build(path, [MINI, BROKEN / "statement-without-evidence.trig"], only=True, allow_invalid=True)
    store = open_store(path)
    before = len(store), store.named_graphs()
    fast, reference = _both(store)
    assert fast == reference and any("Statement without evidence" in v.message for v in fast)
    assert (len(store), store.named_graphs()) == before
    assert DERIVED_GRAPH not in before[1], "the build left its scratch graph in the store"


def test_cli_engine_option(tmp_path: Path) -> None:
    runner = CliRunner()
    store = str(tmp_path / "store")
    broken = str(BROKEN / "two-dates.trig")
    outputs = []
    for engine in ("sparql", "pyshacl"):
        result = runner.invoke(cli, ["--store", store, "validate", "--only", "--engine", engine, str(MINI), broken])
        assert result.exit_code == 1, result.output
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and "One date only" in outputs[0]
    built = runner.invoke(cli, ["--store", store, "build", "--only", "--engine", "pyshacl", str(MINI)])
    assert built.exit_code == 0, built.output


def test_unsupported_feature_is_refused_by_the_compiler(tmp_path: Path) -> None:
    shapes = tmp_path / "closed.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/t#> .\n"
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true .\n",
        encoding="utf-8",
    )
    with pytest.raises(ShapeNotCompiled, match="sh:closed"):
        compile_shapes(shapes)
