"""Every fact can be traced to a verbatim quote of the shipped source; claims are not facts."""

from __future__ import annotations

import hashlib

from kg.resources import graph_dir
from kg.storage.embedded import Store


def test_every_quote_is_verbatim_at_its_offsets(bundled_store: Store, source_text: str) -> None:
    rows = list(
        bundled_store.query(
            "SELECT ?e ?quote ?start ?end WHERE { GRAPH kgg:provenance { ?e a kg:Evidence ; kg:quote ?quote ;"
            " kg:startOffset ?start ; kg:endOffset ?end } }"
        )
    )
    assert len(rows) >= 60
    for row in rows:
        start, end = int(row["start"].value), int(row["end"].value)
        assert source_text[start:end] == row["quote"].value, row["e"].value


def test_source_record_matches_the_shipped_copy(bundled_store: Store) -> None:
    (row,) = bundled_store.query(
        "SELECT ?title ?publisher ?copy ?sha WHERE { kgr:source-japan-rok-2023 dcterms:title ?title ;"
        " dcterms:publisher ?publisher ; kg:localCopy ?copy ; kg:sha256 ?sha }"
    )
    copy = (graph_dir() / row["copy"].value).read_bytes()
    assert hashlib.sha256(copy).hexdigest() == row["sha"].value
    assert row["publisher"].value == "Nippon.com"
    assert row["title"].value.startswith("Breakthrough in Japan-ROK Relations")


def test_no_statement_lies_outside_a_named_graph(bundled_store: Store) -> None:
    assert list(bundled_store.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1", union=False)) == []


def test_every_fact_traces_to_a_quote(bundled_store: Store) -> None:
    """Each statement outside the ontology, provenance, curated-annotation (lexicon, CAMEO codes) and
    derived (kgg:inferred) graphs has an evidence quote."""
    unsupported = list(
        bundled_store.query(
            "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
            "FILTER(?g NOT IN (<https://w3id.org/kg-diplomacy/ontology>, kgg:provenance, kgg:lexicon, kgg:inferred)) "
            "FILTER NOT EXISTS { ?g kg:quote ?q ; kg:source ?src } "
            "FILTER NOT EXISTS { GRAPH kgg:provenance { ?g a kg:CuratedAnnotations } } } LIMIT 5"
        )
    )
    assert unsupported == []
    facts = next(iter(bundled_store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } ?g kg:quote ?q }")))
    assert int(facts["n"].value) > 600


def test_lexicon_holds_only_annotations(bundled_store: Store) -> None:
    predicates = {
        r["p"].value.rsplit("#", 1)[-1]
        for r in bundled_store.query("SELECT DISTINCT ?p WHERE { GRAPH kgg:lexicon { ?s ?p ?o } }")
    }
    assert predicates <= {"label", "prefLabel", "altLabel", "sameAs", "exactMatch", "closeMatch"}


def test_claims_are_not_asserted_facts(bundled_store: Store) -> None:
    assert not bundled_store.query("ASK { ?ruling kg:contravenes ?treaty }")
    (claim,) = bundled_store.query(
        "SELECT ?claim ?content WHERE { ?claim a kg:Claim ; kg:claimedSubject kgr:ruling-2018-forced-labor ;"
        " kg:claimedRelation kg:contravenes ; kg:claimedObject ?treaty ; kg:content ?content ;"
        ' kg:claimant ?who . ?who rdfs:label "two Japanese companies"@en }'
    )
    assert "1965 Treaty" in claim["content"].value or "contravene" in claim["content"].value


def test_multilingual_labels(bundled_store: Store) -> None:
    labels = {
        (r["l"].value, r["l"].language)
        for r in bundled_store.query("SELECT ?l WHERE { kgr:yoon-suk-yeol rdfs:label|skos:prefLabel|skos:altLabel ?l }")
    }
    assert {("Yoon Suk-yeol", "en"), ("윤석열", "ko"), ("尹錫悦", "ja"), ("President Yoon", "en")} <= labels


def test_dates_keep_their_precision(bundled_store: Store) -> None:
    types = {
        r["d"].datatype.value.rsplit("#", 1)[-1]
        for r in bundled_store.query("SELECT ?d WHERE { ?e kg:date|kg:startDate|kg:endDate ?d }")
    }
    assert types == {"date", "gYearMonth", "gYear"}
    assert bundled_store.query('ASK { kgr:ruling-2018-forced-labor kg:date "2018-10"^^xsd:gYearMonth }')


def test_bundled_graph_conforms(bundled_store: Store) -> None:
    from kg.validate import validate_store

    assert validate_store(bundled_store) == []
