"""The ontology is documented, versioned, aligned, and lets a reasoner catch modelling errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from kg.build import build
from kg.resources import ontology_files
from tests.conftest import MINI

KG = rdflib.Namespace("https://w3id.org/kg-diplomacy/ontology#")


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    return graph


def test_versioned(ontology: rdflib.Graph) -> None:
    iri = rdflib.URIRef("https://w3id.org/kg-diplomacy/ontology")
    assert ontology.value(iri, OWL.versionIRI) is not None
    assert ontology.value(iri, OWL.versionInfo) is not None


def test_every_term_has_english_label_and_definition(ontology: rdflib.Graph) -> None:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, RDFS.Datatype, SKOS.Concept)
    terms = {s for kind in kinds for s in ontology.subjects(RDF.type, kind) if isinstance(s, rdflib.URIRef)}
    assert len(terms) > 100
    missing = [
        t
        for t in terms
        if not any(label.language == "en" for label in ontology.objects(t, RDFS.label))
        or ontology.value(t, SKOS.definition) is None
    ]
    assert missing == []


def test_required_classes_exist(ontology: rdflib.Graph) -> None:
    required = (
        "Actor Person State Government GovernmentBody Court Company BusinessFederation InternationalOrganization "
        "Group PoliticalParty Office OfficeTerm Agreement Treaty JointDeclaration JointStatement Arrangement Plan "
        "Fund SecurityAgreement Ruling Dispute Event Summit Visit PressConference Announcement Poll PollResult "
        "MilitaryExercise Dialogue Lecture Election Publication Strategy Incident Claim Source Evidence"
    ).split()
    assert [c for c in required if (KG[c], RDF.type, OWL.Class) not in ontology] == []


def test_aligned_to_standard_vocabularies(ontology: rdflib.Graph) -> None:
    superclasses = {str(o) for o in ontology.objects(None, RDFS.subClassOf)}
    assert "https://schema.org/Person" in superclasses
    assert "http://semanticweb.cs.vu.nl/2009/11/sem/Event" in superclasses
    assert "http://www.w3.org/ns/prov#Entity" in superclasses


def test_object_properties_have_domain_or_range(ontology: rdflib.Graph) -> None:
    for prop in ("participant", "party", "court", "claimant", "disputant", "holder"):
        assert ontology.value(KG[prop], RDFS.domain) is not None
        assert ontology.value(KG[prop], RDFS.range) is not None
    assert ontology.value(KG.party, OWL.inverseOf) == KG.partyTo


def test_reasoner_catches_a_person_who_is_a_state(tmp_path: Path) -> None:
    bad = tmp_path / "bad.trig"
    bad.write_text(
        "@prefix kg: <https://w3id.org/kg-diplomacy/ontology#> .\n"
        "<https://example.org/test-evidence/q1> {\n"
        "  <https://w3id.org/kg-diplomacy/resource/kishida-fumio> a kg:State . }\n",
        encoding="utf-8",
    )
    report = build(tmp_path / "store", [MINI, bad], only=True, infer=True, allow_invalid=True)
    assert any(v.focus.endswith("kishida-fumio") and "Disjoint" in v.message for v in report.violations), [
        v.line() for v in report.violations
    ]


def test_inference_derives_participant_shortcut(tmp_path: Path) -> None:
    from kg.storage import open_store

    report = build(tmp_path / "store", [MINI], only=True, infer=True)
    assert report.conforms and report.inferred > 0
    store = open_store(tmp_path / "store")
    assert store.query(
        "ASK { GRAPH kgg:inferred { kgr:press-conference-2023-03-16 kg:participant kgr:yoon-suk-yeol } }"
    )
    assert store.query("ASK { GRAPH kgg:inferred { kgr:yoon-suk-yeol kg:participatedIn ?e } }")
