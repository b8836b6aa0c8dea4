"""Issue 13: the evidence checks answer by an anti-join, with the rows of the old NOT EXISTS form."""

from __future__ import annotations

from pathlib import Path

from kg.build import build
from kg.query import get_canned
from kg.stats import stats
from kg.storage import open_store
from tests.conftest import BROKEN, MINI

KGR = "https://w3id.org/kg-diplomacy/resource/"

_NOT_EXISTS = """
SELECT DISTINCT ?entity ?class WHERE {
  ?entity a ?class . ?class rdfs:subClassOf* kg:Entity .
  FILTER NOT EXISTS { GRAPH <https://w3id.org/kg-diplomacy/graph/inferred> { ?entity a ?class } }
  FILTER NOT EXISTS { GRAPH ?g { ?entity ?p ?o } ?g kg:quote ?quote . }
} ORDER BY ?entity ?class"""


def test_entities_without_evidence_same_rows_as_not_exists(tmp_path: Path) -> None:
    path = tmp_path / "store"
    build(path, [MINI, BROKEN / "entity-without-evidence.trig"], only=True, allow_invalid=True)
    store = open_store(path)
    canned = [(r["entity"].value, r["class"].value) for r in store.query(get_canned("entities-without-evidence").text)]
    reference = [(r["entity"].value, r["class"].value) for r in store.query(_NOT_EXISTS)]
    assert canned == reference
    assert any(entity == KGR + "abe-x" for entity, _ in canned)
    missing = stats(store).without_evidence
    assert sorted({entity for entity, _ in reference}) == [iri for iri, _ in missing]
