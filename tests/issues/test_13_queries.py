"""Issue 13: the evidence checks answer by an anti-join, with the rows of the old NOT EXISTS form."""

from __future__ import annotations

from pathlib import Path

from kg.build import build
from kg.query import get_canned
from kg.stats import stats
from kg.storage import open_store
from tests.conftest import BROKEN, DATA, MINI

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


_PATH_FORM = {  # the canned queries' filters as written before session 10, with a property path
    "FILTER EXISTS { ?e kg:participant ?x . ?x kg:cameoCountry ?a }": (
        "FILTER EXISTS { ?e ?r1 ?x . ?r1 rdfs:subPropertyOf* kg:participant . ?x kg:cameoCountry ?a }"
    ),
    "FILTER EXISTS { ?e kg:participant ?y . ?y kg:cameoCountry ?b }": (
        "FILTER EXISTS { ?e ?r2 ?y . ?r2 rdfs:subPropertyOf* kg:participant . ?y kg:cameoCountry ?b }"
    ),
}


def _rows(result: object) -> list[tuple[str, ...]]:
    return [tuple(str(term) for term in row) for row in result]  # type: ignore[attr-defined]


def test_derived_participants_answer_as_the_property_path_with_a_users_own_relations(tmp_path: Path) -> None:
    """The canned queries read `?e kg:participant ?x` (derived by every build) instead of a property
    path that Virtuoso evaluates wrongly; a user's own sub-property of kg:participant, declared in their
    own graph, counts as the ontology's (review of session 10)."""
    from kg.query import parse_canned, run_query

    path = tmp_path / "store"
    build(path, [DATA / "user-extension.trig"])  # the bundled graphs and this file
    store = open_store(path)
    for name in ("sources-of-spike", "event-types-of-dyad"):
        canned = get_canned(name)
        reference = canned.text
        for new, old in _PATH_FORM.items():
            assert new in reference, name
            reference = reference.replace(new, old)
        answer = _rows(run_query(store, canned.text, {}, canned))
        assert answer == _rows(run_query(store, reference, {}, parse_canned(name, reference))), name
        if name == "sources-of-spike":
            assert any("User co-hosted meeting" in cell for row in answer for cell in row)
    missing = {iri for iri, _ in stats(store).without_evidence}
    reference_missing = {r["entity"].value for r in store.query(_NOT_EXISTS)}
    assert missing == reference_missing


def test_an_update_through_the_endpoint_derives_the_hierarchy(bundled_store_path: Path, tmp_path: Path) -> None:
    """The writable endpoint's new generation gets the superclass types and super-property statements,
    as a build does, so the canned queries find what was inserted."""
    import shutil

    import httpx

    from tests.test_serve import TOKEN, Endpoint

    store = tmp_path / "store"
    shutil.copytree(bundled_store_path, store, symlinks=True)
    server = Endpoint(store, "--allow-update", "--no-site", "--timeout", "5", env={"KG_SERVE_TOKEN": TOKEN})
    try:
        insert = (
            "PREFIX kg: <https://w3id.org/kg-diplomacy/ontology#> "
            "PREFIX kgr: <https://w3id.org/kg-diplomacy/resource/> "
            "INSERT DATA { GRAPH <urn:x:g> { <urn:x:summit> a kg:Summit ; kg:host kgr:japan } }"
        )
        done = httpx.post(server.url + "/sparql", data={"update": insert}, headers={"Authorization": f"Bearer {TOKEN}"})
        assert done.status_code == 204, done.text
    finally:
        server.stop()
    updated = open_store(store)
    derived = (
        "ASK { GRAPH <https://w3id.org/kg-diplomacy/graph/inferred> { "
        "<urn:x:summit> a kg:Event ; kg:participant kgr:japan } }"
    )
    assert updated.query(derived)
