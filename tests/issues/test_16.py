"""Issue 16: the essay graph complete — coverage, the author's claims, dispute sides, rules, labels, describe."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kg.cli import cli
from kg.coverage import body_sentences, coverage, sentence_coverage
from kg.describe import describe
from kg.storage.embedded import Store

SOURCE = "https://w3id.org/kg-diplomacy/resource/source-japan-rok-2023"
KGR = "https://w3id.org/kg-diplomacy/resource/"


def labels(store: Store, query: str) -> set[str]:
    return {row["l"].value for row in store.query(query)}


# ------------------------------------------------------------------ coverage


def test_sentence_splitter_is_deterministic_and_skips_non_body_text(source_text: str) -> None:
    sentences = body_sentences(source_text)
    assert sentences == body_sentences(source_text)
    assert len(sentences) == 72
    texts = [s.text for s in sentences]
    assert texts[0].startswith("In the wake of the historic Japan-ROK summit of March 16, the author reviews")
    assert texts[-1] == "We can only hope that our two nations’ leaders have the courage to forge ahead."
    assert all(source_text[s.start : s.end] == s.text for s in sentences)
    # title, headings, the closing note and the keyword line are not body text
    for not_body in (
        "Breakthrough in Japan-ROK Relations",
        "What Is a “Sincere Response”?",
        "Rebooting Bilateral Security Cooperation",
        "(Originally published",
        "diplomacy South Korea",
    ):
        assert not any(t.startswith(not_body) for t in texts), not_body
    # a quotation of several sentences is split into them
    assert "This fact in itself holds a special meaning." in texts


def test_sentence_coverage_counts_non_whitespace_characters() -> None:
    text = "Title\n\nOne two three. Four five six.\n"
    first, second = sentence_coverage(text, [(7, 14)])  # "One two" of "One two three."
    assert first.sentence.text == "One two three." and second.sentence.text == "Four five six."
    assert first.covered == 6 / 12 and second.covered == 0
    (full, _) = sentence_coverage(text, [(0, len(text))])[:2]
    assert full.covered == 1


def test_at_least_90_percent_of_body_sentences_are_covered(bundled_store: Store) -> None:
    report = coverage(bundled_store, SOURCE)
    assert len(report.sentences) == 72
    assert report.share >= 0.9, "\n".join(f"{s.covered:.2f} {s.sentence.text}" for s in report.uncovered())


# ------------------------------------------------------------------ the author and the publication


def test_author_and_publication_are_claimants(bundled_store: Store) -> None:
    types = {
        row["t"].value.rsplit("/", 1)[-1]: int(row["n"].value)
        for row in bundled_store.query(
            "SELECT ?t (COUNT(?c) AS ?n) WHERE { ?c a kg:Claim ; kg:claimant kgr:essay-author ; kg:claimType ?t }"
            " GROUP BY ?t"
        )
    }
    assert {"assessment", "recommendation", "prediction", "hope", "praise"} <= set(types)
    assert sum(types.values()) >= 20
    assert bundled_store.query(
        "ASK { ?c kg:claimant kgr:nippon-com ; kg:claimType kgc:summary . kgr:nippon-com a kg:MediaOrganization }"
    )
    assert bundled_store.query(
        "ASK { kgr:source-japan-rok-2023 kg:author kgr:essay-author ; kg:publishedBy kgr:nippon-com }"
    )
    # every recommendation says whom it is addressed to
    assert not bundled_store.query(
        "ASK { ?c kg:claimType kgc:recommendation FILTER NOT EXISTS { ?c kg:addressee ?a } }"
    )


def test_new_claim_types_are_documented(bundled_store: Store) -> None:
    for concept in ("assessment", "prediction", "recommendation", "hope", "summary"):
        assert bundled_store.query(
            f"ASK {{ kgc:{concept} skos:inScheme kgc:claim-types ; rdfs:label ?l ; skos:definition ?d }}"
        ), concept


# ------------------------------------------------------------------ disputes and sides


def test_north_korean_threat_is_not_a_japan_rok_dispute(bundled_store: Store) -> None:
    sides = {}
    for row in bundled_store.query(
        "SELECT ?side ?m WHERE { kgr:north-korean-nuclear-threat kg:side ?side . ?side kg:sideMember ?m }"
    ):
        sides.setdefault(row["side"].value, set()).add(row["m"].value.removeprefix(KGR))
    assert sorted(sides.values(), key=len) == [{"north-korea"}, {"japan", "republic-of-korea", "united-states"}]
    # Japan stands against North Korea in its nuclear threat only, and never against the ROK there
    opposed = bundled_store.query(
        "SELECT DISTINCT ?d WHERE { ?d kg:side ?a, ?b . ?a kg:sideMember kgr:japan . ?b kg:sideMember kgr:north-korea }"
    )
    assert [r["d"].value for r in opposed] == [KGR + "north-korean-nuclear-threat"]


def test_every_dispute_with_sides_has_two_and_disputes_link_their_agreements(bundled_store: Store) -> None:
    disputes = {r["d"].value.removeprefix(KGR) for r in bundled_store.query("SELECT ?d WHERE { ?d a kg:Dispute }")}
    assert {
        "forced-labor-dispute",
        "comfort-women-dispute",
        "sincere-response-dispute",
        "export-controls-dispute",
        "radar-dispute-2018",
        "sado-mine-unesco-dispute",
        "fukushima-treated-water-dispute",
        "north-korean-nuclear-threat",
    } <= disputes
    assert bundled_store.query("ASK { kgr:comfort-women-agreement-2015 kg:failedToSettle kgr:comfort-women-dispute }")
    assert bundled_store.query("ASK { kgr:future-partnership-fund kg:failedToSettle kgr:sincere-response-dispute }")
    assert bundled_store.query("ASK { kgr:yoon-compensation-plan kg:aimsToResolve kgr:forced-labor-dispute }")
    one_sided = list(
        bundled_store.query("SELECT ?d WHERE { ?d kg:side ?s } GROUP BY ?d HAVING (COUNT(DISTINCT ?s) < 2)")
    )
    assert one_sided == []


# ------------------------------------------------------------------ fixes of misreadings


def test_asset_seizure_responds_to_the_rejection_not_the_ruling(bundled_store: Store) -> None:
    assert not bundled_store.query("ASK { kgr:asset-seizure-proceedings kg:inResponseTo kgr:ruling-2018-forced-labor }")
    (row,) = bundled_store.query(
        "SELECT ?quote WHERE { GRAPH ?g { kgr:asset-seizure-proceedings kg:inResponseTo"
        " kgr:claim-companies-reject-ruling } ?g kg:quote ?quote }"
    )
    assert row["quote"].value.startswith("In response, the victims began legal proceedings")
    assert bundled_store.query(
        "ASK { kgr:claim-companies-reject-ruling kg:inResponseTo kgr:ruling-2018-forced-labor ;"
        " kg:claimType kgc:rejection }"
    )


def test_federation_names_are_outside_knowledge_with_a_source_note(bundled_store: Store) -> None:
    rows = list(
        bundled_store.query(
            "SELECT ?g ?support ?note WHERE { GRAPH ?g { ?f ?p ?name } FILTER(?g != kgg:provenance) "
            "FILTER(CONTAINS(STR(?name), 'Keidanren') || CONTAINS(STR(?name), 'Federation of Korean Industries')"
            " || CONTAINS(STR(?name), '経団連') || CONTAINS(STR(?name), '전국경제인연합회')) "
            "OPTIONAL { ?g kg:support ?support } OPTIONAL { ?g kg:supportNote ?note } }"
        )
    )
    assert rows
    for row in rows:
        assert row["support"] is not None and row["support"].value.endswith("/outside-knowledge"), row["g"].value
        assert "Keidanren" in row["note"].value and "not the essay" in row["note"].value
    # what the essay itself says: the two countries' top economic federations
    assert labels(
        bundled_store, "SELECT ?l WHERE { kgr:future-partnership-fund kg:party/rdfs:label ?l FILTER(LANG(?l) = 'en') }"
    ) == {"Japan's top economic federation", "South Korea's top economic federation"}


def test_computed_end_year_is_marked_inferred(bundled_store: Store) -> None:
    (row,) = bundled_store.query(
        "SELECT ?g ?support ?note WHERE { GRAPH ?g { kgr:term-yoon-president kg:endDate ?end } "
        "OPTIONAL { ?g kg:support ?support } OPTIONAL { ?g kg:supportNote ?note } }"
    )
    assert row["support"].value.endswith("/inferred")
    assert "four more years" in row["note"].value


def test_places_lie_in_states_and_keio_is_an_organisation(bundled_store: Store) -> None:
    unplaced = list(
        bundled_store.query(
            "SELECT ?p WHERE { ?p a kg:Place FILTER NOT EXISTS { ?p kg:locatedIn+ ?s . ?s a kg:State } }"
        )
    )
    assert unplaced == []
    for place, state in (
        ("tokyo", "japan"),
        ("seoul", "republic-of-korea"),
        ("new-delhi", "india"),
        ("phnom-penh", "cambodia"),
    ):
        assert bundled_store.query(f"ASK {{ kgr:{place} kg:locatedIn kgr:{state} }}"), place
    assert bundled_store.query("ASK { kgr:keio-university a kg:UniversityOrganization ; kg:locatedIn kgr:tokyo }")
    assert not bundled_store.query("ASK { kgr:keio-university a kg:Place }")


def test_actor_rules_hold(bundled_store: Store) -> None:
    assert not bundled_store.query("ASK { ?policy kg:adoptedBy ?who . ?who a kg:Person }")
    assert not bundled_store.query("ASK { ?agreement kg:party ?who . ?who a kg:Person }")
    assert bundled_store.query(
        "ASK { kgr:yoon-compensation-plan kg:adoptedBy kgr:government-of-the-republic-of-korea }"
    )


# ------------------------------------------------------------------ labels in three languages

# Left out for lack of a certain native form (see the report of issue 16 and graph/README.md).
WITHOUT_JA = {
    "nippon-com",
    "sincere-response-dispute",
    "export-controls-dispute",
    "rok-indo-pacific-strategy",
    "japan-rok-strategic-dialogue",
    "japan-rok-economic-security-consultations",
    "favored-trade-status-talks",
    "joint-press-release-2008-04",
    "japan-rok-regional-partnership",
    "japan-key-defense-documents",
}
WITHOUT_KO = {
    "nippon-com",
    "sincere-response-dispute",
    "new-foip-plan-2023",
    "japan-rok-security-dialogue",
    "japan-rok-strategic-dialogue",
    "japan-rok-economic-security-consultations",
    "favored-trade-status-talks",
    "joint-press-release-2008-04",
    "japan-rok-regional-partnership",
    "japan-key-defense-documents",
}


def test_summits_agreements_rulings_disputes_policies_and_claimants_have_ja_and_ko(bundled_store: Store) -> None:
    query = """
        SELECT DISTINCT ?e ?lang WHERE {
          { ?e a kg:Summit } UNION { ?e a/rdfs:subClassOf* kg:Agreement } UNION { ?e a kg:Ruling }
          UNION { ?e a kg:Dispute } UNION { ?e a/rdfs:subClassOf* kg:Policy } UNION { ?c kg:claimant ?e }
          VALUES ?lang { "ja" "ko" }
          FILTER NOT EXISTS { ?e rdfs:label|skos:prefLabel|skos:altLabel ?l FILTER(LANG(?l) = ?lang) }
        }"""
    missing: dict[str, set[str]] = {"ja": set(), "ko": set()}
    for row in bundled_store.query(query):
        missing[row["lang"].value].add(row["e"].value.removeprefix(KGR))
    assert missing["ja"] == WITHOUT_JA
    assert missing["ko"] == WITHOUT_KO
    assert {"日韓首脳会談（2023年3月16日）", "한일 정상회담 (2023년 3월 16일)"} <= labels(
        bundled_store, "SELECT ?l WHERE { kgr:summit-2023-03-16 rdfs:label ?l }"
    )


# ------------------------------------------------------------------ describe: two hops through n-ary nodes


def test_describe_shows_nary_nodes_with_their_facts_and_quotes(bundled_store: Store) -> None:
    yoon = describe(bundled_store, "Yoon Suk-yeol")
    (term,) = [n for n in yoon.nodes if n.iri == KGR + "term-yoon-president"]
    assert term.predicate_label == "holder" and term.direction == "in" and term.classes == ("kg:OfficeTerm",)
    start = [f for f in term.facts if f.predicate_label == "start date"]
    assert [f.value for f in start] == ["2022-05 (xsd:gYearMonth)"]
    assert start[0].quotes == ("Yoon took office less than a year ago (in May 2022)",)
    end = [f for f in term.facts if f.predicate_label == "end date"]
    assert end[0].quotes[0].endswith("[inferred]")

    plan = describe(bundled_store, "kgr:yoon-compensation-plan")
    (poll,) = [n for n in plan.nodes if n.iri == KGR + "gallup-korea-poll-2023-03"]
    results = sorted(f.value_label for f in poll.facts if f.predicate_label == "result")
    assert results == [
        "Gallup Korea, March 2023: favoured the compensation plan (35%)",
        "Gallup Korea, March 2023: opposed the compensation plan (59%)",
    ]
    assert any(q.startswith("only 35% of respondents") for f in poll.facts for q in f.quotes)

    controls = describe(bundled_store, "kgr:japan-export-controls-2019")
    statuses = {f.value_label for n in controls.nodes for f in n.facts if f.predicate_label == "new status"}
    assert statuses == {"imposed", "lifted"}


def test_describe_cli_prints_the_second_hop(bundled_store_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["--store", str(bundled_store_path), "describe", "Forced-labour compensation dispute"])
    assert result.exit_code == 0, result.output
    assert "side → Forced-labour dispute: the victims and the Republic of Korea [kg:DisputeSide]" in result.output
    assert "      side member: two Japanese companies" in result.output
    data = json.loads(
        runner.invoke(
            cli,
            ["--store", str(bundled_store_path), "describe", "Forced-labour compensation dispute", "--format", "json"],
        ).output
    )
    assert {n["label"] for n in data["nodes"]} >= {"Forced-labour dispute: the victims and the Republic of Korea"}
